"""run_all.sh's own argument handling (before any set-up happens)."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run(["bash", str(ROOT / "run_all.sh"), *args], capture_output=True, text=True, timeout=60)


def test_help_and_bad_options_fail_fast():
    assert "--profile" in run("--help").stdout
    bad = run("--frobnicate")
    assert bad.returncode == 2 and "unknown option --frobnicate" in bad.stderr
    assert run("-p", "clips_per_genre").returncode == 2
    missing = run("--profile", "nope")
    assert missing.returncode == 2 and "no profile nope" in missing.stderr
