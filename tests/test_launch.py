"""The launcher: shards as submitit jobs (local processes here; SLURM with stand-in commands), resume, merge."""

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.config import load_config
from helpers.data import take_shard
from helpers.embedding import load_embeddings
from helpers.errors import StageError
from helpers.launch import SRC, launch_stage, merge_stage, slurm_parameters
from helpers.pipeline import (embedding_dir, load_prompts, run_embedding, run_generation, run_prompts,
                              training_data)

import launch_backends
from conftest import SpectrumEmbedder

TESTS = Path(__file__).resolve().parent
TONE = {"generation.backend": "dying-tone", "generation.duration_s": 2.0, "generation.options": {},
        "generation.batch_size": 1}


def make_run(tmp_path, name, prompts=True, **overrides):
    """A smoke-profile run with 2 clips per genre (10 clips) in tmp_path/name."""
    cfg = load_config("smoke", {"generation.workers": 1, **overrides}, run_dir=str(tmp_path / name),
                      clips_per_genre=2)
    if prompts:
        run_prompts(cfg)
    return cfg


def clips_of(cfg):
    """Manifest and the bytes of every clip, for a clip-for-clip comparison."""
    folder = cfg.run_path / "clips"
    wavs = {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.wav")}
    return pd.read_csv(folder / "metadata.csv"), wavs


@pytest.fixture
def shards_see_tests(monkeypatch):
    """The shards' processes import the test backends from tests/."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in [str(TESTS), os.environ.get("PYTHONPATH")] if p))


def test_three_local_shards_equal_an_unsharded_run(tmp_path):
    ref = make_run(tmp_path, "ref")
    run_generation(ref, progress=False)
    cfg = make_run(tmp_path, "sharded")
    summary = launch_stage(cfg, "generate", 3, launcher="local", progress=False)
    assert summary["submitted"] == [0, 1, 2] and summary["merged"]
    assert [(r["state"], r["done"], r["expected"]) for r in summary["shard_status"]] == [
        ("done", 4, 4), ("done", 3, 3), ("done", 3, 3)]
    (m_ref, w_ref), (m_run, w_run) = clips_of(ref), clips_of(cfg)
    pd.testing.assert_frame_equal(m_run, m_ref)
    assert w_run == w_ref and len(w_run) == 10
    assert (cfg.run_path / "clips" / ".done").exists()
    for i in range(3):  # each shard its own profile, none overwritten
        assert (cfg.run_path / "clips" / f"profile.shard-{i:04d}-of-0003.json").exists()
    assert list((cfg.run_path / "launch" / "generate").glob("*_log.out"))  # submitit's logs in the run folder

    again = launch_stage(cfg, "generate", 3, launcher="local", progress=False)
    assert again["submitted"] == [] and again["merged"]


def test_a_killed_shard_alone_is_resubmitted_and_the_result_equals_an_unsharded_run(tmp_path, monkeypatch,
                                                                                    shards_see_tests):
    ref = make_run(tmp_path, "ref", **TONE)
    run_generation(ref, progress=False)
    cfg = make_run(tmp_path, "run", **TONE)
    victim = take_shard(load_prompts(cfg), (1, 3))["id"].iloc[2]  # shard 1 dies before its third clip
    monkeypatch.setenv(launch_backends.DIE_AT, victim)

    first = launch_stage(cfg, "generate", 3, launcher="local", progress=False)
    states = [r["state"] for r in first["shard_status"]]
    assert states == ["done", "unfinished", "done"] and not first["merged"]
    assert first["shard_status"][1]["done"] < 3 and "without a result" in first["shard_status"][1]["error"]
    assert not (cfg.run_path / "clips" / ".done").exists()
    shard0 = {p: p.stat().st_mtime_ns for p in (cfg.run_path / "clips").rglob("*.wav")
              if p.stem in set(take_shard(load_prompts(cfg), (0, 3))["id"])}

    monkeypatch.delenv(launch_backends.DIE_AT)
    second = launch_stage(cfg, "generate", 3, launcher="local", progress=False)
    assert second["submitted"] == [1] and second["merged"]
    assert second["job_ids"][0] == first["job_ids"][0] and second["job_ids"][1] != first["job_ids"][1]
    assert {p: p.stat().st_mtime_ns for p in shard0} == shard0  # the finished shards were left alone
    (m_ref, w_ref), (m_run, w_run) = clips_of(ref), clips_of(cfg)
    pd.testing.assert_frame_equal(m_run, m_ref)
    assert w_run == w_ref


def fake_slurm(tmp_path, monkeypatch, states: str = "") -> Path:
    """srun, sbatch and sacct stand-ins on PATH; sbatch logs its calls and
    answers job ids 4242, 4243, ...; sacct answers ``states`` (JobID|State lines)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    calls = tmp_path / "sbatch.calls"
    scripts = {
        "srun": "exit 0",
        "sbatch": f'n=$(cat {calls} 2>/dev/null | wc -l); echo "$@" >> {calls}; echo "Submitted batch job $((4242 + n))"',
        "sacct": f"printf 'JobID|State|NodeList\\n{states}'",
    }
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_slurm_one_array_job_with_the_asked_resources_and_no_double_submission(tmp_path, monkeypatch):
    cfg = make_run(tmp_path, "run")
    calls = fake_slurm(tmp_path, monkeypatch)
    slurm = {"partition": "gpu", "gpus_per_task": 1, "cpus_per_task": 8, "timeout_min": 90, "mem_gb": 32}
    s = launch_stage(cfg, "generate", 3, launcher="slurm", wait=False, slurm=slurm, progress=False)
    assert s["job_ids"] == {0: "4242_0", 1: "4242_1", 2: "4242_2"}
    assert [r["state"] for r in s["shard_status"]] == ["running"] * 3 and not s["merged"]
    assert "--launcher slurm --shards 3" in s["command"]
    script = (Path(s["folder"]) / "4242_submission.sh").read_text()
    for line in ["#SBATCH --array=0-2%3", "#SBATCH --partition=gpu", "#SBATCH --gpus-per-node=1",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --time=90", "#SBATCH --mem=32GB", "#SBATCH --nodes=1",
                 "#SBATCH --ntasks-per-node=1", "#SBATCH --job-name=synthmir-generate",
                 f"export PYTHONPATH={SRC}${{PYTHONPATH:+:$PYTHONPATH}}"]:
        assert line in script.splitlines()

    # queued or running: a second call submits nothing
    fake_slurm(tmp_path, monkeypatch, "4242_[0-2]|RUNNING|None\\n")
    s = launch_stage(cfg, "generate", 3, launcher="slurm", wait=False, slurm=slurm, progress=False)
    assert s["submitted"] == [] and len(calls.read_text().splitlines()) == 1
    with pytest.raises(RuntimeError, match=r"jobs 4242_0, 4242_1, 4242_2 of an earlier 3-shard slurm launch .*"
                                           r"still queued or running"):
        launch_stage(cfg, "generate", 4, launcher="slurm", wait=False, slurm=slurm, progress=False)
    # one task failed, the others still run: only that shard goes out again (one task: a plain job)
    fake_slurm(tmp_path, monkeypatch, "4242_0|RUNNING|None\\n4242_1|FAILED|None\\n4242_2|RUNNING|None\\n")
    s = launch_stage(cfg, "generate", 3, launcher="slurm", wait=False, slurm=slurm, progress=False)
    assert s["submitted"] == [1] and s["job_ids"] == {0: "4242_0", 1: "4243", 2: "4242_2"}
    assert len(calls.read_text().splitlines()) == 2


def test_slurm_parameters_map_the_options_and_ignore_none():
    p = slurm_parameters({"partition": "a100", "gpus_per_task": 2, "cpus_per_task": None, "timeout_min": 30.5,
                          "mem_gb": 7.5}, "embed", 16)
    assert {k: p[k] for k in ["partition", "gpus_per_node", "time", "mem", "array_parallelism", "job_name"]} == {
        "partition": "a100", "gpus_per_node": 2, "time": 31, "mem": "7680MB", "array_parallelism": 16,
        "job_name": "synthmir-embed"}
    assert "cpus_per_task" not in p
    assert slurm_parameters(None, "generate", 4)["time"] == 24 * 60  # not submitit's 5 minutes


def test_embedding_shards_merge_into_what_an_unsharded_run_makes_and_train(tmp_path):
    cfg = make_run(tmp_path, "run", **{**TONE, "generation.backend": "tone", "embedding.backend": "spectrum",
                                       "embedding.options": {}, "training.val_fraction": 0.5})
    run_generation(cfg, progress=False)
    run_embedding(cfg, progress=False)
    out = embedding_dir(cfg)
    ref = load_embeddings(out, "synthetic")
    made = (out / "profile.json").read_text()
    run_embedding(cfg, progress=False)  # all done before: the profile of the run that made them stays
    assert (out / "profile.json").read_text() == made
    shutil.rmtree(out)
    for i in range(2):
        run_embedding(cfg, shard=f"{i}/3", progress=False)
    with pytest.raises(StageError, match=r"3 of 10 clips have no embedding .*finish the embedding shards"):
        merge_stage(cfg, "embed")  # shard 2 missing: no partial synthetic.npz
    assert not (out / ".done").exists() and not (out / "synthetic.npz").exists()
    run_embedding(cfg, shard="2/3", progress=False)
    merge_stage(cfg, "embed")
    merged = load_embeddings(out, "synthetic")
    np.testing.assert_array_equal(merged["ids"], ref["ids"])
    np.testing.assert_array_equal(merged["X"], ref["X"])
    assert (out / ".done").exists()
    merge_stage(cfg, "embed")  # again: nothing added, same result
    assert len(list((out / "synthetic.chunks").glob("chunk-*.npz"))) == 3

    class Counting(SpectrumEmbedder):
        calls = 0

        def embed_batch(self, batch):
            Counting.calls += 1
            return super().embed_batch(batch)

    run_embedding(cfg, embedder=Counting(), progress=False)  # unsharded after the merge: nothing to redo
    assert Counting.calls == 0
    emb, labels, tr, va = training_data(cfg)
    assert len(emb["ids"]) == 10 and len(tr) + len(va) == 10


@pytest.mark.parametrize("kwargs, error, match", [
    ({"stage": "train"}, ValueError, r"unknown stage 'train' for a launcher; choose from \['generate', 'embed'\]"),
    ({"launcher": "ray"}, ValueError, r"unknown launcher 'ray'; choose from \['local', 'slurm'\]"),
    ({"shards": 0}, ValueError, "shards must be an integer >= 1, got 0"),
    ({"slurm": {"gpus": 1}}, ValueError, r"unknown slurm option\(s\) \['gpus'\]; known: \['partition'"),
    ({"slurm": {"gpus_per_task": -1}}, ValueError, "slurm gpus_per_task must be an integer >= 0, got -1"),
    ({"slurm": {"timeout_min": 0}}, ValueError, "slurm timeout_min must be a positive number, got 0"),
])
def test_bad_arguments_are_clear_errors(tmp_path, kwargs, error, match):
    cfg = make_run(tmp_path, "run")
    args = {"stage": "generate", "shards": 3, "progress": False, **kwargs}
    with pytest.raises(error, match=match):
        launch_stage(cfg, **args)
    assert not (cfg.run_path / "launch").exists()  # nothing submitted


def test_missing_inputs_are_clear_errors(tmp_path, monkeypatch):
    empty = make_run(tmp_path, "empty", prompts=False)
    with pytest.raises(FileNotFoundError, match=r"prompts\.csv not found: run stage 1"):
        launch_stage(empty, "generate", 3, progress=False)
    cfg = make_run(tmp_path, "run")
    with pytest.raises(FileNotFoundError, match=r"stage 2 is not finished in .*clips: generate"):
        launch_stage(cfg, "embed", 3, progress=False)
    with pytest.raises(ValueError, match="unknown generator backend 'nope'"):
        launch_stage(make_run(tmp_path, "nope", **{"generation.backend": "nope"}), "generate", 2, progress=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no srun here
    with pytest.raises(RuntimeError, match="--launcher slurm needs a SLURM login node"):
        launch_stage(cfg, "generate", 3, launcher="slurm", progress=False)
