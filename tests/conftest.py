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
