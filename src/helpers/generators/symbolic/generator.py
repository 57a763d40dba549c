"""The ``symbolic`` generator backend: arrangement -> MIDI -> audio."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...generation import ClipRequest, Generator
from .arrange import Arrangement, arrange
from .produce import synthesize
from .render import (
    DEFAULT_MAX_VOICES,
    SoundFontCache,
    _soundfont_identity,
    resolve_soundfonts,
)


class SymbolicGenerator(Generator):
    """The offline ``symbolic`` backend: arrangement -> MIDI -> General MIDI SoundFont audio.

    Options: ``soundfonts`` (``"auto"``: TimGM6mb plus FluidR3_GM when
    installed, or a path / list of paths; each clip's SoundFont is drawn from
    its seed), ``sample_rate`` (default 32000, rendered directly) and
    ``max_voices`` (polyphony cap of the synthesizer). Each SoundFont is loaded
    once per instance.
    """

    name = "symbolic"

    def __init__(self, duration_s: float = 10.0, soundfonts: str | Sequence[str] = "auto",
                 sample_rate: int = 32000, max_voices: int = DEFAULT_MAX_VOICES, **options: Any):
        if options:
            raise TypeError(f"unknown option(s) for the symbolic generator: {', '.join(sorted(options))}; "
                            "known: soundfonts, sample_rate, max_voices")
        super().__init__(duration_s=duration_s)
        if int(sample_rate) <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if int(max_voices) < 8:
            raise ValueError(f"max_voices must be at least 8, got {max_voices}")
        self._sample_rate = int(sample_rate)
        self.soundfonts = resolve_soundfonts(soundfonts)
        self.max_voices = int(max_voices)
        self._cache = SoundFontCache(self._sample_rate, self.max_voices)

    @property
    def sample_rate(self) -> int:
        return self._sample_rate

    def arrangement(self, request: ClipRequest) -> Arrangement:
        """The arrangement this generator makes for ``request`` (for manifests and notebooks)."""
        text = request.description if request.description else request.prompt
        return arrange(request.genre, text, request.seed, soundfonts=self.soundfonts, duration_s=self.duration_s)

    def generate_one(self, request: ClipRequest) -> np.ndarray:
        """Render one request: mono float32, ``duration_s`` long, at :attr:`sample_rate`."""
        arr = self.arrangement(request)
        return synthesize(arr, self.duration_s, self._sample_rate, cache=self._cache)

    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        return [self.generate_one(r) for r in requests]

    @classmethod
    def output_identity(cls, options: dict) -> dict:
        """The SoundFont files the ``soundfonts`` option resolves to here (names and sizes)."""
        return {"soundfonts": _soundfont_identity(resolve_soundfonts(options.get("soundfonts", "auto")))}

    def describe(self) -> dict:
        info = super().describe()
        info.update(
            soundfonts=_soundfont_identity(self.soundfonts),
            max_voices=self.max_voices,
        )
        return info
