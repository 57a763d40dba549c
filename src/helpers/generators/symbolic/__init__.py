"""Offline symbolic generator: prompt -> arrangement -> MIDI -> SoundFont audio.

The ``symbolic`` backend needs no network and no GPU. A clip is made in three
steps, each a public function:

1. :func:`arrange` reads the genre's style (:data:`GENRE_STYLES`) and the
   prompt's description (:func:`parse_description`) and draws, from a
   generator seeded with the request's seed, an :class:`Arrangement`: tempo,
   key, mode, chord progression, drum kit and groove, parts (General MIDI
   program, role, pattern, level), section change, effects and SoundFont.
2. :func:`to_midi` performs the arrangement as a :class:`pretty_midi.PrettyMIDI`
   (notes, velocities, swing, humanisation, expression automation).
3. :func:`render` plays the MIDI through a General MIDI SoundFont with
   tinysoundfont, offline and sample-accurately, at the requested rate, and
   :func:`apply_effects` adds the description's production effects (reverb,
   lo-fi) and a gentle peak limiter (mastering-like crest factor).

:class:`SymbolicGenerator` wires the three together behind the
:class:`~helpers.generation.Generator` interface. Every random choice comes
from ``np.random.default_rng`` seeded with the request's seed (and, for the
performance and effects, fixed sub-streams of it), so the same request,
options and SoundFont files give bit-identical float32 audio.
"""

from .arrange import Arrangement, Part, arrange
from .describe import DescriptionHints, InstrumentHint, parse_description
from .generator import PRODUCTION_DEFAULTS, SymbolicGenerator, synthesize
from .patterns import *  # noqa: F401,F403  (drum keys and pattern tables, for tests and notebooks)
from .perform import perform, to_midi
from .produce import apply_effects, plan_production, produce
from .render import SoundFontCache, render, render_stems
from .soundfonts import fetch_soundfonts, find_soundfonts, resolve_soundfonts
from .styles import GENRE_STYLES, GenreStyle, PartStyle, StyleVariant, genre_style, known_genres
from .theory import MINOR_MODES, Chord, parse_roman

__all__ = [
    "GENRE_STYLES", "GenreStyle", "PartStyle", "Chord", "Part", "Arrangement", "InstrumentHint",
    "DescriptionHints", "parse_description", "parse_roman", "arrange", "to_midi", "render", "apply_effects",
    "synthesize", "find_soundfonts", "fetch_soundfonts", "perform", "render_stems", "plan_production", "produce",
    "PRODUCTION_DEFAULTS", "resolve_soundfonts", "SoundFontCache", "SymbolicGenerator", "MINOR_MODES",
    "StyleVariant", "genre_style", "known_genres",
]
