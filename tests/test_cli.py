"""The command line (helpers.cli, ./synthmir): what each command hands on, and
its mistakes reported in one line. The commands' work is tested elsewhere."""

import subprocess
import sys
import types
from pathlib import Path

import pytest

from helpers import cli

ROOT = Path(__file__).resolve().parents[1]


def test_the_wrapper_shows_every_command_with_examples():
    out = subprocess.run([str(ROOT / "synthmir"), "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for command in (*cli.STAGES, "realbench", "lab", "report", "run", "kernel", "info"):
        assert f"\n    {command}" in out.stdout, command
    assert "./synthmir run --profile smoke" in out.stdout


@pytest.mark.parametrize("command", [*cli.STAGES, "lab", "report", "kernel", "info"])
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "examples:" in text and f"./synthmir {command}" in text


def test_stages_go_to_the_pipeline_with_the_same_options(monkeypatch):
    calls = []
    monkeypatch.setattr("helpers.pipeline.main", lambda argv, prog=None: calls.append(argv) or 0)
    assert cli.main(["evaluate", "--profile", "smoke", "--real-data", "data/x", "--set", "training.patience=3"]) == 0
    assert cli.main(["generate", "--shard", "3/16", "--run-dir", "runs/a", "--clips-per-genre", "4"]) == 0
    assert calls == [["evaluate", "--profile", "smoke", "--real-data", "data/x", "--set", "training.patience=3"],
                     ["generate", "--profile", "offline", "--run-dir", "runs/a", "--clips-per-genre", "4",
                      "--shard", "3/16"]]


@pytest.fixture
def fake_launch(monkeypatch):
    calls = []
    module = types.ModuleType("helpers.launch")
    def launch_stage(cfg, stage, **kwargs):  # records the call; says every shard is done (or queued)
        calls.append((cfg, stage, kwargs))
        return {"stage": stage, "shards": kwargs["shards"], "shard_status": [], "items": 0, "expected": 0,
                "merged": kwargs["wait"], "waited": kwargs["wait"], "command": "./synthmir ..."}

    module.launch_stage = launch_stage
    monkeypatch.setitem(sys.modules, "helpers.launch", module)
    return calls


def test_launcher_options_reach_launch_stage(fake_launch):
    rc = cli.main(["generate", "--profile", "smoke", "--launcher", "slurm", "--shards", "16", "--no-wait",
                   "--partition", "gpu", "--gpus-per-task", "1", "--cpus-per-task", "8", "--time", "90",
                   "--mem-gb", "32", "--set", "generation.batch_size=4", "--run-dir", "runs/paper-a"])
    assert rc == 0
    (cfg, stage, kwargs), = fake_launch
    assert stage == "generate" and cfg.profile == "smoke" and cfg.generation.batch_size == 4
    assert cfg.run_path == ROOT / "runs" / "paper-a"
    assert kwargs == {"shards": 16, "launcher": "slurm", "wait": False, "progress": True,
                      "slurm": {"partition": "gpu", "gpus_per_task": 1, "cpus_per_task": 8,
                                "timeout_min": 90, "mem_gb": 32}}


def test_local_launcher_waits_by_default(fake_launch):
    assert cli.main(["embed", "--profile", "smoke", "--launcher", "local", "--shards", "2"]) == 0
    (cfg, stage, kwargs), = fake_launch
    assert stage == "embed" and kwargs["launcher"] == "local" and kwargs["wait"] is True and kwargs["shards"] == 2


@pytest.mark.parametrize("argv, message", [
    (["generate", "--shards", "4"], "--shards needs --launcher"),
    (["embed", "--partition", "gpu"], "--partition needs --launcher"),
    (["generate", "--launcher", "local", "--shard", "1/4"], "--shard is one worker's share"),
    (["generate", "--launcher", "local", "--shards", "0"], "--shards must be >= 1"),
    (["generate", "--launcher", "local", "--set", "nokey"], "--set wants KEY=VALUE"),
])
def test_option_mistakes_are_one_line_errors(argv, message, fake_launch, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err
    assert fake_launch == []


def test_a_missing_launcher_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "helpers.launch", None)  # as if the file did not exist
    assert cli.main(["generate", "--launcher", "slurm", "--shards", "2"]) == 2
    err = capsys.readouterr().err
    assert "needs the cluster launcher helpers.launch" in err and "--shard I/N" in err


def test_realbench_fetch_runs_the_fetcher_with_its_options(monkeypatch):
    import helpers.realbench

    calls = []
    monkeypatch.setattr(helpers.realbench, "main", lambda argv: calls.append(argv) or 1)
    assert cli.main(["realbench", "fetch", "--manifest", "m.csv", "--out", "data/x", "--no-progress"]) == 1
    assert calls == [["--manifest", "m.csv", "--out", "data/x", "--no-progress"]]


def test_lab_dry_run_shows_jupyterlab_on_the_notebooks_with_the_kernel(capsys):
    assert cli.main(["lab", "--dry-run", "--port", "8899", "--no-browser", "--", "--ServerApp.ip=0.0.0.0"]) == 0
    *env, command = capsys.readouterr().out.strip().splitlines()
    assert f"SYNTHMIR_ROOT={ROOT}" in env
    assert any(line.startswith(f"PYTHONPATH={ROOT / 'src'}") for line in env)
    words = command.split()
    assert words[:3] == [sys.executable, "-m", "jupyterlab"]
    for word in (f"--ServerApp.root_dir={ROOT}", "--LabApp.default_url=/lab/tree/notebooks",
                 "--MultiKernelManager.default_kernel_name=synthmir", "--ServerApp.port=8899", "--no-browser"):
        assert word in words
    assert words[-1] == "--ServerApp.ip=0.0.0.0"
    import jupyterlab  # noqa: F401  (the command it shows can run here)


def test_lab_registers_the_kernel_then_becomes_jupyterlab(monkeypatch):
    started = []
    monkeypatch.setattr(cli.os, "execve", lambda exe, argv, env: started.append((exe, argv, env)))
    monkeypatch.setattr("helpers.kernel.install_kernel", lambda: started.append("kernel") or Path("k"))
    cli.main(["lab", "--no-browser"])
    assert started[0] == "kernel"
    exe, argv, env = started[1]
    assert argv == cli.lab_command(no_browser=True)[0] and exe == sys.executable
    assert env["SYNTHMIR_ROOT"] == str(ROOT) and env["PYTHONPATH"].startswith(str(ROOT / "src"))


def test_run_is_run_all_sh_with_its_own_arguments():
    out = subprocess.run([str(ROOT / "synthmir"), "run", "--frobnicate"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "run_all.sh: unknown option --frobnicate" in out.stderr
    out = subprocess.run([str(ROOT / "synthmir"), "run", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "--studies" in out.stdout and "--no-wait" in out.stdout
    assert "set -euo" not in out.stdout and out.stdout.rstrip().endswith("traceback in the run folder's logs/.")  # the header, all of it, only it


def test_report_without_executed_notebooks_says_how_to_make_them(tmp_path, capsys):
    assert cli.main(["report", "--profile", "smoke", "--run-dir", str(tmp_path)]) == 2
    assert "run ./run_all.sh --profile smoke first" in capsys.readouterr().err


def test_extra_arguments_after_double_dash_are_only_for_lab(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--", "x"])
    assert "unexpected arguments after --" in capsys.readouterr().err
