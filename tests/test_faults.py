"""Fault injection: every bad setting, fault or race ends in the right result or a named error.

Each test is one case of issue 20: a bad value for each numeric setting,
two writers in one run folder (real processes), a kill during embedding, a
full disk (a file-size limit), a clip cut short after its stage finished, a
benchmark with no usable track, a failed shard, file names that are not
UTF-8 or loop, and malformed ``--set`` values.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.config import ConfigError, allowed_range, leaf_fields, load_config, stage_of

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent

#: a stage CLI in a fresh process that knows the test backends (tone, slow-tone, spectrum)
DRIVER = ("import sys; sys.path.insert(0, {tests!r}); import launch_backends; "
          "from helpers.pipeline import main; sys.exit(main(sys.argv[1:]))")
#: the test backends at toy size: 2 s clips of 5 genres x 2
TOY = ["--profile", "smoke", "--clips-per-genre", "3", "--set", "generation.backend=tone",
       "--set", "generation.duration_s=2", "--set", "generation.workers=1", "--set", "generation.options={}",
       "--set", "embedding.backend=spectrum", "--set", "embedding.options={}", "--set", "training.spread_seeds=0"]


def stage_cli(*args, env=None, preexec_fn=None, wait=True):
    cmd = [sys.executable, "-c", DRIVER.format(tests=str(TESTS)), *args]
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(TESTS)]),
                "SYNTHMIR_PROGRESS": "off", **(env or {})}
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=preexec_fn)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=600)
    proc.out, proc.err = out, err
    return proc


def toy(run: Path, *extra) -> list[str]:
    return [*TOY, "--run-dir", str(run), *extra]


# --- 1. settings validated once, at load --------------------------------------------------------

RANGED = [(k, f) for k, f in leaf_fields() if allowed_range(f)]


def _outside(f: dataclasses.Field) -> list:
    m, out = f.metadata, []
    if m.get("ge") is not None:
        out.append(m["ge"] - 1)
    if m.get("gt") is not None:
        out.append(m["gt"] - (1 if isinstance(m["gt"], int) and m["gt"] >= 1 else 0))
    if m.get("le") is not None:
        out.append(m["le"] * 2 + 1)
    if m.get("lt") is not None:
        out.append(m["lt"])
    return out


@pytest.mark.parametrize("key, f", RANGED, ids=[k for k, _ in RANGED])
def test_every_numeric_setting_refuses_values_out_of_its_range(key, f):
    assert _outside(f), key
    for value in _outside(f):
        with pytest.raises(ConfigError) as err:
            load_config("smoke", {key: value}, "--set")
        message = str(err.value)
        assert key in message and repr(value) in message and "--set" in message and "allowed:" in message, message


def test_every_setting_is_typed_and_ranged_or_not_a_number():
    """Each int or float setting has a range; the rest are strings, flags, lists or mappings."""
    import typing

    from helpers.config import Config

    def numeric(tp):
        return tp in (int, float) or any(a in (int, float) for a in typing.get_args(tp))

    hints = {}
    for cls in (Config, *[type(getattr(Config(), s)) for s in ("prompts", "generation", "embedding", "training", "evaluation",
                                                              "task")]):
        hints.update({(cls, k): v for k, v in typing.get_type_hints(cls).items()})
    unranged = [k for k, f in leaf_fields() if numeric(next(v for (c, n), v in hints.items() if n == f.name))
                and not allowed_range(f)]
    assert unranged == []


@pytest.mark.parametrize("key, value, message", [
    ("embedding.batch_size", -1, "embedding.batch_size (from --set embedding.batch_size=-1): -1 is out of range; allowed: >= 1"),
    ("generation.batch_size", -4, "allowed: >= 1"),
    ("generation.batch_size", 0, "allowed: >= 1"),
    ("prompts.total_clips", -10, "prompts.total_clips (from --set prompts.total_clips=-10): -10 is out of range"),
    ("prompts.total_clips", 0, "prompts.total_clips (from --set prompts.total_clips=0): 0 is out of range"),
])
def test_bad_values_stop_every_stage_with_one_line(tmp_path, capsys, key, value, message):
    from helpers.pipeline import main

    for stage in ("prompts", "generate", "embed"):
        assert main([stage, "--profile", "smoke", "--run-dir", str(tmp_path), "--set", f"{key}={value}"]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "prompts").exists()  # nothing ran


def test_where_a_bad_value_came_from(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "configs" / "smoke.yaml").read_text().replace("batch_size: 16", "batch_size: -3"))
    with pytest.raises(ConfigError, match=rf"embedding.batch_size \(from {bad}\): -3 is out of range"):
        load_config(str(bad))
    with pytest.raises(ConfigError, match=r"prompts.clips_per_genre \(from parameter clips_per_genre\)"):
        load_config("smoke", clips_per_genre=-1)
    with pytest.raises(ConfigError, match=r"^the profile file missing.yaml does not exist"):
        load_config("missing.yaml")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['training.patiense'\] \(from --set"):
        load_config("smoke", {"training.patiense": 3}, "--set")


def test_malformed_set_is_one_line_everywhere(tmp_path, capsys):
    from helpers import cli, pipeline

    for main, argv in ((pipeline.main, ["prompts"]), (cli.main, ["prompts"]), (cli.main, ["generate", "--launcher", "local"])):
        assert main([*argv, "--profile", "smoke", "--run-dir", str(tmp_path), "--set", "genres=[Rock, Pop"]) == 2
        err = capsys.readouterr().err.strip()
        assert "--set 'genres=[Rock, Pop': the value '[Rock, Pop' is not valid YAML" in err, err
        assert len(err.splitlines()) == 1


STAGE_PERTURB = {  # a valid other value for each setting that is not a plain number or flag
    "profile": "other", "run_dir": "runs/other", "genres": ["Rock", "Pop"], "prompts.descriptions": None,
    "generation.backend": "tone", "generation.options": {"x": 1}, "generation.loudness_lufs": [-20.0, -14.0],
    "embedding.backend": "spectrum", "embedding.options": {"x": 1}, "training.device": "cuda",
    "evaluation.real_data": "/data/other", "evaluation.label_map": "identity",
    "prompts.total_clips": 10, "prompts.max_descriptions_per_genre": 3,
    "task.name": "key", "task.model": "key-cnn", "task.baseline": "key-profile", "task.options": {"filters": 4},
    "task.real_data": "jams:/data/other",
}


def _fingerprints(cfg) -> dict:
    """What each stage records as its settings (evaluation records none: it is always redone)."""
    from helpers.generation import generation_settings
    from helpers.pipeline import embedding_settings, prompts_settings, real_dir, training_settings
    from helpers.tasks.study import task_settings

    return {"prompts": prompts_settings(cfg), "generate": generation_settings(cfg.generation),
            "embed": [embedding_settings(cfg), real_dir(cfg).name if cfg.evaluation.real_data else None],
            "train": training_settings(cfg), "task": task_settings(cfg)}


def test_which_settings_change_which_stage(tmp_path):
    """A setting that changes a stage's output is in that stage's recorded settings; one that
    changes only speed or reports (batch sizes, workers, players) is in none."""
    descriptions = tmp_path / "descriptions"
    descriptions.mkdir()
    for g in ("electronica", "funk", "orchestral", "pop", "rock"):
        (descriptions / f"{g}.txt").write_text(f"A {g} description\n")
    STAGE_PERTURB["prompts.descriptions"] = str(descriptions)
    base_cfg = load_config("smoke", {"evaluation.real_data": "/data/x"})
    base = _fingerprints(base_cfg)
    table = {}
    for key, f in leaf_fields():
        default = f.default if f.default is not dataclasses.MISSING else None
        current = base_cfg
        for part in key.split("."):
            current = getattr(current, part)
        if key in STAGE_PERTURB:
            value = STAGE_PERTURB[key]
        elif isinstance(current, bool):
            value = not current
        elif isinstance(current, int):
            value = current + 1 if f.metadata.get("le") is None or current + 1 <= f.metadata["le"] else current - 1
        elif isinstance(current, float):
            value = current / 2 if current else 0.5
        else:
            raise AssertionError(f"no perturbation for {key} ({current!r}, default {default!r})")
        cfg = load_config("smoke", {"evaluation.real_data": "/data/x", key: value})
        changed = tuple(s for s, v in _fingerprints(cfg).items() if v != base[s])
        table[key] = changed
        declared = tuple(s for s in stage_of(key) if s != "evaluate")
        assert changed == declared, f"{key}: changes {changed}, declared {declared}"
    speed_only = sorted(k for k, v in table.items() if not v and not stage_of(k))
    assert speed_only == ["embedding.batch_size", "evaluation.examples_per_genre", "evaluation.max_mistakes",
                          "generation.batch_size", "generation.workers", "profile", "run_dir"]


# --- 2. one writer per run folder --------------------------------------------------------------------

def _wait_for(predicate, timeout=120.0):
    t0 = time.time()
    while not predicate():
        if time.time() - t0 > timeout:
            raise AssertionError("timed out")
        time.sleep(0.1)


def test_two_writers_in_one_run_folder(tmp_path):
    """A second generate (--no-wait) stops, naming the holder; a waiting embed starts only once every
    clip is made, and embeds all of them."""
    run = tmp_path / "run"
    assert stage_cli("prompts", *toy(run)).returncode == 0
    slow = {"SYNTHMIR_TEST_SLOW_S": "1.0"}
    first = stage_cli("generate", *toy(run, "--set", "generation.backend=slow-tone", "--set", "generation.batch_size=2"),
                      env=slow, wait=False)
    holders = run / ".lock.holders"
    _wait_for(lambda: holders.is_dir() and any(holders.iterdir()))
    second = stage_cli("generate", *toy(run, "--set", "generation.backend=slow-tone", "--no-wait"), env=slow)
    assert second.returncode == 2, second.err
    assert f"is in use by PID {first.pid}" in second.err and "generate" in second.err.split("is in use by")[1]
    embed = stage_cli("embed", *toy(run, "--set", "generation.backend=slow-tone"), wait=False)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    e_out, e_err = embed.communicate(timeout=300)
    assert embed.returncode == 0, e_err
    assert "waiting for it" in e_err and f"PID {first.pid}" in e_err
    assert "15 synthetic embeddings" in e_out
    done = json.loads((run / "clips" / ".done").read_text())
    assert done["clips"] == 15 and len(pd.read_csv(run / "clips" / "metadata.csv")) == 15
    assert not any(holders.iterdir())  # every holder said goodbye


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    from helpers.errors import RunFolderBusy
    from helpers.locking import run_lock

    code = ("import sys, time; sys.path.insert(0, {src!r}); from helpers.locking import run_lock\n"
            "with run_lock({run!r}):\n    print('held', flush=True); time.sleep(60)\n").format(src=str(ROOT / "src"), run=str(tmp_path))
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunFolderBusy, match=rf"in use by PID {holder.pid} on .*python -c"):
        with run_lock(tmp_path, wait=False):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_lock(tmp_path, wait=False):  # the kernel dropped the lock with its holder
        assert [p.name for p in (tmp_path / ".lock.holders").iterdir()] == [f".lock.{os.getpid()}.json"]


def test_shards_lock_their_own_index(tmp_path):
    from helpers.errors import RunFolderBusy
    from helpers.locking import stage_lock

    code = ("import sys, time; sys.path.insert(0, {src!r}); from helpers.locking import stage_lock\n"
            "with stage_lock({run!r}, 'generate', (0, 2)):\n    print('held', flush=True); time.sleep(60)\n"
            ).format(src=str(ROOT / "src"), run=str(tmp_path))
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with stage_lock(tmp_path, "generate", (1, 2), wait=False):  # another shard: side by side
            pass
        with pytest.raises(RunFolderBusy, match="generate shard 0/2"):  # the same index: refused
            with stage_lock(tmp_path, "generate", (0, 2), wait=False):
                pass
        with pytest.raises(RunFolderBusy, match="in use by PID"):  # an unsharded writer: refused
            with stage_lock(tmp_path, "merge", wait=False):
                pass
    finally:
        holder.kill()
        holder.wait()


# --- 3. done means verified ---------------------------------------------------------------------------

@pytest.fixture
def toy_run(tmp_path):
    run = tmp_path / "run"
    for stage in ("prompts", "generate"):
        p = stage_cli(stage, *toy(run))
        assert p.returncode == 0, p.err
    return run


def test_a_clip_cut_short_after_its_stage_is_named_and_remade_alone(toy_run, capsys):
    from helpers.pipeline import main

    clips = sorted((toy_run / "clips").rglob("*.wav"))
    victim = clips[3]
    with open(victim, "r+b") as fh:
        fh.truncate(victim.stat().st_size // 2)
    before = {p: p.stat().st_mtime_ns for p in clips if p != victim}
    p = stage_cli("embed", *toy(toy_run))
    assert p.returncode == 2 and victim.name in p.err and "cut short" in p.err, p.err
    assert not (toy_run / "embeddings" / "spectrum" / "synthetic.npz").exists()
    p = stage_cli("generate", *toy(toy_run))
    assert p.returncode == 0 and victim.name in p.err, p.err   # the warning names it
    assert {q: q.stat().st_mtime_ns for q in before} == before  # the others were kept as they were
    p = stage_cli("embed", *toy(toy_run))
    assert p.returncode == 0, p.err


def test_zero_embeddings_are_refused(toy_run):
    """Embeddings made wrong (all zeros, as a batch size of -1 once wrote) are never trained on."""
    from helpers.data import save_npz

    assert stage_cli("embed", *toy(toy_run)).returncode == 0
    folder = toy_run / "embeddings" / "spectrum"
    with np.load(folder / "synthetic.npz") as z:
        parts = {k: z[k] for k in z.files}
    parts["X"][2] = 0
    save_npz(folder / "synthetic.npz", **parts)
    p = stage_cli("train", *toy(toy_run))
    assert p.returncode == 2 and "changed after stage 3 finished" in p.err, p.err
    chunk = sorted((folder / "synthetic.chunks").glob("chunk-*.npz"))[0]
    with np.load(chunk) as z:
        parts = {k: z[k] for k in z.files}
    parts["X"][:] = 0
    save_npz(chunk, **parts)
    p = stage_cli("embed", *toy(toy_run))  # the bad chunk is set aside and its clips embedded again
    assert p.returncode == 0 and "set aside" in p.err, p.err
    p = stage_cli("train", *toy(toy_run))
    assert p.returncode == 0, p.err


def test_a_changed_seed_remakes_the_clips(tmp_path):
    """Same clip ids, other seeds (one description per genre: every seed gives the same ids): no clip
    of the old table is kept, and the embeddings follow."""
    descriptions = tmp_path / "descriptions"
    descriptions.mkdir()
    for g in ("electronica", "funk", "orchestral", "pop", "rock"):
        (descriptions / f"{g}.txt").write_text(f"A {g} description\n")
    run, fresh = tmp_path / "run", tmp_path / "fresh"
    own = ("--set", f"prompts.descriptions={descriptions}")
    for stage in ("prompts", "generate", "embed"):
        assert stage_cli(stage, *toy(run, *own)).returncode == 0
    old = pd.read_csv(run / "clips" / "metadata.csv")
    for folder in (run, fresh):
        for stage in ("prompts", "generate", "embed"):
            p = stage_cli(stage, *toy(folder, *own, "--set", "seed=7"))
            assert p.returncode == 0, p.err
    new = pd.read_csv(run / "clips" / "metadata.csv")
    assert list(new["id"]) == list(old["id"]) and not set(new["seed"]) & set(old["seed"])
    assert new.equals(pd.read_csv(fresh / "clips" / "metadata.csv"))
    with np.load(run / "embeddings/spectrum/synthetic.npz") as a, np.load(fresh / "embeddings/spectrum/synthetic.npz") as b:
        assert np.array_equal(a["X"], b["X"]) and list(a["ids"]) == list(b["ids"])


# --- a kill during embedding, a full disk ------------------------------------------------------------

def test_a_kill_during_embedding_resumes_to_the_same_result(tmp_path):
    """SIGKILL after some chunks of several: the re-run embeds only the rest, and the result equals
    an uninterrupted run's."""
    from conftest import SpectrumEmbedder

    from helpers.embedding import embed_files

    wavs = tmp_path / "wavs"
    wavs.mkdir()
    import soundfile as sf

    rng = np.random.default_rng(0)
    for i in range(12):
        sf.write(wavs / f"c{i:02d}.wav", (0.1 * rng.standard_normal(16000)).astype(np.float32), 16000)
    items = pd.DataFrame({"id": [f"c{i:02d}" for i in range(12)], "path": [str(wavs / f"c{i:02d}.wav") for i in range(12)]})
    ref = embed_files(items, tmp_path / "ref", "synthetic", SpectrumEmbedder(), chunk_size=2, progress=False)
    code = (f"import sys, time; sys.path[:0] = [{str(ROOT / 'src')!r}, {str(TESTS)!r}]\n"
            "import pandas as pd; from conftest import SpectrumEmbedder; from helpers.embedding import embed_files\n"
            "class Slow(SpectrumEmbedder):\n    def embed_batch(self, b):\n        time.sleep(0.4); return super().embed_batch(b)\n"
            f"items = pd.DataFrame({items.to_dict('list')!r})\n"
            f"embed_files(items, {str(tmp_path / 'run')!r}, 'synthetic', Slow(), chunk_size=2, progress=False)\n")
    proc = subprocess.Popen([sys.executable, "-c", code])
    chunks = tmp_path / "run" / "synthetic.chunks"
    _wait_for(lambda: len(list(chunks.glob("chunk-*.npz"))) >= 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    made = len(list(chunks.glob("chunk-*.npz")))
    assert 2 <= made < 6
    counter = SpectrumEmbedder()
    calls = []
    counter.embed_batch = lambda b: calls.append(len(b)) or SpectrumEmbedder.embed_batch(counter, b)
    res = embed_files(items, tmp_path / "run", "synthetic", counter, chunk_size=2, progress=False)
    assert sum(calls) == 12 - 2 * made
    assert np.array_equal(res["X"], ref["X"]) and list(res["ids"]) == list(ref["ids"])


def _file_size_limit(limit: int):
    def set_limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


def test_a_full_disk_names_the_path_and_keeps_what_was_made(tmp_path):
    """A file-size limit below one clip: stage 2 stops with one line naming the file and the space
    needed; prompts and the manifest are intact, and a re-run without the limit finishes."""
    run = tmp_path / "run"
    assert stage_cli("prompts", *toy(run)).returncode == 0
    prompts_before = (run / "prompts" / "prompts.csv").read_bytes()
    p = stage_cli("generate", *toy(run), preexec_fn=_file_size_limit(100_000))
    assert p.returncode == 2, p.err
    line = [ln for ln in p.err.splitlines() if "error:" in ln]
    assert len(line) == 1 and "a file-size limit" in line[0] and ".wav" in line[0] and "MB needed" in line[0], p.err
    assert "Traceback" not in p.err
    assert (run / "prompts" / "prompts.csv").read_bytes() == prompts_before
    assert not list((run / "clips").rglob("*.tmp"))  # no half-written file left behind
    p = stage_cli("generate", *toy(run))
    assert p.returncode == 0, p.err


# --- 4. honest exits ------------------------------------------------------------------------------------

def test_a_benchmark_with_no_usable_track_is_an_error(toy_run):
    bench = toy_run.parent / "bench"
    for genre in ("Rock", "Pop"):
        (bench / genre).mkdir(parents=True)
        (bench / genre / "broken.wav").write_bytes(b"RIFF not really a wav")
    p = stage_cli("embed", *toy(toy_run, "--real-data", str(bench)))
    assert p.returncode == 2, p.err
    assert "no usable track in the real benchmark" in p.err and "2 skipped" in p.err and "broken.wav" in p.err
    assert (toy_run / "embeddings" / "spectrum" / "synthetic.npz").exists()  # the synthetic half is kept
    assert stage_cli("train", *toy(toy_run)).returncode == 0
    p = stage_cli("evaluate", *toy(toy_run, "--real-data", str(bench)))
    assert p.returncode == 2 and "no usable track" in p.err, p.err
    assert not (toy_run / "metrics.json").exists()


def test_real_labels_json_counts_every_skip(toy_run):
    import soundfile as sf

    bench = toy_run.parent / "bench"
    for genre in ("Rock", "Pop"):
        (bench / genre).mkdir(parents=True)
        sf.write(bench / genre / "ok.wav", (0.1 * np.random.default_rng(1).standard_normal(3 * 16000)).astype(np.float32), 16000)
        (bench / genre / "broken.wav").write_bytes(b"RIFF")
    p = stage_cli("embed", *toy(toy_run, "--real-data", str(bench), "--set", "evaluation.window_s=2"))
    assert p.returncode == 0, p.err
    summary = json.loads(next((toy_run / "embeddings" / "spectrum").glob("real-*/real.labels.json")).read_text())
    assert summary["skipped"] == 2 and summary["embedded"] == 2


def test_a_failed_shard_fails_the_launcher(tmp_path, monkeypatch, capsys):
    import launch_backends

    from helpers import cli

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT / "src"), str(TESTS)]))
    monkeypatch.setenv("SYNTHMIR_PROGRESS", "off")
    run = tmp_path / "run"
    argv = ["generate", *[a.replace("generation.backend=tone", "generation.backend=dying-tone") for a in toy(run)],
            "--launcher", "local", "--shards", "2"]
    assert stage_cli("prompts", *toy(run)).returncode == 0
    monkeypatch.setenv(launch_backends.DIE_AT, str(pd.read_csv(run / "prompts" / "prompts.csv")["id"].iloc[3]))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "1 of 2 shard(s) of generate are unfinished, so nothing was merged" in err and "shard 1: " in err, err
    assert not (run / "clips" / ".done").exists()
    monkeypatch.delenv(launch_backends.DIE_AT)
    assert cli.main(argv) == 0  # the same command again: only the dead shard, then the merge
    assert json.loads((run / "clips" / ".done").read_text())["clips"] == 15


def test_an_unreadable_shard_manifest_is_named(toy_run, capsys):
    from helpers import cli

    (toy_run / "clips" / "metadata.shard-0000-of-0002.csv").mkdir()
    assert cli.main(["merge", *toy(toy_run)]) == 2
    err = capsys.readouterr().err
    assert "metadata.shard-0000-of-0002.csv: cannot read this manifest" in err and "Traceback" not in err


# --- 5. messages, not tracebacks -----------------------------------------------------------------------

def test_a_passt_checkpoint_error_is_one_line(toy_run):
    garbage = toy_run.parent / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    p = stage_cli("embed", *toy(toy_run, "--set", "embedding.backend=passt",
                                "--set", f"embedding.options={{checkpoint: {garbage}}}"))
    assert p.returncode == 2, p.err
    first = [ln for ln in p.err.splitlines() if "error:" in ln]
    assert len(first) == 1 and "PaSST checkpoint" in first[0] and "garbage.pt" in first[0], p.err
    assert "Traceback" not in p.err


def test_an_unexpected_error_keeps_its_traceback_in_the_run_folder(tmp_path, monkeypatch, capsys):
    from helpers import pipeline

    def boom(cfg):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(pipeline, "run_prompts", boom)
    assert pipeline.main(["prompts", "--profile", "smoke", "--run-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("python -m helpers.pipeline prompts: unexpected error: ZeroDivisionError: a bug (traceback: ")
    log = Path(err.rsplit("(traceback: ", 1)[1].rstrip(")"))
    assert log.parent == tmp_path / "logs" and "raise ZeroDivisionError" in log.read_text()


def test_file_names_that_are_not_utf8_or_loop_are_skipped_and_named(tmp_path):
    import soundfile as sf

    from helpers.benchmarks import list_real_tracks
    from helpers.data import write_csv, write_json

    rock = tmp_path / "bench" / "Rock"
    rock.mkdir(parents=True)
    sf.write(rock / "fine.wav", np.zeros(1600, np.float32) + 0.1, 16000)
    bad = os.fsencode(rock) + b"/caf\xe9.wav"
    with open(bad, "wb") as fh:
        fh.write((rock / "fine.wav").read_bytes())
    os.symlink("b.wav", rock / "a.wav")
    os.symlink("a.wav", rock / "b.wav")
    os.symlink("loop", rock / "loop")
    real = list_real_tracks(tmp_path / "bench", ["Rock", "Pop"], "identity")
    assert list(real.tracks["track_id"]) == ["Rock/fine.wav"]
    reasons = dict(zip(real.skipped["source"], real.skipped["reason"]))
    assert reasons == {"Rock/a.wav": "symlink loop", "Rock/b.wav": "symlink loop", "Rock/loop": "symlink loop",
                       "Rock/caf\\xe9.wav": "file name is not valid UTF-8 (rename the file)"}
    write_csv(real.skipped, tmp_path / "skipped.csv")  # every name can be written
    write_json(real.summary(), tmp_path / "summary.json")
    assert real.summary()["skipped"] == 4


@pytest.mark.slow
def test_run_all_shows_the_notebooks_own_error(tmp_path):
    p = subprocess.run(["bash", str(ROOT / "run_all.sh"), "--profile", "smoke", "-p", "run_dir", str(tmp_path / "run"),
                        "--reports", str(tmp_path / "reports"), "-y", "overrides: {embedding.batch_size: -1}"],
                       capture_output=True, text=True, timeout=600, env={**os.environ, "SYNTHMIR_NO_SOUNDFONT_FETCH": "1"})
    assert p.returncode == 2, p.stderr[-2000:]
    assert ("01_prompts: error: embedding.batch_size (from overrides embedding.batch_size=-1): -1 is out of range; "
            "allowed: >= 1") in p.stderr
    assert "PapermillExecutionError" not in p.stderr and "Traceback" not in p.stderr
    assert "=== 01_prompts stopped" in p.stderr


def test_no_wait_does_not_outlive_its_command(tmp_path, monkeypatch):
    from helpers import cli
    from helpers.locking import NO_WAIT_ENV

    monkeypatch.delenv(NO_WAIT_ENV, raising=False)
    assert cli.main(["prompts", "--profile", "smoke", "--run-dir", str(tmp_path), "--no-wait"]) == 0
    assert NO_WAIT_ENV not in os.environ
