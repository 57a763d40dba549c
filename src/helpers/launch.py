"""Scale a stage out: its shards as one job array, on SLURM or as local processes, through submitit.

::

    from helpers.config import load_config
    from helpers.launch import launch_stage

    cfg = load_config("paper")
    launch_stage(cfg, "generate", shards=16, launcher="slurm",
                 slurm={"partition": "gpu", "gpus_per_task": 1, "timeout_min": 600})

Task ``i`` of the array runs the stage on shard ``i/n`` (what
``python -m helpers.pipeline generate --shard i/n`` runs), each in its own
process, all writing into the one run folder. What a shard has finished is
read from the files it writes (its manifest or its embedding chunks, and its
``profile.shard-i-of-n.json``), not from the scheduler: the same call made
again shows where every shard stands, resubmits only the shards that are
unfinished and not queued or running, and merges once all are done.

submitit's files (pickled tasks, logs, sbatch scripts) and ``jobs.json``
(which job runs which shard) go under ``<run_dir>/launch/<stage>/``. On SLURM
that folder, the run folder, the clone and its venv must be on a file system
the nodes share; the tasks run this clone's ``src/`` with this interpreter.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shlex
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import submitit

from .config import Config
from .data import shard_file_name, take_shard, write_json

log = logging.getLogger(__name__)

STAGES = ("generate", "embed")
LAUNCHERS = ("local", "slurm")
#: keys of the ``slurm`` argument (the local launcher uses timeout_min and gpus_per_task)
SLURM_KEYS = ("partition", "gpus_per_task", "cpus_per_task", "timeout_min", "mem_gb")
#: a task's time limit when none is given (submitit's own default is 5 minutes, or 2 locally)
DEFAULT_TIMEOUT_MIN = 24 * 60
#: seconds between two looks at the shards' files (and the scheduler) while waiting, per launcher
POLL_S = {"local": 2.0, "slurm": 30.0}
#: SLURM states of a job that is still queued or running
ACTIVE_SLURM_STATES = {"PENDING", "RUNNING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "CONFIGURING",
                       "COMPLETING", "RESIZING", "SUSPENDED", "SIGNALING", "STAGE_OUT", "STOPPED"}

#: this clone's src/, put first on the tasks' PYTHONPATH
SRC = Path(__file__).resolve().parents[1]


# --- what one array task runs ------------------------------------------------------------

@dataclass
class ShardTask(submitit.helpers.Checkpointable):
    """The stage on shard ``index``/``count``, in the task's own process.

    ``backend`` is ``(registry kind, name, "module:Class")`` of the stage's
    backend, registered in the task if its registry lacks the name (a backend
    that a notebook or a test module registered in the launching process).
    Being checkpointable, a task that reaches its time limit is requeued by
    submitit and resumes where it stopped.
    """

    cfg: Config
    stage: str
    index: int
    count: int
    backend: tuple[str, str, str]

    def __call__(self) -> dict:
        from . import pipeline
        from .embedding import EMBEDDERS
        from .generation import GENERATORS

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        kind, name, target = self.backend
        registry = GENERATORS if kind == "generator" else EMBEDDERS
        if name not in registry.names():
            registry.register(name, target)
        shard = f"{self.index}/{self.count}"
        if self.stage == "generate":
            made = len(pipeline.run_generation(self.cfg, shard=shard, progress=False))
        else:
            made = len(pipeline.run_embedding(self.cfg, shard=shard, progress=False)["synthetic"]["ids"])
        return {"shard": shard, "items": made}


def _backend_spec(cfg: Config, stage: str) -> tuple[str, str, str]:
    """``(kind, name, "module:Class")`` of the stage's backend, checked here
    (an unknown name fails before anything is submitted)."""
    from .embedding import EMBEDDERS
    from .generation import GENERATORS

    kind, registry, name = (("generator", GENERATORS, cfg.generation.backend) if stage == "generate"
                            else ("embedder", EMBEDDERS, cfg.embedding.backend))
    try:
        cls = registry.get(name)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    if cls.__module__ == "__main__" or "<locals>" in cls.__qualname__:
        raise ValueError(f"{kind} backend {name!r} is defined in {cls.__module__}.{cls.__qualname__}, which the "
                         "shards' processes cannot import: define it in a module on PYTHONPATH")
    return kind, name, f"{cls.__module__}:{cls.__qualname__}"


# --- what the shards have done, from their files -----------------------------------------------

class ShardFiles:
    """The expected items of each shard and what its files say is finished."""

    def __init__(self, cfg: Config, stage: str, count: int):
        self.cfg, self.stage, self.count = cfg, stage, count
        if stage == "generate":
            from .pipeline import load_prompts

            table = load_prompts(cfg)
            self.folder = cfg.run_path / "clips"
        else:
            from .data import load_clip_manifest
            from .pipeline import embedding_dir

            clips = cfg.run_path / "clips"
            if not (clips / ".done").exists():
                raise FileNotFoundError(f"stage 2 is not finished in {clips}: generate (and merge) the clips "
                                        "before launching the embedding")
            table = load_clip_manifest(cfg.run_path)
            self.folder = embedding_dir(cfg)
        self.expected = [take_shard(table, (i, count))["id"].astype(str).tolist() for i in range(count)]
        self._chunks: dict[Path, tuple[tuple, set]] = {}

    def name(self, i: int, base: str, suffix: str) -> str:
        return shard_file_name(base, (i, self.count), suffix)

    def finished(self, verify: bool = False) -> list[int]:
        """Per shard, how many of its items are done: listed in its manifest
        (or the merged one) and, with ``verify``, a valid WAV on disk; for the
        embedding, held by its chunks (or the merged ones)."""
        if self.stage == "generate":
            merged = self._listed("metadata.csv")
            return [self._count_clips({**merged, **self._listed(self.name(i, "metadata", ".csv"))},
                                      self.expected[i], verify) for i in range(self.count)]
        merged = self._chunk_ids(self.folder / "synthetic.chunks")
        return [len(set(self.expected[i]) & (merged | self._chunk_ids(self.folder / self.name(i, "synthetic", ".chunks"))))
                for i in range(self.count)]

    def profile(self, i: int) -> dict:
        path = self.folder / self.name(i, "profile", ".json")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {}

    def _listed(self, name: str) -> dict[str, str]:
        from .errors import StageError

        path = self.folder / name
        if not path.exists():
            return {}
        try:
            table = pd.read_csv(path, usecols=["id", "file_name"], dtype=str)
        except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise StageError(f"{path}: cannot read this shard manifest ({type(exc).__name__}: {exc}); move it "
                             "aside and launch again: that shard's valid clips are adopted, the rest made again") from None
        return dict(zip(table["id"], table["file_name"]))

    def _count_clips(self, listed: dict[str, str], expected: list[str], verify: bool) -> int:
        from .audio import wav_is_valid

        g = self.cfg.generation
        return sum(1 for k in expected if k in listed
                   and (not verify or wav_is_valid(self.folder / listed[k], g.sample_rate, g.n_samples)))

    def _chunk_ids(self, folder: Path) -> set[str]:
        """Ids in a chunk folder; chunks are written once, atomically, so each is read once."""
        ids: set[str] = set()
        for f in sorted(folder.glob("chunk-*.npz")):
            st = f.stat()
            key = (st.st_mtime_ns, st.st_size)
            if self._chunks.get(f, (None,))[0] != key:
                with np.load(f, allow_pickle=False) as z:
                    self._chunks[f] = (key, set(z["files"].tolist()))
            ids |= self._chunks[f][1]
        return ids


# --- jobs ---------------------------------------------------------------------------------------

def slurm_parameters(slurm: dict | None, stage: str, tasks: int) -> dict:
    """The :class:`submitit.SlurmExecutor` parameters of an array of ``tasks`` shards.

    ``slurm`` holds any of ``partition, gpus_per_task, cpus_per_task,
    timeout_min, mem_gb`` (``None`` values are ignored). Each array task is
    one task on one node (so ``gpus_per_task`` becomes ``--gpus-per-node``);
    all tasks may run at once.
    """
    opts = slurm_options(slurm)
    params = {"job_name": f"synthmir-{stage}", "nodes": 1, "ntasks_per_node": 1,
              "time": int(math.ceil(opts.get("timeout_min", DEFAULT_TIMEOUT_MIN))),
              "array_parallelism": max(1, tasks),
              "setup": [f"export PYTHONPATH={shlex.quote(str(SRC))}${{PYTHONPATH:+:$PYTHONPATH}}"]}
    if "partition" in opts:
        params["partition"] = opts["partition"]
    if opts.get("gpus_per_task"):
        params["gpus_per_node"] = opts["gpus_per_task"]
    if "cpus_per_task" in opts:
        params["cpus_per_task"] = opts["cpus_per_task"]
    if "mem_gb" in opts:
        mem = opts["mem_gb"]
        params["mem"] = f"{int(mem)}GB" if float(mem).is_integer() else f"{int(mem * 1024)}MB"
    return params


def slurm_options(slurm: dict | None) -> dict:
    """``slurm`` checked: known keys only, ``None`` values dropped, sensible values."""
    if slurm is None:
        return {}
    if not isinstance(slurm, dict):
        raise ValueError(f"slurm options must be a mapping of {list(SLURM_KEYS)}, got {slurm!r}")
    unknown = sorted(set(slurm) - set(SLURM_KEYS))
    if unknown:
        raise ValueError(f"unknown slurm option(s) {unknown}; known: {list(SLURM_KEYS)}")
    opts = {k: v for k, v in slurm.items() if v is not None}
    if "partition" in opts and (not isinstance(opts["partition"], str) or not opts["partition"].strip()):
        raise ValueError(f"slurm partition must be a non-empty name, got {opts['partition']!r}")
    for key, low in (("gpus_per_task", 0), ("cpus_per_task", 1)):
        if key in opts and (isinstance(opts[key], bool) or not isinstance(opts[key], int) or opts[key] < low):
            raise ValueError(f"slurm {key} must be an integer >= {low}, got {opts[key]!r}")
    for key in ("timeout_min", "mem_gb"):
        if key in opts and (isinstance(opts[key], bool) or not isinstance(opts[key], (int, float)) or opts[key] <= 0):
            raise ValueError(f"slurm {key} must be a positive number, got {opts[key]!r}")
    return opts


def _executor(launcher: str, folder: Path, slurm: dict | None, stage: str, tasks: int) -> submitit.Executor:
    opts = slurm_options(slurm)
    if launcher == "local":
        executor = submitit.LocalExecutor(folder=folder)
        # submitit hides the GPUs from local tasks unless asked: gpus_per_task N shows GPUs 0..N-1 to every shard
        executor.update_parameters(timeout_min=opts.get("timeout_min", DEFAULT_TIMEOUT_MIN),
                                   gpus_per_node=opts.get("gpus_per_task", 0))
        return executor
    try:
        executor = submitit.SlurmExecutor(folder=folder)
    except RuntimeError as exc:
        raise RuntimeError(f"--launcher slurm needs a SLURM login node (srun, sbatch and sacct on PATH): {exc}") from None
    executor.update_parameters(**slurm_parameters(slurm, stage, tasks))
    return executor


@contextmanager
def _tasks_see_this_clone() -> Iterator[None]:
    """Local tasks inherit this process's environment when submitted: put
    this clone's src/ first on their PYTHONPATH (SLURM tasks get it from the
    sbatch script's setup line)."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC)] + ([old] if old else []))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


class _Job:
    """A submitted shard's job: one submitted now (a submitit job) or one
    recorded in ``jobs.json`` by an earlier call."""

    def __init__(self, launcher: str, job_id: str, folder: Path, submitted_at: float,
                 job: submitit.Job | None = None):
        self.launcher, self.job_id, self.folder, self.submitted_at = launcher, job_id, folder, submitted_at
        self.job = job
        if job is None and launcher == "slurm":
            self.job = submitit.SlurmJob(folder=folder, job_id=job_id)

    def active(self) -> bool:
        """Still queued or running (a SLURM job: as of the last :func:`_ask_scheduler`)."""
        if self.launcher == "local" and self.job is None:  # started by an earlier call: is its controller alive?
            return _local_controller_alive(int(self.job_id))
        if self.launcher == "local":
            return not self.job.done()
        if self.job.paths.result_pickle.exists():
            return False
        state = (self.job.watcher.get_state(self.job_id, mode="cache").split() or ["UNKNOWN"])[0].upper()
        # sacct does not list a job at once: "UNKNOWN" right after submission means queued
        return state in ACTIVE_SLURM_STATES or (state == "UNKNOWN" and time.time() - self.submitted_at < 300)

    def error(self) -> str:
        """Why the job ended without finishing its shard, in a line, with its log."""
        from submitit.core.utils import JobPaths, pickle_load

        paths = JobPaths(self.folder, self.job_id, task_id=0)
        if paths.result_pickle.exists():
            outcome, result = pickle_load(paths.result_pickle)
            if outcome == "error":
                lines = [ln for ln in str(result).strip().splitlines() if ln.strip()]
                return f"{lines[-1] if lines else 'failed'} (log: {paths.stderr})"
            return f"job finished but its shard is incomplete (log: {paths.stderr})"
        return f"job ended without a result: killed, out of memory or out of time (log: {paths.stderr})"


def _ask_scheduler(jobs) -> None:
    """One sacct call for all SLURM jobs (submitit otherwise answers from a cache)."""
    if any(j.launcher == "slurm" for j in jobs):
        submitit.SlurmJob.watcher.update()


def _local_controller_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"submitit" in cmdline.read_bytes()


def _read_jobs(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); delete it if no job of it still runs") from None


# --- the entry points ----------------------------------------------------------------------------

def merge_stage(cfg: Config, stage: str):
    """Merge the shards' outputs: the manifests into ``clips/metadata.csv``
    (``generate``), or the embedding chunks into ``synthetic.npz`` (``embed``);
    each marks its stage done when nothing is missing."""
    from .pipeline import merge_embedding, merge_generation

    _check_stage(stage)
    return merge_generation(cfg) if stage == "generate" else merge_embedding(cfg)


def launch_stage(cfg: Config, stage: str, shards: int, launcher: str = "local", wait: bool = True,
                 slurm: dict | None = None, progress: bool = True, folder: str | Path | None = None) -> dict:
    """Run ``stage`` ("generate" or "embed") as ``shards`` array tasks through submitit.

    Task ``i`` runs the stage on shard ``i/shards``. Shards whose items are
    all done are not submitted, nor are those whose job from an earlier call
    is still queued or running (those are waited for); the rest go out as
    one array job. With ``wait`` it shows progress until every job has
    ended, then merges if every shard is done.

    Args:
        launcher: "local" (processes on this machine, submitit's LocalExecutor)
            or "slurm" (one SLURM array job, submitit's SlurmExecutor).
        slurm: any of ``partition, gpus_per_task, cpus_per_task, timeout_min,
            mem_gb`` (``None`` values ignored); see :func:`slurm_parameters`.
        folder: submitit's folder (default ``<run_dir>/launch/<stage>``).
    Returns:
        ``{"stage", "launcher", "shards", "folder", "submitted" (shard
        indices), "job_ids" ({shard: job id} of every shard's latest job),
        "shard_status" (per shard: index, expected, done, state, job_id,
        error, elapsed_s), "items", "expected", "merged", "wall_s",
        "command" (the call to make again to follow or go on)}``; ``state``
        is "done", "running" (queued or running) or "unfinished" (its job
        ended first; ``error`` says why).
    """
    t0 = time.perf_counter()
    _check_stage(stage)
    if launcher not in LAUNCHERS:
        raise ValueError(f"unknown launcher {launcher!r}; choose from {list(LAUNCHERS)} "
                         "(or run the stage without a launcher)")
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards must be an integer >= 1, got {shards!r}")
    slurm_options(slurm)
    files = ShardFiles(cfg, stage, shards)
    backend = _backend_spec(cfg, stage)
    folder = Path(folder) if folder is not None else cfg.run_path / "launch" / stage
    folder.mkdir(parents=True, exist_ok=True)
    jobs_path = folder / "jobs.json"
    record = _read_jobs(jobs_path)
    earlier = {int(i): _Job(record["launcher"], j["job_id"], folder, j["submitted_at"])
               for i, j in record.get("jobs", {}).items()}
    _ask_scheduler(earlier.values())
    running = {i: j for i, j in earlier.items() if j.active()}
    same = (record.get("stage"), record.get("launcher"), record.get("shards")) == (stage, launcher, shards)
    if running and not same:
        ids = ", ".join(sorted({j.job_id for j in running.values()}))
        raise RuntimeError(f"jobs {ids} of an earlier {record.get('shards')}-shard {record.get('launcher')} launch "
                           f"of {record.get('stage')!r} (recorded in {jobs_path}) are still queued or running: "
                           f"wait for them, or cancel them, before launching {shards} shards with {launcher!r}")
    if not same:
        record = {"stage": stage, "launcher": launcher, "shards": shards, "jobs": {}}

    done = files.finished(verify=True)
    todo = [i for i in range(shards) if done[i] < len(files.expected[i]) and i not in running]
    jobs = dict(running)
    if todo:
        executor = _executor(launcher, folder, slurm, stage, len(todo))
        with _tasks_see_this_clone(), executor.batch():
            submitted = [executor.submit(ShardTask(cfg, stage, i, shards, backend)) for i in todo]
        now = time.time()
        for i, job in zip(todo, submitted):
            jobs[i] = _Job(launcher, str(job.job_id), folder, now, job)
            record["jobs"][str(i)] = {"job_id": str(job.job_id), "submitted_at": now,
                                      "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(now))}
        write_json(record, jobs_path)
        log.info("%s: submitted shard(s) %s of %d (%s, jobs %s; logs in %s)", stage, todo, shards, launcher,
                 ", ".join(sorted({j.job_id.split("_")[0] for j in (jobs[i] for i in todo)})), folder)
    if wait and jobs:
        _wait(files, jobs, stage, launcher, progress)
    return _summary(cfg, files, stage, launcher, folder, record, jobs, todo, wait, t0)


def _wait(files: ShardFiles, jobs: dict[int, _Job], stage: str, launcher: str, progress: bool) -> None:
    """Until every job has ended: a bar over all items, each shard's count
    beside it (up to 8 shards, else a tally), and a line when a job ends."""
    from tqdm.auto import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    total = sum(len(e) for e in files.expected)
    bar = tqdm(total=total, unit="item", desc=f"{stage} x{files.count} ({launcher})", disable=not progress)
    pending = dict(jobs)
    try:
        with logging_redirect_tqdm():
            while True:
                _ask_scheduler(pending.values())
                ended = [i for i, j in pending.items() if not j.active()]
                counts = files.finished()
                for i in ended:
                    del pending[i]
                    log.info("%s shard %d/%d: job %s ended, %d of %d done", stage, i, files.count, jobs[i].job_id,
                             counts[i], len(files.expected[i]))
                bar.n = sum(counts)
                if files.count <= 8:
                    bar.set_postfix_str(" ".join(f"{c}/{len(e)}" for c, e in zip(counts, files.expected)),
                                        refresh=False)
                else:
                    complete = sum(c == len(e) for c, e in zip(counts, files.expected))
                    bar.set_postfix_str(f"shards done {complete}/{files.count}, jobs running {len(pending)}",
                                        refresh=False)
                bar.refresh()
                if not pending:
                    break
                time.sleep(POLL_S[launcher])
    except KeyboardInterrupt:
        log.warning("stopped waiting; the %s jobs go on: make the same call again to follow them", launcher)
        raise
    finally:
        bar.close()


def _summary(cfg: Config, files: ShardFiles, stage: str, launcher: str, folder: Path, record: dict,
             jobs: dict[int, _Job], todo: list[int], wait: bool, t0: float) -> dict:
    done = files.finished(verify=True)
    if wait:
        _ask_scheduler(jobs.values())
    rows = []
    for i in range(files.count):
        job = jobs.get(i)
        expected = len(files.expected[i])
        row = {"index": i, "expected": expected, "done": done[i], "state": "done", "error": None,
               "job_id": record["jobs"].get(str(i), {}).get("job_id"),
               "elapsed_s": files.profile(i).get("elapsed_s")}
        if done[i] < expected:
            if job is not None and (not wait or job.active()):
                row["state"] = "running"
            else:
                row["state"] = "unfinished"
                if job is not None:
                    row["error"] = job.error()
                    log.warning("%s shard %d/%d unfinished (%d of %d): %s", stage, i, files.count, done[i],
                                expected, row["error"])
        rows.append(row)
    merged = all(r["state"] == "done" for r in rows)
    if merged:
        merge_stage(cfg, stage)
    command = (f"./synthmir {stage} --profile {cfg.profile} --run-dir {shlex.quote(cfg.run_dir)} "
               f"--launcher {launcher} --shards {files.count}")
    return {"stage": stage, "launcher": launcher, "shards": files.count, "folder": str(folder),
            "submitted": todo, "job_ids": {r["index"]: r["job_id"] for r in rows if r["job_id"]},
            "shard_status": rows, "items": sum(done), "expected": sum(len(e) for e in files.expected),
            "merged": merged, "waited": wait, "wall_s": round(time.perf_counter() - t0, 3), "command": command}


def _check_stage(stage: str) -> None:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r} for a launcher; choose from {list(STAGES)} "
                         "(prompts, train and evaluate run in one process)")
