"""The SynthMIR command line: ``./synthmir <command> ...`` from a clone.

``./synthmir`` (at the project root) runs this module in the project's venv
with the clone's ``src/`` first on ``PYTHONPATH``, so code and runs always
come from the clone it was started in. Where the package is installed, the
``synthmir`` console script does the same. Only the standard library is
imported before a command runs: ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from .errors import SynthMIRError

STAGES = ("prompts", "generate", "merge", "embed", "train", "evaluate", "all")
LAUNCHERS = ("none", "local", "slurm")

EXAMPLES = {
    "main": """
        first steps:
          ./synthmir run --profile smoke         the whole study, tiny (minutes): notebooks -> reports/smoke/
          ./synthmir run                         the offline study -> reports/offline/index.html
          ./synthmir lab                         JupyterLab on the notebooks (kernel "SynthMIR")
          ./synthmir realbench fetch --out data/realbench-dev
          ./synthmir run -p real_data data/realbench-dev    the study, evaluated on those recordings too
          ./synthmir report --profile offline    re-render the reports and their index
          ./synthmir info                        which code, venv, kernel and run folder this clone uses
          ./synthmir check --profile paper       pre-flight of the paper profile (weights, GPU, versions)
          ./synthmir weights fetch --profile paper   its weights (needs internet), then pack / unpack
          ./synthmir docs build                  the handbook (docs/) as a website -> site/index.html

        every command has its own --help with examples.
        """,
    "prompts": """
        examples:
          ./synthmir prompts --profile smoke
          ./synthmir prompts --clips-per-genre 50 --run-dir runs/try50
        """,
    "generate": """
        examples:
          ./synthmir generate --profile smoke
          ./synthmir generate --profile paper --shard 3/16            one worker's share (e.g. a SLURM array task)
          ./synthmir generate --profile paper --launcher slurm --shards 16 --partition gpu --gpus-per-task 1 --time 60
          ./synthmir generate --launcher local --shards 2             two local processes, merged at the end
        """,
    "merge": """
        examples:
          ./synthmir merge --profile paper        after sharded generation: one manifest, stage marked done
        """,
    "embed": """
        examples:
          ./synthmir embed --profile smoke
          ./synthmir embed --real-data data/realbench-dev                   also embed the real benchmark
          ./synthmir embed --profile paper --launcher slurm --shards 4 --partition gpu --gpus-per-task 1
        """,
    "train": """
        examples:
          ./synthmir train --profile smoke
          ./synthmir train --set training.patience=10 --set training.learning_rate=3e-4
        """,
    "evaluate": """
        examples:
          ./synthmir evaluate --profile smoke
          ./synthmir evaluate --real-data data/realbench-dev
        """,
    "all": """
        examples:
          ./synthmir all --profile smoke          the five stages without notebooks (no reports; see `run`)
          ./synthmir all --clips-per-genre 20 --run-dir runs/tiny --real-data data/realbench-dev
        """,
    "realbench": """
        examples:
          ./synthmir realbench fetch --out data/realbench-dev
          ./synthmir run -p real_data data/realbench-dev
        """,
    "lab": """
        examples:
          ./synthmir lab                          opens the notebooks folder in your browser
          ./synthmir lab --no-browser --port 8899 on a remote machine (then ssh -L 8899:localhost:8899 ...)
          ./synthmir lab --dry-run                show the command, start nothing
          ./synthmir lab -- --ServerApp.ip=0.0.0.0  what follows -- goes to jupyter lab as is

        notebooks run in the kernel "SynthMIR" (registered in the venv on first use),
        with the helpers of the clone the notebook is in.
        """,
    "report": """
        examples:
          ./synthmir report --profile offline     render runs/offline/notebooks/*.ipynb -> reports/offline/, + index.html
          ./synthmir report --profile smoke --notebook 05_evaluate
        """,
    "run": """
        runs ./run_all.sh with the same arguments (its --help lists them). examples:
          ./synthmir run --profile smoke
          ./synthmir run -p real_data data/realbench-dev --studies
          ./synthmir run --from 04
        """,
    "kernel": """
        examples:
          ./synthmir kernel                       register the "SynthMIR" Jupyter kernel (idempotent), print where
        """,
    "ablation": """
        examples:
          ./synthmir ablation --real-data data/realbench-dev
          ./synthmir ablation --real-data data/realbench-dev --arms "full" "full - master chain (the default)" --seeds 5
        """,
    "soundfonts": """
        examples:
          ./synthmir soundfonts fetch             FluidR3_GM, MuseScore General, AVL drum kits into the cache
          ./synthmir soundfonts list
        """,
    "check": """
        examples:
          ./synthmir check --profile paper        weights, GPU, versions, fast-path check, memory (seconds)
          ./synthmir check --profile paper --quick   without loading the model
        """,
    "weights": """
        examples:
          ./synthmir weights check --profile paper          what is there, what is missing
          ./synthmir weights fetch --profile paper          (needs internet) MusicGen + PaSST into the caches
          ./synthmir weights pack /media/usb/synthmir-weights   both sets in one folder, with checksums
          ./synthmir weights unpack /media/usb/synthmir-weights  on the cluster: checked, then placed
        """,
    "task": """
        examples:
          ./synthmir task --profile tempo                 clips with exact tempi -> tempo CNN, beside librosa
          ./synthmir task --profile key --real-data csv:data/keymidi/tracks.csv --real-data csv:data/folkkey/tracks.csv
          ./synthmir task --profile tempo --real-data giantsteps-tempo:/data/giantsteps-tempo
        """,
    "info": """
        examples:
          ./synthmir info
          ./synthmir info --profile paper
        """,
    "docs": """
        examples:
          ./synthmir docs build                   docs/ -> site/index.html (mkdocs --strict, with the reports)
          ./synthmir docs serve                   the same, live at http://127.0.0.1:8000
          ./synthmir docs serve --addr 0.0.0.0:8001

        mkdocs runs in a venv of its own (requirements/docs.lock), made on first use.
        """,
}


class CliError(SynthMIRError):
    """A user error the command line reports in one line (exit status 2)."""


def _root() -> Path:
    from .config import PROJECT_ROOT

    return PROJECT_ROOT


def _show(path: Path) -> str:
    """A path as the user reads it: relative to the project when inside."""
    try:
        return str(Path(path).resolve().relative_to(_root().resolve()))
    except ValueError:
        return str(path)


def _add(sub, name: str, help_: str, **kwargs) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_, description=help_, epilog=textwrap.dedent(EXAMPLES[name]).rstrip() + "\n",
                          formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)


def _config_options(p: argparse.ArgumentParser, real_data: bool = True) -> None:
    p.add_argument("--profile", default="offline", help="configs/<profile>.yaml (default offline) or a YAML path")
    p.add_argument("--run-dir", help="run folder (default: the profile's, e.g. runs/offline)")
    p.add_argument("--clips-per-genre", type=int, help="clips per genre (default: the profile's)")
    if real_data:
        p.add_argument("--real-data", help="real benchmark: a folder with one subfolder per genre, or a CSV path,label")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="dotted config override, value read as YAML, e.g. training.patience=10 (repeatable)")
    p.add_argument("--no-wait", action="store_true",
                   help="do not wait: stop at once if another process is writing the run folder; "
                        "with --launcher, also submit the shards and return (merge later)")


def _launcher_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster launcher (helpers.launch)")
    g.add_argument("--launcher", choices=LAUNCHERS, default="none",
                   help="none: run here, in this process (default); local: worker processes; slurm: a SLURM job array")
    g.add_argument("--shards", type=int, default=1, metavar="N", help="with --launcher: split the work into N shards")
    g.add_argument("--partition", metavar="P", help="SLURM partition")
    g.add_argument("--gpus-per-task", type=int, metavar="N", help="SLURM GPUs per task")
    g.add_argument("--cpus-per-task", type=int, metavar="N", help="SLURM CPUs per task")
    g.add_argument("--time", type=int, metavar="MIN", help="SLURM time limit per task, in minutes")
    g.add_argument("--mem-gb", type=int, metavar="N", help="SLURM memory per task, in GB")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthmir", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="SynthMIR: can generated music train a genre classifier that works on real recordings?",
        epilog=textwrap.dedent(EXAMPLES["main"]).rstrip() + "\n")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"synthmir {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    sub.required = True

    stage_help = {
        "prompts": "stage 1: descriptions -> balanced prompts table (prompts/prompts.csv)",
        "generate": "stage 2: prompts -> clips/<Genre>/<id>.wav + clips/metadata.csv (resumable, shardable)",
        "merge": "after sharded generation: merge the shards' manifests, mark stage 2 done",
        "embed": "stage 3: clips (and the real benchmark) -> embeddings/",
        "train": "stage 4: embeddings -> classifier (model/)",
        "evaluate": "stage 5: classifier -> metrics.json, evaluation/*.csv",
        "all": "stages 1-5 in this process, without notebooks or reports",
    }
    for stage in STAGES:
        p = _add(sub, stage, stage_help[stage])
        _config_options(p)
        if stage in ("generate", "embed"):
            p.add_argument("--shard", metavar="I/N", help="do only this worker's share i of n (0 <= i < n)")
            _launcher_options(p)

    p = _add(sub, "realbench", "the real-music development benchmark (recordings inside Debian packages)")
    rb = p.add_subparsers(dest="action", metavar="<action>")
    rb.required = True
    f = rb.add_parser("fetch", help="download the manifest's recordings (apt-get download; nothing is installed)",
                      epilog=textwrap.dedent(EXAMPLES["realbench"]).rstrip() + "\n", formatter_class=argparse.RawDescriptionHelpFormatter)
    f.add_argument("--manifest", help="manifest CSV, or a name shipped in helpers/resources/realbench: 'dev' "
                                      "(the default: 50 tracks) or 'shared-dev' (the first 23)")
    f.add_argument("--out", required=True, help="output folder (<Label>/<slug>.flac)")
    f.add_argument("--cache", help="cache for .debs and apt lists")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.add_argument("-v", "--verbose", action="store_true", help="debug logging")

    p = _add(sub, "lab", "JupyterLab on the notebooks, with the SynthMIR kernel")
    p.add_argument("--port", type=int, help="port (default: Jupyter's, 8888 or the next free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--dry-run", action="store_true", help="print the command and its environment, start nothing")

    p = _add(sub, "report", "render executed notebooks to HTML reports and write reports/<profile>/index.html")
    p.add_argument("--profile", default="offline", help="profile (default offline)")
    p.add_argument("--run-dir", help="run folder (default: the profile's)")
    p.add_argument("--out", help="reports folder (default reports/<profile>)")
    p.add_argument("--notebook", action="append", default=[], metavar="NAME",
                   help="render only this one, e.g. 05_evaluate (repeatable; default: every executed notebook)")
    p.add_argument("--since", type=float, metavar="UNIX_TIME",
                   help="also print what each notebook's stage did since then (run_all.sh uses it)")

    p = _add(sub, "run", "the whole study as notebooks, as ./run_all.sh (reports + metrics)", add_help=False)
    _add(sub, "ablation", "the transfer ablation: which production ingredients make clips transfer", add_help=False)
    _add(sub, "soundfonts", "fetch (no root) or list the symbolic generator's SoundFonts", add_help=False)
    p.add_argument("run_args", nargs="*", help="./run_all.sh's arguments, passed on as they are")

    _add(sub, "kernel", 'register the "SynthMIR" Jupyter kernel in the venv (idempotent)')
    p = _add(sub, "check", "pre-flight: everything a run of the profile needs, checked in seconds")
    p.add_argument("--profile", default="offline", help="configs/<profile>.yaml (default offline) or a YAML path")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="dotted config override")
    p.add_argument("--quick", action="store_true", help="do not load the model (no fast-path or memory check)")
    p = _add(sub, "weights", "the pretrained weights of a profile: fetch, check, pack, unpack")
    wa = p.add_subparsers(dest="action", metavar="<action>")
    wa.required = True
    for action, text in (("check", "what is there and what is missing"),
                         ("fetch", "download what is missing (needs internet; resumable)"),
                         ("pack", "copy the weights into FOLDER, with a manifest of checksums"),
                         ("unpack", "check FOLDER against its manifest, then place each file")):
        w = wa.add_parser(action, help=text, description=text)
        if action in ("pack", "unpack"):
            w.add_argument("folder", metavar="FOLDER")
        if action != "unpack":
            w.add_argument("--profile", default="paper", help="configs/<profile>.yaml (default paper)")
            w.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="dotted config override")
    p = _add(sub, "task", "tempo or key: stages 1-2, then features -> CNN -> evaluation beside a baseline")
    p.add_argument("--profile", default="tempo", help="configs/<profile>.yaml with a task section (tempo, key)")
    p.add_argument("--run-dir", help="run folder (default: the profile's)")
    p.add_argument("--real-data", action="append", default=[], metavar="KIND:PATH",
                   help="annotated recordings (helpers.benchmarks.annotated), repeatable")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="dotted config override")
    p = _add(sub, "info", "where this clone's code, venv, kernel and runs are")
    p.add_argument("--profile", default="offline")
    p = _add(sub, "docs", "the handbook (docs/) as a website: mkdocs with the material theme, in its own venv")
    da = p.add_subparsers(dest="action", metavar="<action>")
    da.required = True
    d = da.add_parser("build", help="build the site into site/ (strict: a broken link fails)",
                      description="build the site into site/ (strict: a broken link fails)")
    d.add_argument("--out", metavar="DIR", help="site folder (default site/)")
    d.add_argument("--no-strict", action="store_true", help="let warnings pass")
    d = da.add_parser("serve", help="serve the site, rebuilt on every change",
                      description="serve the site, rebuilt on every change")
    d.add_argument("--addr", metavar="HOST:PORT", help="address (default 127.0.0.1:8000)")
    d.add_argument("--no-strict", action="store_true", help="let warnings pass")
    return parser


# --- commands ------------------------------------------------------------------------------


def _stage(args) -> int:
    launcher = getattr(args, "launcher", "none")
    if launcher == "none":
        for name in ("partition", "gpus_per_task", "cpus_per_task", "time", "mem_gb"):
            if getattr(args, name, None):
                raise CliError(f"--{name.replace('_', '-')} needs --launcher local or slurm")
        if getattr(args, "shards", 1) != 1:
            raise CliError("--shards needs --launcher local or slurm (one worker's share is --shard I/N)")
        from . import pipeline

        argv = [args.command, "--profile", args.profile]
        for flag, value in (("--run-dir", args.run_dir), ("--clips-per-genre", args.clips_per_genre),
                            ("--real-data", args.real_data), ("--shard", getattr(args, "shard", None))):
            if value is not None:
                argv += [flag, str(value)]
        for item in args.set:
            argv += ["--set", item]
        return pipeline.main(argv + ["--no-wait"] * bool(args.no_wait), prog="synthmir")
    return _launch(args)


def _launch(args) -> int:
    if args.shard:
        raise CliError("--shard is one worker's share; with --launcher, give the number of shards: --shards N")
    if args.shards < 1:
        raise CliError(f"--shards must be >= 1, got {args.shards}")
    try:
        launch = importlib.import_module("helpers.launch")
    except ImportError as exc:
        raise CliError(f"--launcher {args.launcher} needs the cluster launcher helpers.launch, which did not import "
                       f"({exc}); run without --launcher, or shard by hand with --shard I/N") from exc
    from .config import load_config, parse_overrides

    cfg = load_config(args.profile, parse_overrides(args.set), "--set", run_dir=args.run_dir,
                      clips_per_genre=args.clips_per_genre, real_data=args.real_data)
    slurm = {"partition": args.partition, "gpus_per_task": args.gpus_per_task, "cpus_per_task": args.cpus_per_task,
             "timeout_min": args.time, "mem_gb": args.mem_gb}
    if args.command == "generate" and not (cfg.run_path / "prompts" / "prompts.csv").exists():
        from .pipeline import run_prompts

        print(f"{len(run_prompts(cfg))} prompts in {_show(cfg.run_path / 'prompts')} (stage 1, first)")
    summary = launch.launch_stage(cfg, args.command, shards=args.shards, launcher=args.launcher,
                                  wait=not args.no_wait, slurm=slurm, progress=True)
    return _launch_outcome(summary)


def _launch_outcome(summary: dict) -> int:
    """Say where the shards stand; a shard left unfinished, or no merge after waiting, is an error."""
    from .errors import StageError

    rows = summary["shard_status"]
    unfinished = [r for r in rows if r["state"] == "unfinished"]
    print(f"{summary['stage']}: {summary['items']} of {summary['expected']} items done in {summary['shards']} shard(s)"
          f"{'; merged' if summary['merged'] else ''}")
    if unfinished:
        lines = [f"  shard {r['index']}: {r['done']} of {r['expected']} done; {r['error'] or 'no job ran it'}"
                 for r in unfinished]
        raise StageError(f"{len(unfinished)} of {len(rows)} shard(s) of {summary['stage']} are unfinished, so "
                         "nothing was merged:\n" + "\n".join(lines)
                         + f"\nrun the same command again to resubmit only those: {summary['command']}")
    if not summary["merged"]:
        running = [str(r["index"]) for r in rows if r["state"] == "running"]
        if not summary.get("waited", True):
            print(f"shard(s) {', '.join(running)} still queued or running; follow them and merge with: "
                  f"{summary['command']}")
            return 0
        raise StageError(f"{summary['stage']}: not merged (shards {', '.join(running)} not done): {summary['command']}")
    return 0


def _realbench(args) -> int:
    module = importlib.import_module("helpers.realbench")  # the module, or a shim to its new home
    main = getattr(module, "main", None)
    if main is None:
        main = importlib.import_module("helpers.benchmarks.debian").main
    argv = (["--manifest", args.manifest] if args.manifest else []) + ["--out", args.out]
    if args.cache:
        argv += ["--cache", args.cache]
    argv += ["--no-progress"] * args.no_progress + ["-v"] * args.verbose
    return main(argv)


def lab_command(port: int | None = None, no_browser: bool = False, extra: list[str] | None = None) -> tuple[list[str], dict]:
    """The ``jupyter lab`` command line and the environment variables it adds."""
    from .kernel import KERNEL_NAME

    root = _root()
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}",
           "--LabApp.default_url=/lab/tree/notebooks",
           f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}"]
    if port:
        cmd.append(f"--ServerApp.port={port}")
    if no_browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers often run as root; Jupyter refuses root without it
    cmd += list(extra or [])
    src = str(root / "src")
    rest = os.environ.get("PYTHONPATH", "")
    env = {"SYNTHMIR_ROOT": str(root),
           "PYTHONPATH": src + (os.pathsep + rest if rest and not rest.startswith(src) else "")}
    return cmd, env


def _lab(args) -> int:
    from .kernel import install_kernel

    cmd, env = lab_command(args.port, args.no_browser, args.jupyter_args)
    if args.dry_run:
        for key, value in env.items():
            print(f"{key}={value}")
        print(" ".join(cmd))
        return 0
    spec = install_kernel()
    print(f'kernel "SynthMIR": {spec}', file=sys.stderr)
    os.execve(cmd[0], cmd, {**os.environ, **env})
    return 0  # not reached


def _report(args) -> int:
    from .config import load_config
    from .progress import stage_summary
    from .reports import render_html, write_index

    cfg = load_config(args.profile, run_dir=args.run_dir)
    name = Path(args.profile).stem if args.profile.endswith((".yaml", ".yml")) else args.profile
    nb_dir = cfg.run_path / "notebooks"
    out = Path(args.out) if args.out else _root() / "reports" / name
    names = args.notebook or sorted(p.stem for p in nb_dir.glob("*.ipynb"))
    if not names:
        raise CliError(f"no executed notebooks in {nb_dir}: run ./run_all.sh --profile {name} first")
    for nb in names:
        source = nb_dir / f"{nb}.ipynb"
        if not source.is_file():
            raise CliError(f"no executed notebook {source}")
        html = render_html(source, out / f"{nb}.html")
        summary = stage_summary(nb, cfg.run_path, args.since) if args.since is not None else ""
        print(f"{nb}: {summary + ' ' if summary else ''}-> {_show(html)}")
    index = write_index(out, cfg.run_path, title=f"SynthMIR · {name}")
    if args.since is None:
        print(f"index: {_show(index)}")
    return 0


def run_all(arguments: list[str]) -> int:
    """``./run_all.sh`` with these arguments (its own parser checks them)."""
    return subprocess.call(["bash", str(_root() / "run_all.sh"), *arguments])


def _kernel(args) -> int:
    from .kernel import install_kernel

    print(install_kernel())
    return 0


def _info(args) -> int:
    import helpers

    from .config import load_config
    from .kernel import kernel_dir

    spec = kernel_dir()
    rows = [("project", str(_root())), ("code", str(Path(helpers.__file__).parent)),
            ("python", sys.executable),
            ("kernel", f"{spec} ({'registered' if (spec / 'kernel.json').is_file() else 'not registered yet: ./synthmir kernel'})"),
            ("runs", f"{load_config(args.profile).run_path} (profile {args.profile})")]
    for key, value in rows:
        print(f"{key:<11} {value}")
    return 0


def _check(args) -> int:
    from .preflight import main as preflight_main

    return preflight_main(args)


def _task(args) -> int:
    import json

    from . import pipeline
    from .config import load_config, parse_overrides
    from .tasks.study import run_task

    overrides = parse_overrides(args.set)
    if args.real_data:
        overrides["task.real_data"] = args.real_data
    cfg = load_config(args.profile, overrides, "--set", run_dir=args.run_dir)
    if cfg.task.name == "genre":
        raise CliError(f"profile {args.profile!r} has task.name genre: use ./synthmir run (or --profile tempo / key)")
    pipeline.run_prompts(cfg)
    pipeline.run_generation(cfg)
    results = run_task(cfg)
    for name, entry in results["sets"].items():
        print(f"{name}: " + json.dumps({k: entry.get(k) for k in ("items", "model", "baseline")}, default=str)[:400])
    for name, entry in {**results["sets"], "pooled real sets": results.get("pooled_real")}.items():
        d = (entry or {}).get("model_minus_baseline") or {}
        if d.get("difference") is not None:
            lo, hi = d["difference_ci"]
            print(f"{name}: model - baseline {d['metric']} {d['difference']:+.3f} [{lo:+.3f}, {hi:+.3f}] on {d['items']} items")
    print(f"metrics: {cfg.run_path / 'metrics.json'}")
    return 0


def _weights(args) -> int:
    from .weights import main as weights_main

    return weights_main(args)


def _docs(args) -> int:
    from . import docs_site

    try:
        out = getattr(args, "out", None)  # from where the user stands; mkdocs runs at the project root
        return docs_site.run(args.action, site_dir=str(Path(out).resolve()) if out else None,
                             strict=not args.no_strict, addr=getattr(args, "addr", None))
    except docs_site.DocsError as exc:
        raise CliError(str(exc)) from exc


COMMANDS = {"check": _check, "weights": _weights, "task": _task, "docs": _docs, "realbench": _realbench, "lab": _lab, "report": _report, "kernel": _kernel, "info": _info,
            **{s: _stage for s in STAGES}}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:  # everything after it is run_all.sh's, --help included
        return run_all(argv[1:])
    if argv[:1] == ["ablation"]:  # the transfer ablation's own command line
        from .ablation import main as ablation_main

        return ablation_main(argv[1:])
    if argv[:1] == ["soundfonts"]:  # fetch / list the symbolic generator's SoundFonts
        from .generators.symbolic.soundfonts import main as soundfonts_main

        return soundfonts_main(argv[1:])
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    if extra and args.command != "lab":
        parser.error(f"{args.command}: unexpected arguments after --: {' '.join(extra)}")
    args.jupyter_args = extra
    from .errors import run_entry

    from .locking import no_wait

    def go() -> int:
        with no_wait(getattr(args, "no_wait", False)):
            return COMMANDS[args.command](args)

    return run_entry(go, f"synthmir {args.command}", lambda: _run_path(args))


def _run_path(args) -> Path | None:
    """The run folder of a command's profile, for its crash log (None when the config does not load)."""
    if not hasattr(args, "profile"):
        return None
    from .config import load_config

    return load_config(args.profile, run_dir=getattr(args, "run_dir", None)).run_path


if __name__ == "__main__":
    sys.exit(main())
