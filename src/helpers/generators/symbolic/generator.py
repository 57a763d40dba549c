"""The ``symbolic`` generator backend: arrangement -> MIDI -> stems -> production -> audio."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...generation import ClipRequest, Generator
from .arrange import OPTION_VALUES, Arrangement, arrange, check_option
from .perform import perform
from .produce import apply_effects, plan_production, produce
from .render import DEFAULT_MAX_VOICES, SoundFontCache, render, render_stems
from .soundfonts import resolve_soundfonts, soundfont_identity
from .styles import genre_style, known_genres

#: options that shape a clip, with their defaults (the production defaults were chosen by the
#: transfer ablation: docs/findings.md, "The transfer ablation")
PRODUCTION_DEFAULTS: dict[str, Any] = {
    "stem_fx": True,          # each part its own stem, effects by instrument family, reverb send
    "master": False,          # bus compressor, tone shelves, limiter (crest factor drawn per genre): off, it
                              # costs 14 points [4, 25] of real-track accuracy in the ablation
    "vocals": True,           # vocal-like lead lines (voice patches, sung phrasing, vibrato)
    "double_guitars": True,   # double-tracked rhythm guitar in Rock and Metal
    "soundfont_per": "part",  # "part": each part draws its SoundFont; "clip": one per clip
    "stem_levels": "calibrated",  # "calibrated": stems at their family's loudness; "font": as the SoundFont plays
    "metal_in_rock": False,   # Rock's sub-styles: metal when the description says so, else drawn (30 %)
    "tone_spread": False,     # a tone tilt drawn per clip (shelves at 80-150 Hz and 3-6 kHz), no compression
    "tempo_spread": "style",  # "style": the genre's tempo range; "wide": stretched to about 60-200 BPM (tempo task)
    "key_spread": "style",    # "style": the genre's keys; "uniform": all 24 keys equally likely (key task)
    "key_modes": "style",     # "style": the genre's modes (mixolydian, dorian); "tonal": major/minor harmony; "mixed": either, per clip
    "texture": "full",        # "full": the band; "solo": the melody alone; "mixed": either, per clip (key task)
}


def synthesize(arrangement: Arrangement, duration_s: float = 10.0, sample_rate: int = 32000, *,
               cache: SoundFontCache | None = None, stem_fx: bool = True, master: bool = True,
               stem_levels: str = "calibrated", tone_spread: bool = False) -> np.ndarray:
    """Arrangement -> mono float32 audio of ``duration_s`` seconds.

    With ``stem_fx``, ``master`` or ``tone_spread`` each instrument is rendered as its own stem
    through its own SoundFont and produced (:func:`produce.produce`); with
    neither, the whole MIDI is rendered through the clip's SoundFont and gets
    the simple full-mix chain (:func:`produce.apply_effects`).
    """
    if not (stem_fx or master or tone_spread):
        midi = perform(arrangement, duration_s)[0]
        audio = render(midi, arrangement.soundfont, sample_rate, duration_s=duration_s, cache=cache)
        return apply_effects(audio, arrangement, sample_rate)
    midi, owners = perform(arrangement, duration_s)
    fonts = [(arrangement.drum_soundfont or arrangement.soundfont) if part is None else
             (part.soundfont or arrangement.soundfont) for part, _ in owners]
    stems = render_stems(midi, fonts, sample_rate, duration_s=duration_s, cache=cache)
    plan = plan_production(arrangement, owners, stem_fx=stem_fx, master=master, stem_levels=stem_levels,
                           tone_spread=tone_spread)
    return produce(stems, plan, sample_rate)


class SymbolicGenerator(Generator):
    """The offline ``symbolic`` backend: arrangement -> MIDI -> SoundFont stems -> production.

    Options:
        soundfonts: ``"auto"`` (TimGM6mb plus every fetched or installed
            SoundFont: FluidR3_GM, MuseScore General, the AVL drum kits),
            ``"timgm6mb"``, or a path / list of paths.
        soundfont_per: ``"part"`` or ``"clip"``.
        stem_fx, master, vocals, double_guitars, metal_in_rock, tone_spread: the production ingredients
            (see :data:`PRODUCTION_DEFAULTS`).
        sample_rate: default 32000, rendered directly.
        max_voices: polyphony cap of the synthesizer.
    Each SoundFont is loaded once per instance. :meth:`known_genres` lists
    the genres it makes (matched in any case; ``hip hop``/``hip-hop`` are
    Hiphop); any other genre is a ``ValueError`` that lists them.
    """

    name = "symbolic"

    @classmethod
    def known_genres(cls) -> tuple[str, ...]:
        """The genres this backend makes (:data:`styles.GENRE_STYLES`), sorted."""
        return known_genres()

    def __init__(self, duration_s: float = 10.0, soundfonts: str | Sequence[str] = "auto",
                 sample_rate: int = 32000, max_voices: int = DEFAULT_MAX_VOICES, **options: Any):
        unknown = set(options) - set(PRODUCTION_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown option(s) for the symbolic generator: {', '.join(sorted(unknown))}; known: "
                            f"soundfonts, sample_rate, max_voices, {', '.join(PRODUCTION_DEFAULTS)}")
        super().__init__(duration_s=duration_s)
        if int(sample_rate) <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        if int(max_voices) < 8:
            raise ValueError(f"max_voices must be at least 8, got {max_voices}")
        self.options = {**PRODUCTION_DEFAULTS, **options}
        for key in (k for k, v in PRODUCTION_DEFAULTS.items() if isinstance(v, bool)):  # the on/off ingredients
            if not isinstance(self.options[key], bool):
                raise ValueError(f"symbolic option {key} must be true or false, got {self.options[key]!r}")
        if self.options["stem_levels"] not in ("calibrated", "font"):
            raise ValueError(f"symbolic option stem_levels must be 'calibrated' or 'font', "
                             f"got {self.options['stem_levels']!r}")
        for key in OPTION_VALUES:
            check_option(key, self.options[key], "symbolic option ")
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
        o = self.options
        return arrange(request.genre, text, request.seed, soundfonts=self.soundfonts, duration_s=self.duration_s,
                       soundfont_per=o["soundfont_per"], vocals=o["vocals"], double_guitars=o["double_guitars"],
                       metal_in_rock=o["metal_in_rock"], tempo_spread=o["tempo_spread"],
                       key_spread=o["key_spread"], key_modes=o["key_modes"], texture=o["texture"])

    def generate_one(self, request: ClipRequest) -> np.ndarray:
        """Render one request: mono float32, ``duration_s`` long, at :attr:`sample_rate`."""
        return synthesize(self.arrangement(request), self.duration_s, self._sample_rate, cache=self._cache,
                          stem_fx=self.options["stem_fx"], master=self.options["master"],
                          stem_levels=self.options["stem_levels"], tone_spread=self.options["tone_spread"])

    def annotate(self, request: ClipRequest):
        """``(jams.JAMS, PrettyMIDI, labels)``: what this clip plays, from its score (see :mod:`.annotate`)."""
        from .annotate import annotate

        return annotate(self.arrangement(request), self.duration_s)

    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        for r in requests:  # a genre this backend cannot make fails the batch before any rendering
            genre_style(r.genre)
        return [self.generate_one(r) for r in requests]

    @classmethod
    def output_identity(cls, options: dict) -> dict:
        """The SoundFont files the ``soundfonts`` option resolves to here (names and sizes)."""
        return {"soundfonts": soundfont_identity(resolve_soundfonts(options.get("soundfonts", "auto")))}

    def describe(self) -> dict:
        info = super().describe()
        info.update(soundfonts=soundfont_identity(self.soundfonts), max_voices=self.max_voices, **self.options)
        return info
