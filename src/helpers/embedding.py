"""Stage 3: clips -> fixed-size embeddings, through an embedder backend.

A backend is an :class:`Embedder` subclass registered by name (``musicnn``,
``passt``), in the spirit of the HEAR protocol: load a model, then turn a
batch of equal-length clips into one vector each.
"""

from __future__ import annotations

import abc
from typing import Sequence

import numpy as np

from .audio import resample, to_mono
from .registry import Registry


class Embedder(abc.ABC):
    """Base class of every embedder backend.

    Subclasses fill in :attr:`sample_rate`, :attr:`dim` and
    :meth:`embed_batch`; resampling of other input rates is done here.
    """

    name: str = ""

    @property
    @abc.abstractmethod
    def sample_rate(self) -> int:
        """Rate the model expects, in Hz."""

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Length of one embedding vector."""

    @abc.abstractmethod
    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """Embed equal-length clips.

        Args:
            batch: float32 array ``(n_clips, n_samples)`` at :attr:`sample_rate`.
        Returns:
            float32 array ``(n_clips, dim)``.
        """

    def prepare(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """Mono float32 at the model's rate."""
        return resample(to_mono(audio), sr, self.sample_rate)

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """Embed one clip of any rate: ``(n_samples,)`` -> ``(dim,)``."""
        return self.embed_batch(self.prepare(audio, sr)[None, :])[0]

    def embed_many(self, clips: Sequence[np.ndarray], sr: int, batch_size: int = 16) -> np.ndarray:
        """Embed clips of one rate, batching those of equal length: ``(n, dim)``."""
        prepared = [self.prepare(c, sr) for c in clips]
        out = np.zeros((len(prepared), self.dim), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for i, c in enumerate(prepared):
            by_len.setdefault(len(c), []).append(i)
        for idx in by_len.values():
            for s in range(0, len(idx), batch_size):
                chunk = idx[s:s + batch_size]
                out[chunk] = self.embed_batch(np.stack([prepared[i] for i in chunk]))
        return out

    def describe(self) -> dict:
        return {"backend": self.name, "sample_rate": self.sample_rate, "dim": self.dim}


EMBEDDERS: Registry[Embedder] = Registry("embedder")
EMBEDDERS.register("musicnn", "helpers.musicnn:MusicnnEmbedder")
EMBEDDERS.register("passt", "helpers.passt:PasstEmbedder")


def load_embedder(name: str = "musicnn", **options) -> Embedder:
    """Build the embedder backend registered as ``name`` with ``options``."""
    return EMBEDDERS.get(name)(**options)
