"""The generation stage driver: atomic clips, manifest, resume after a kill, shards."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.data import merge_shard_manifests
from helpers.generation import generate_clips, load_generator
from helpers.prompts import build_prompts, load_descriptions

from conftest import ToneGenerator


@pytest.fixture
def prompts():
    return build_prompts(load_descriptions("builtin"), 3, seed=7)


def digests(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.wav"))}


def test_clips_are_finished_and_listed(prompts, tmp_path, tone_cfg):
    m = generate_clips(prompts, tmp_path, tone_cfg, progress=False)
    assert list(m["id"]) == list(prompts["id"])
    for row in m.itertuples():
        audio, sr = sf.read(tmp_path / row.file_name)
        assert sr == 32000 and audio.ndim == 1 and len(audio) == 64000
        assert np.max(np.abs(audio)) <= 10 ** (-1 / 20) + 1e-3  # peak ceiling, no clipping
        assert abs(row.lufs - tone_cfg.loudness_lufs) < 0.5
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == sorted(prompts["genre"].unique())
    assert not list(tmp_path.rglob("*.tmp*"))


def test_resume_after_interruption_equals_uninterrupted(prompts, tmp_path, tone_cfg):
    ref = tmp_path / "ref"
    generate_clips(prompts, ref, tone_cfg, progress=False)
    run = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        generate_clips(prompts, run, tone_cfg, generator=ToneGenerator(duration_s=2.0, fail_after=2), progress=False)
    partial = pd.read_csv(run / "metadata.csv")
    assert len(partial) == 2 * tone_cfg.batch_size  # two batches survived, listed
    gen = ToneGenerator(duration_s=2.0)
    generate_clips(prompts, run, tone_cfg, generator=gen, progress=False)
    assert gen.calls == -(-(len(prompts) - len(partial)) // tone_cfg.batch_size)  # only the rest was made
    assert digests(run) == digests(ref)
    pd.testing.assert_frame_equal(pd.read_csv(run / "metadata.csv"), pd.read_csv(ref / "metadata.csv"))


def test_orphan_clip_written_before_the_manifest_is_adopted(prompts, tmp_path, tone_cfg):
    generate_clips(prompts, tmp_path, tone_cfg, progress=False)
    full = pd.read_csv(tmp_path / "metadata.csv")
    full.iloc[:-4].to_csv(tmp_path / "metadata.csv", index=False)  # manifest lost its last rows
    gen = ToneGenerator(duration_s=2.0)
    m = generate_clips(prompts, tmp_path, tone_cfg, generator=gen, progress=False)
    assert gen.calls == 0
    pd.testing.assert_frame_equal(m, full)


def test_truncated_clip_is_remade(prompts, tmp_path, tone_cfg):
    generate_clips(prompts, tmp_path, tone_cfg, progress=False)
    before = digests(tmp_path)
    victim = tmp_path / pd.read_csv(tmp_path / "metadata.csv")["file_name"][0]
    victim.write_bytes(victim.read_bytes()[:1000])
    generate_clips(prompts, tmp_path, tone_cfg, progress=False)
    assert digests(tmp_path) == before


def test_other_settings_are_refused_not_mixed(prompts, tmp_path, tone_cfg):
    generate_clips(prompts.iloc[:3], tmp_path, tone_cfg, progress=False)
    tone_cfg.loudness_lufs = -23.0
    with pytest.raises(RuntimeError, match="other settings.*loudness_lufs"):
        generate_clips(prompts, tmp_path, tone_cfg, progress=False)
    assert len(pd.read_csv(tmp_path / "metadata.csv")) == 3  # nothing lost


def test_shards_split_without_overlap_and_merge(prompts, tmp_path, tone_cfg):
    ref = tmp_path / "ref"
    generate_clips(prompts, ref, tone_cfg, progress=False)
    run = tmp_path / "run"
    parts = [generate_clips(prompts, run, tone_cfg, shard=f"{i}/3", progress=False) for i in range(3)]
    ids = [set(p["id"]) for p in parts]
    assert sum(len(s) for s in ids) == len(prompts) and set.union(*ids) == set(prompts["id"])
    merged = merge_shard_manifests(run, "metadata")
    assert digests(run) == digests(ref)
    pd.testing.assert_frame_equal(merged, pd.read_csv(ref / "metadata.csv").sort_values("id").reset_index(drop=True))


def test_sigkill_then_rerun_gives_the_same_result(tmp_path):
    """A real kill -9 in the middle of a run, then a re-run."""
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import numpy as np
        from conftest import ToneGenerator
        from helpers.config import GenerationConfig
        from helpers.generation import generate_clips
        from helpers.prompts import build_prompts, load_descriptions

        class Slow(ToneGenerator):
            def generate_batch(self, requests):
                time.sleep(float(sys.argv[2]))
                return super().generate_batch(requests)

        cfg = GenerationConfig(backend="tone", duration_s=2.0, batch_size=2)
        prompts = build_prompts(load_descriptions("builtin"), 4, seed=3)
        generate_clips(prompts, sys.argv[1], cfg, generator=Slow(duration_s=2.0), progress=False)
    """))
    ref, run = tmp_path / "ref", tmp_path / "run"
    subprocess.run([sys.executable, str(script), str(ref), "0"], check=True)
    proc = subprocess.Popen([sys.executable, str(script), str(run), "0.3"])
    deadline = time.time() + 60
    while time.time() < deadline:
        if (run / "metadata.csv").exists() and len(pd.read_csv(run / "metadata.csv")) >= 4:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert len(pd.read_csv(run / "metadata.csv")) < 20
    subprocess.run([sys.executable, str(script), str(run), "0"], check=True)
    assert digests(run) == digests(ref)
    pd.testing.assert_frame_equal(pd.read_csv(run / "metadata.csv"), pd.read_csv(ref / "metadata.csv"))
    assert not list(run.rglob("*.tmp*")) or all(p.stat().st_size >= 0 for p in run.rglob("*.tmp*"))


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown generator backend 'nope'; known:.*symbolic"):
        load_generator("nope")


def test_symbolic_backend_same_config_same_bytes(tmp_path):
    from helpers.config import GenerationConfig

    prompts = build_prompts(load_descriptions("builtin"), 1, seed=11)
    cfg = GenerationConfig(backend="symbolic", duration_s=3.0, batch_size=2, options={"soundfonts": "auto"})
    a = generate_clips(prompts, tmp_path / "a", cfg, progress=False)
    b = generate_clips(prompts, tmp_path / "b", cfg, progress=False)
    assert digests(tmp_path / "a") == digests(tmp_path / "b") and len(digests(tmp_path / "a")) == 5
    pd.testing.assert_frame_equal(a, b)
    assert (a["peak_dbfs"] <= -1.0 + 1e-3).all() and (a["lufs"] <= cfg.loudness_lufs + 0.1).all()
    # each clip reaches the target, or stops short of it because its peak reached the ceiling
    short = a["lufs"] < cfg.loudness_lufs - 0.5
    assert (a.loc[short, "peak_dbfs"] > -1.0 - 0.05).all()


def test_a_silent_clip_is_an_error_naming_it_and_earlier_batches_stay_listed(prompts, tmp_path, tone_cfg):
    class SilentFifth(ToneGenerator):
        def generate_batch(self, requests):
            out = super().generate_batch(requests)
            return [np.zeros_like(a) if r.id == prompts["id"][4] else a for r, a in zip(requests, out)]

    with pytest.raises(RuntimeError, match=f"returned silence for clip '{prompts['id'][4]}'"):
        generate_clips(prompts, tmp_path, tone_cfg, generator=SilentFifth(duration_s=2.0), progress=False)
    listed = pd.read_csv(tmp_path / "metadata.csv")
    assert set(prompts["id"][:3]) <= set(listed["id"])  # the first batch, complete and listed
    assert prompts["id"][4] not in set(listed["id"])
    for f in listed["file_name"]:  # whatever is listed is on disk and whole
        assert sf.info(tmp_path / f).frames == 64000
