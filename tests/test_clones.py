"""Two clones side by side, sharing one venv, keep to their own code and runs:
through ``./synthmir`` and through the SynthMIR Jupyter kernel.

Why these tests fail on the old set-up: the shared venv held an editable
install of whichever clone set it up last (clone X), and the entry points
did not put their own clone's ``src/`` on ``PYTHONPATH``. Every clone then
imported X's ``helpers``, whose ``config.PROJECT_ROOT`` is X, so ``runs/``
resolved to X's folder. Here neither copy is X: ``info`` would print X's
code, the prompts would land in X's ``runs/smoke`` (and not in the copies'),
and the kernel, a plain ``python3`` kernel, would import X's helpers too.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ["src", "configs", "notebooks", "scripts", "requirements", "synthmir", "run_all.sh"]


def make_clone(dest: Path) -> Path:
    """A copy of this checkout's files as they are now (uncommitted edits too):
    what a second ``git clone`` holds. Same requirements, so the same shared venv."""
    for part in PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / part)
    return dest


@pytest.fixture(scope="module")
def clones(tmp_path_factory):
    base = tmp_path_factory.mktemp("clones")
    return make_clone(base.resolve() / "paper"), make_clone(base.resolve() / "experiment")


def synthmir(clone: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(clone / "synthmir"), *args], capture_output=True, text=True, timeout=300,
                          cwd=clone, env=env)


def test_each_clone_runs_its_own_code_into_its_own_runs(clones):
    a, b = clones
    # whatever the caller's environment points at (here: the other clone), the clone's own code wins
    for clone, other in ((a, b), (b, a)):
        env = {**os.environ, "PYTHONPATH": str(other / "src"), "SYNTHMIR_ROOT": str(other)}
        info = synthmir(clone, "info", "--profile", "smoke", env=env)
        assert info.returncode == 0, info.stderr
        rows = dict(line.split(None, 1) for line in info.stdout.splitlines() if line.strip())
        assert rows["code"] == str(clone / "src" / "helpers")
        assert rows["project"] == str(clone)
        assert rows["runs"].startswith(f"{clone / 'runs' / 'smoke'} ")
        made = synthmir(clone, "prompts", "--profile", "smoke", "--clips-per-genre", "2" if clone == a else "3", env=env)
        assert made.returncode == 0, made.stderr
    assert len((a / "runs/smoke/prompts/prompts.csv").read_text().splitlines()) == 1 + 5 * 2
    assert len((b / "runs/smoke/prompts/prompts.csv").read_text().splitlines()) == 1 + 5 * 3


def run_in_kernel(cwd: Path, code: str, env: dict | None = None) -> str:
    """Start the SynthMIR kernel in ``cwd`` (as JupyterLab and papermill do), run ``code``, return its stdout."""
    from jupyter_client.manager import start_new_kernel

    from helpers.kernel import install_kernel

    install_kernel()
    km, kc = start_new_kernel(kernel_name="synthmir", cwd=str(cwd), env=env)
    try:
        out = []
        reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: out.append(m))
        assert reply["content"]["status"] == "ok", reply["content"]
        return "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


PROBE = "import helpers, helpers.config, os; print(helpers.__file__); print(helpers.config.PROJECT_ROOT)"


def test_the_kernel_imports_the_helpers_of_the_clone_its_notebook_is_in(clones):
    a, b = clones
    # the test process (and so the kernel's environment) points at this checkout and at clone b
    env = {**os.environ, "PYTHONPATH": f"{b / 'src'}{os.pathsep}{ROOT / 'src'}", "SYNTHMIR_ROOT": str(b)}
    helpers_file, project = run_in_kernel(a / "notebooks", PROBE, env).split()
    assert helpers_file == str(a / "src" / "helpers" / "__init__.py")
    assert project == str(a)


def test_outside_any_clone_the_kernel_uses_synthmir_root(clones, tmp_path):
    a, b = clones
    env = {**os.environ, "PYTHONPATH": "", "SYNTHMIR_ROOT": str(b)}
    helpers_file, project = run_in_kernel(tmp_path, PROBE, env).split()
    assert helpers_file == str(b / "src" / "helpers" / "__init__.py") and project == str(b)


def test_the_kernel_spec_is_registered_once_per_venv_and_names_no_clone():
    import json

    from helpers.kernel import install_kernel, kernel_dir

    spec_dir = install_kernel()
    assert spec_dir == kernel_dir()
    before = {p.name: p.stat().st_mtime_ns for p in spec_dir.iterdir()}
    assert install_kernel() == spec_dir
    assert {p.name: p.stat().st_mtime_ns for p in spec_dir.iterdir()} == before  # idempotent: nothing rewritten
    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["display_name"] == "SynthMIR" and spec["argv"][0] == sys.executable
    text = json.dumps(spec)  # clones share it: the launcher finds the clone
    # the clone's folder as a path (followed by a separator or the string's end), not as a prefix of
    # another name: a cache at <clone>-cache is not the clone
    assert f"{ROOT}/" not in text and f'{ROOT}"' not in text
    from jupyter_client.kernelspec import KernelSpecManager

    assert KernelSpecManager().get_kernel_spec("synthmir").resource_dir == str(spec_dir)
