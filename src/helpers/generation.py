"""Stage 2: prompts -> 10 s mono clips, through a generator backend.

A backend is a :class:`Generator` subclass registered by name (``symbolic``,
``musicgen``, ``audiocraft``). :func:`generate_clips` drives any of them: it
batches pending prompts, post-processes (mono, target rate, exact length,
loudness), writes each clip atomically and keeps a manifest, so a killed run
resumes with nothing lost or duplicated.
"""

from __future__ import annotations

import abc
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

from .audio import fix_length, normalize_loudness, resample, to_mono, wav_is_valid, write_wav_atomic
from .registry import Registry


@dataclass(frozen=True)
class ClipRequest:
    """One clip to make: a row of the prompts table."""

    id: str
    genre: str
    description: str
    prompt: str
    seed: int


class Generator(abc.ABC):
    """Base class of every generator backend.

    A backend fills in :attr:`sample_rate` and :meth:`generate_batch`; all
    settings arrive as constructor arguments and are never changed later.
    """

    #: registry name, set by subclasses
    name: str = ""

    def __init__(self, duration_s: float = 10.0, **options):
        if duration_s <= 0:
            raise ValueError(f"duration_s must be positive, got {duration_s}")
        self.duration_s = float(duration_s)

    @property
    @abc.abstractmethod
    def sample_rate(self) -> int:
        """Rate of the audio :meth:`generate_batch` returns, in Hz."""

    @property
    def audio_channels(self) -> int:
        return 1

    @abc.abstractmethod
    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        """Make one clip per request.

        Returns a list of float32 arrays, each ``(n_samples,)`` (mono) or
        ``(n_samples, channels)``, at :attr:`sample_rate`. The audio of a
        request depends only on the request (its prompt and seed) and the
        constructor settings, not on the rest of the batch.
        """

    def describe(self) -> dict:
        """Settings worth recording in the stage's profile."""
        return {"backend": self.name, "duration_s": self.duration_s, "sample_rate": self.sample_rate}


GENERATORS: Registry[Generator] = Registry("generator")
GENERATORS.register("symbolic", "helpers.symbolic:SymbolicGenerator")
GENERATORS.register("musicgen", "helpers.musicgen:MusicGenGenerator")
GENERATORS.register("audiocraft", "helpers.musicgen:AudioCraftGenerator")


def load_generator(name: str, **options) -> Generator:
    """Build the generator backend registered as ``name`` with ``options``."""
    return GENERATORS.get(name)(**options)
