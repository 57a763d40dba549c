"""Shared test fixtures: a tiny deterministic generator and embedder."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.embedding import EMBEDDERS, Embedder
from helpers.generation import GENERATORS, Generator

GENRE_FREQ = {"Electronica": 220.0, "Funk": 330.0, "Orchestral": 440.0, "Pop": 550.0, "Rock": 660.0}


class ToneGenerator(Generator):
    """A test backend: a seeded noisy tone per genre at 16 kHz (so the driver resamples)."""

    name = "tone"

    def __init__(self, duration_s: float = 10.0, fail_after: int | None = None, **options):
        super().__init__(duration_s)
        self.fail_after = fail_after
        self.calls = 0

    @property
    def sample_rate(self) -> int:
        return 16000

    def generate_batch(self, requests):
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt("simulated kill")
        out = []
        for r in requests:
            rng = np.random.default_rng(r.seed)
            t = np.arange(int(self.duration_s * self.sample_rate) - 100) / self.sample_rate
            x = 0.3 * np.sin(2 * np.pi * GENRE_FREQ[r.genre] * t) + 0.05 * rng.standard_normal(len(t))
            out.append(x.astype(np.float32))
        return out


class SpectrumEmbedder(Embedder):
    """A test backend: 8 log band energies."""

    name = "spectrum"

    @property
    def sample_rate(self) -> int:
        return 16000

    @property
    def dim(self) -> int:
        return 8

    def embed_batch(self, batch):
        spec = np.abs(np.fft.rfft(batch, axis=1)) ** 2
        bands = np.array_split(spec[:, : spec.shape[1] // 4], 8, axis=1)
        return np.log10(np.stack([b.mean(axis=1) for b in bands], axis=1) + 1e-9).astype(np.float32)


GENERATORS.register("tone", ToneGenerator)
EMBEDDERS.register("spectrum", SpectrumEmbedder)


@pytest.fixture
def tone_cfg():
    from helpers.config import GenerationConfig

    return GenerationConfig(backend="tone", duration_s=2.0, sample_rate=32000, batch_size=3, workers=1)


# --- the smoke study, run once per session (tests/test_notebooks.py, tests/test_browser.py) -----

@pytest.fixture(scope="session")
def smoke_study(tmp_path_factory):
    """``./run_all.sh --profile smoke`` as the README shows it, on a tiny real benchmark
    (25 s symbolic tracks with unseen seeds, plus one too short to use), with
    reports in a temporary folder. Returns a namespace: ``run``, ``reports``,
    ``real``, ``output`` (what the terminal showed), ``returncode``."""
    import os
    import subprocess
    from pathlib import Path
    from types import SimpleNamespace

    import soundfile as sf

    from helpers.generation import ClipRequest, load_generator

    root = Path(__file__).resolve().parents[1]
    tmp = tmp_path_factory.mktemp("smoke")
    real = tmp / "real"
    gen = load_generator("symbolic", duration_s=25.0)
    for genre in GENRE_FREQ:
        reqs = [ClipRequest(f"{genre}-{i}", genre, "a test track", f"A {genre} track.", 10_000 + i) for i in range(2)]
        for r, audio in zip(reqs, gen.generate_batch(reqs)):
            (real / genre.lower()).mkdir(parents=True, exist_ok=True)
            sf.write(real / genre.lower() / f"{r.id}.wav", audio, gen.sample_rate)
    sf.write(real / "rock" / "too-short.wav", np.zeros(16000, np.float32) + 0.1, 16000)

    env = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "SYNTHMIR_PROGRESS")}
    env["SYNTHMIR_PROGRESS_INTERVAL"] = "0"  # a line per update: the terminal test sees lines however fast the run
    proc = subprocess.run(["bash", str(root / "run_all.sh"), "--profile", "smoke", "-p", "run_dir", str(tmp / "run"),
                           "-p", "real_data", str(real), "--reports", str(tmp / "reports")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    return SimpleNamespace(run=tmp / "run", reports=tmp / "reports", real=real, tmp=tmp,
                           output=proc.stdout + proc.stderr, stdout=proc.stdout, returncode=proc.returncode)
