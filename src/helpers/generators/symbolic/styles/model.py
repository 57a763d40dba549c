"""Genre styles, part 1: the style dataclasses.

A :class:`GenreStyle` holds everything :func:`~..arrange.arrange` needs to know about a genre
(tempo, groove, kit, parts, harmony, production); its parts are :class:`PartStyle` and its
sub-styles :class:`StyleVariant`. :func:`_key_weights` writes a style's key preferences by
note name. The styles themselves are in :mod:`.paper`, :mod:`.gtzan` and :mod:`.rock_variants`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class PartStyle:
    """A part a genre may use: its role, candidate GM programs and patterns."""

    name: str
    role: str
    programs: tuple[int, ...]
    patterns: tuple[str, ...]
    probability: float = 1.0
    level: float = 0.7
    pump: bool = False


@dataclass(frozen=True)
class StyleVariant:
    """A sub-style of a genre (trap or boom bap, string quartet or solo piano): the fields of
    :class:`GenreStyle` it changes. ``words`` are regular expressions; a description that matches
    them picks this variant (the one with most matches), otherwise it is drawn with ``weight``."""

    name: str
    weight: float
    changes: Mapping[str, Any]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenreStyle:
    """Everything :func:`arrange` needs to know about a genre.

    ``progressions`` maps ``"major"``/``"minor"`` to pools of
    ``(roman numerals, beats per chord)``; ``keyword_overrides`` maps a
    description keyword to ``(role, programs, pattern)`` (``None`` keeps the
    keyword's default) for instruments that mean something else in this genre.

    Rhythm: ``swing_unit`` 1 swings 16ths, 2 swings 8ths (shuffle, jazz);
    ``shuffle_unit`` is the unit "swing"/"shuffle" words ask for (``None``: the
    genre ignores them). Drums: ``acoustic_kits`` is the chance that an
    acoustic (AVL) kit plays a part written for an acoustic GM kit;
    ``grooves`` maps a description's groove family (``four_on_floor``,
    ``techno``, ``breakbeat``, ``halftime``) to a drum pattern;
    ``pattern_words`` maps regular expressions of the description to drum
    patterns (``one drop``, ``blast beats``); ``lift`` is what a "lift"
    section adds (``tambourine``, ``ride``: the hats move to the ride, or
    ``none``). ``chord_patterns`` gives the comping patterns of a chord
    instrument the description names, by GM program. ``double_guitars``: the
    generator's option double-tracks the rhythm guitar. ``vocal_pattern`` and
    ``vocal_register``: how the vocal line sings (or raps). ``drum_level``
    scales the kit's level (dense grooves sit back in the mix). ``variants``:
    sub-styles, see :class:`StyleVariant`. ``aliases``: other names.
    ``production``: the genre whose production settings
    (``produce.GENRE_PRODUCTION``) the style uses, ``""`` for its own.
    """

    name: str
    tempo_range: tuple[float, float]
    swing_range: tuple[float, float]
    minor_probability: float
    major_mode: str
    minor_mode: str
    key_weights: tuple[float, ...]
    drum_kits: tuple[int, ...]
    drum_patterns: tuple[str, ...]
    sparse_drum_patterns: tuple[str, ...]
    progressions: Mapping[str, tuple[tuple[tuple[str, ...], int], ...]]
    parts: tuple[PartStyle, ...]
    keys_patterns: tuple[str, ...]
    section_changes: tuple[tuple[str, float], ...]
    percussion: tuple[tuple[str, float], ...] = ()
    velocity: float = 0.85
    humanize_ms: float = 5.0
    ghost_probability: float = 0.0
    pumping: tuple[float, float] = (0.0, 0.0)
    reverb: float = 0.0
    expressive: bool = False
    start_crash: float = 0.5
    four_on_floor_pattern: str | None = None
    vocal_probability: float = 0.0      # chance of a vocal-like lead line (with the generator's `vocals` option)
    vocal_programs: tuple[int, ...] = ()
    keyword_overrides: Mapping[str, tuple[str | None, tuple[int, ...] | None, str | None]] = field(
        default_factory=dict)
    swing_unit: int = 1
    shuffle_unit: int | None = 1
    acoustic_kits: float = 0.0
    double_guitars: bool = False
    lift: str = "tambourine"
    grooves: Mapping[str, str | None] = field(default_factory=dict)
    pattern_words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    chord_patterns: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    vocal_pattern: str = "vocal_melody"
    vocal_register: int = 65
    drum_level: float = 1.0
    variants: tuple[StyleVariant, ...] = ()
    aliases: tuple[str, ...] = ()
    production: str = ""

    def variant(self, name: str) -> "GenreStyle":
        """This style with the changes of its variant ``name`` (``""``: the style itself)."""
        if not name:
            return self
        for v in self.variants:
            if v.name == name:
                return dataclasses.replace(self, **v.changes)
        raise ValueError(f"genre {self.name} has no variant {name!r}; its variants: "
                         f"{', '.join(v.name for v in self.variants) or 'none'}")


def _key_weights(**weights: float) -> tuple[float, ...]:
    names = {"C": 0, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "Gb": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10, "B": 11}
    out = [1.0] * 12
    for name, w in weights.items():
        out[names[name]] = w
    return tuple(out)
