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

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..generation import ClipRequest, Generator

__all__ = [
    "GENRE_STYLES",
    "GenreStyle",
    "PartStyle",
    "Chord",
    "Part",
    "Arrangement",
    "InstrumentHint",
    "DescriptionHints",
    "parse_description",
    "parse_roman",
    "arrange",
    "to_midi",
    "render",
    "apply_effects",
    "synthesize",
    "find_soundfonts",
    "resolve_soundfonts",
    "SoundFontCache",
    "SymbolicGenerator",
]

# ---------------------------------------------------------------------------
# Music theory basics
# ---------------------------------------------------------------------------

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: scale degrees (semitones above the tonic) of the modes the styles use
MODE_SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
}

#: modes whose third is minor
MINOR_MODES = frozenset({"minor", "dorian"})

CHORD_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "5": (0, 7),
    "7": (0, 4, 7, 10),
    "maj7": (0, 4, 7, 11),
    "m7": (0, 3, 7, 10),
    "9": (0, 4, 7, 10, 14),
    "m9": (0, 3, 7, 10, 14),
    "add9": (0, 4, 7, 14),
    "madd9": (0, 3, 7, 14),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
    "7sus4": (0, 5, 7, 10),
    "6": (0, 4, 7, 9),
    "m6": (0, 3, 7, 9),
    "dim7": (0, 3, 6, 9),
    "m7b5": (0, 3, 6, 10),
}

_CHORD_SUFFIX = {
    "maj": "", "min": "m", "dim": "dim", "aug": "aug", "5": "5", "7": "7", "maj7": "maj7",
    "m7": "m7", "9": "9", "m9": "m9", "add9": "add9", "madd9": "madd9", "sus2": "sus2",
    "sus4": "sus4", "7sus4": "7sus4", "6": "6", "m6": "m6", "dim7": "dim7", "m7b5": "m7b5",
}

_ROMAN_DEGREES = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
_ROMAN_RE = re.compile(r"^(b|#)?(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)([^/]*)(?:/(\d))?$")
# (suffix, is_lower_case) -> quality
_ROMAN_SUFFIX: dict[tuple[str, bool], str] = {
    ("", False): "maj", ("", True): "min",
    ("5", False): "5", ("5", True): "5",
    ("7", False): "7", ("7", True): "m7",
    ("maj7", False): "maj7",
    ("9", False): "9", ("9", True): "m9",
    ("add9", False): "add9", ("add9", True): "madd9",
    ("sus2", False): "sus2", ("sus4", False): "sus4", ("7sus4", False): "7sus4",
    ("6", False): "6", ("6", True): "m6",
    ("o", True): "dim", ("o7", True): "dim7", ("ø7", True): "m7b5", ("+", False): "aug",
}


@dataclass(frozen=True)
class Chord:
    """A chord of a progression, relative to the key.

    ``root`` is in semitones above the tonic, ``quality`` a key of
    :data:`CHORD_INTERVALS`, ``inversion`` the chord tone in the bass
    (0 root position, 1 first inversion, 2 second inversion).
    """

    symbol: str
    root: int
    quality: str
    inversion: int = 0

    def intervals(self, scale: Sequence[int] | None = None) -> tuple[int, ...]:
        """Chord intervals; a power chord (``5``) gets the scale's third when ``scale`` is given."""
        ivs = CHORD_INTERVALS[self.quality]
        if self.quality == "5" and scale is not None:
            third = 4 if (self.root + 4) % 12 in scale or (self.root + 3) % 12 not in scale else 3
            return (0, third, 7)
        return ivs

    def pitch_classes(self, key: int, scale: Sequence[int] | None = None) -> list[int]:
        """Pitch classes, root first."""
        return [(key + self.root + iv) % 12 for iv in self.intervals(scale)]

    def bass_pc(self, key: int, scale: Sequence[int] | None = None) -> int:
        """Pitch class of the bass note (the inversion's chord tone)."""
        pcs = self.pitch_classes(key, scale)
        return pcs[min(self.inversion, len(pcs) - 1)]

    def name(self, key: int) -> str:
        """Absolute chord name, e.g. ``"Am7"`` or ``"C/E"``."""
        root_pc = (key + self.root) % 12
        text = NOTE_NAMES[root_pc] + _CHORD_SUFFIX[self.quality]
        if self.inversion:
            text += "/" + NOTE_NAMES[self.bass_pc(key)]
        return text


def parse_roman(token: str) -> Chord:
    """Parse a roman-numeral chord such as ``"bVII5"``, ``"ii7"``, ``"IV/1"`` or ``"V7/1"``.

    Upper case is major, lower case minor; ``b``/``#`` alter the degree of the
    major scale; ``/n`` is the inversion. Raises ``ValueError`` for anything else.
    """
    match = _ROMAN_RE.match(token)
    if not match:
        raise ValueError(f"cannot parse chord symbol {token!r}")
    accidental, numeral, suffix, inversion = match.groups()
    root = _ROMAN_DEGREES[numeral.upper()] + {"b": -1, "#": 1, None: 0}[accidental]
    key = (suffix, numeral.islower())
    if key not in _ROMAN_SUFFIX:
        raise ValueError(f"unsupported chord suffix {suffix!r} in {token!r}")
    quality = _ROMAN_SUFFIX[key]
    inv = int(inversion) if inversion else 0
    if inv >= len(CHORD_INTERVALS[quality]):
        raise ValueError(f"inversion {inv} out of range in {token!r}")
    return Chord(symbol=token, root=root % 12, quality=quality, inversion=inv)


def _nearest(pc: int, centre: int) -> int:
    """The MIDI pitch of pitch class ``pc`` nearest to ``centre``."""
    below = centre - ((centre - pc) % 12)
    return below if centre - below <= 6 else below + 12


def _close_voicings(pcs: Sequence[int], centre: int) -> list[list[int]]:
    """Every inversion of ``pcs`` stacked closely, each centred on ``centre``."""
    out = []
    n = len(pcs)
    for inv in range(n):
        order = list(pcs[inv:]) + list(pcs[:inv])
        notes: list[int] = []
        for pc in order:
            if not notes:
                notes.append(pc)
            else:
                notes.append(notes[-1] + (((pc - notes[-1]) % 12) or 12))
        shift = round((centre - sum(notes) / n) / 12)
        out.append([x + 12 * shift for x in notes])
    return out


def _voice_leading_cost(notes: Sequence[int], prev: Sequence[int] | None) -> float:
    if not prev:
        return 0.0
    return sum(min(abs(n - p) for p in prev) for n in notes) / len(notes)


def _harmony_pcs(chord: Chord, key: int, scale: Sequence[int], max_notes: int = 4) -> list[int]:
    """Chord pitch classes for a voicing, root first, thinned to ``max_notes`` (fifth goes first)."""
    ivs = list(chord.intervals(scale))
    if len(ivs) > max_notes and 7 in ivs:
        ivs.remove(7)
    ivs = ivs[:max_notes]
    return [(key + chord.root + iv) % 12 for iv in ivs]


def voice_chord(chord: Chord, key: int, scale: Sequence[int], style: str, centre: int,
                prev: Sequence[int] | None = None, max_notes: int = 4) -> list[int]:
    """MIDI pitches of ``chord`` voiced in ``style`` around ``centre``.

    Styles: ``close`` / ``open`` (drop-2) with smooth voice leading from ``prev``,
    ``power`` (root, fifth, octave), ``guitar`` (barre-chord shape), ``shell``
    (upper structure without the root, for funk comping) and ``spread``
    (orchestral: the bass note an octave below a close voicing). ``max_notes``
    caps the chord tones of close/open/shell/spread voicings.
    """
    root_pc = (key + chord.root) % 12
    if style == "power":
        root = _nearest(root_pc, centre)
        fifth = 6 if chord.quality in ("dim", "dim7", "m7b5") else 7
        return [root, root + fifth, root + 12]
    ivs = chord.intervals(scale)
    if style == "guitar":
        root = 40 + (root_pc - 4) % 12
        third = ivs[1] if len(ivs) > 1 else 4
        top = 10 if 10 in ivs else 12
        return [root, root + 7, root + top, root + 12 + third, root + 19]
    pcs = _harmony_pcs(chord, key, scale, max(2, int(max_notes)))
    if style == "shell" and len(pcs) >= 4:
        pcs = pcs[1:]
    cands = _close_voicings(pcs, centre)
    if chord.inversion and style in ("close", "open"):
        bass = chord.bass_pc(key, scale)
        fitting = [c for c in cands if c[0] % 12 == bass]
        cands = fitting or cands
    best = min(cands, key=lambda c: _voice_leading_cost(c, prev) + 0.35 * abs(sum(c) / len(c) - centre))
    if style == "open" and len(best) >= 3:
        best = sorted(best[:-2] + [best[-2] - 12] + best[-1:])
    elif style == "spread":
        best = [_nearest(chord.bass_pc(key, scale), centre - 14)] + best
    return best


# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

#: accent characters of the step patterns -> velocity factor
ACCENTS = {"X": 1.0, "x": 0.82, "o": 0.64, "g": 0.34}

# General MIDI percussion keys
KICK, SIDE_STICK, SNARE, CLAP, E_SNARE = 36, 37, 38, 39, 40
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
CRASH, RIDE, RIDE_BELL, CRASH2 = 49, 51, 53, 57
TOMS = (50, 48, 47, 45, 43, 41)

#: GM drum kit presets (bank 128) by program number
DRUM_KITS = {0: "Standard", 8: "Room", 16: "Power", 24: "Electronic", 25: "TR-808",
             32: "Jazz", 40: "Brush", 48: "Orchestra"}

#: one-bar drum grooves on a 16th grid: GM drum key -> step string
DRUM_PATTERNS: dict[str, dict[int, str]] = {
    # Rock
    "rock_8ths": {KICK: "X.......X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "rock_driving": {KICK: "X.x.....X.x.x...", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "rock_four": {KICK: "X...X...X...X...", SNARE: "....X.......X...", CLOSED_HAT: "x...x...x...x...",
                  OPEN_HAT: "..x...x...x...x."},
    "rock_ride": {KICK: "X.......X.x.....", SNARE: "....X.......X...", RIDE: "x.o.x.o.x.o.x.o."},
    "rock_halftime": {KICK: "X.....x...x.....", SNARE: "........X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    # Funk: 16th hats, ghost notes, syncopated kicks
    "funk_16": {KICK: "X..x..x...X..x..", SNARE: "....X..g.g..X..g", CLOSED_HAT: "xoxoxoxoxoxoxo.o",
                OPEN_HAT: "..............x."},
    "funk_breaks": {KICK: "X.x.......x..x..", SNARE: "....X..g.g.gX..g", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "funk_linear": {KICK: "X.....x.x.....x.", SNARE: "..g.X..g..g.X...", CLOSED_HAT: "x.x..x.x.x..x.x."},
    "funk_disco": {KICK: "X...X...X...X...", SNARE: "....X.......X...", CLOSED_HAT: "xg.gxg.gxg.gxg.g",
                   OPEN_HAT: "..x...x...x...x."},
    # Pop
    "pop_backbeat": {KICK: "X.......X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "pop_four": {KICK: "X...X...X...X...", CLAP: "....X.......X...", CLOSED_HAT: "..x...x...x...x."},
    "pop_16": {KICK: "X.....x.X.......", SNARE: "....X.......X...", CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
    "pop_ballad": {KICK: "X.........X.....", SIDE_STICK: "....x.......x...", CLOSED_HAT: "x...x...x...x..."},
    # Electronica: drum machines
    "four_on_floor": {KICK: "X...X...X...X...", CLAP: "....X.......X...", CLOSED_HAT: "xg.gxg.gxg.gxg.g",
                      OPEN_HAT: "..x...x...x...x."},
    "techno": {KICK: "X...X...X...X...", CLOSED_HAT: "..x...x...x...x.", RIDE: "o.g.o.g.o.g.o.g.",
               CLAP: "............x..."},
    "breakbeat": {KICK: "X.X.......XX....", E_SNARE: "....X..g.g..X..g", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "electro": {KICK: "X......X..X.....", E_SNARE: "....X.......X...", CLAP: "....X.......X...",
                CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
    "halfstep": {KICK: "X.........x.....", E_SNARE: "........X.......", CLOSED_HAT: "x.x.x.x.x.x.x...",
                 OPEN_HAT: "..............x."},
    # Orchestral percussion (only when the description asks for percussion/drums)
    "orchestral": {35: "X.......o.......", CRASH2: "................"},
}

#: extra percussion layers, merged into the drum part
PERCUSSION_LAYERS: dict[str, dict[int, str]] = {
    "congas": {63: "..x...x...x..x..", 64: "x......x.x......", 62: "....o.......o..."},
    "tambourine": {54: "..x...x...x...x."},
    "shaker": {70: "xoooxoooxoooxooo"},
    "cowbell": {56: "x...x...x...x..."},
    "claps": {CLAP: "....X.......X..."},
}

# seconds a drum note is held before its note-off (its release follows)
_DRUM_HOLD = {CLOSED_HAT: 0.08, PEDAL_HAT: 0.08, OPEN_HAT: 0.3, CRASH: 1.4, CRASH2: 1.4, 52: 1.2, 55: 0.8,
              RIDE: 0.6, RIDE_BELL: 0.6, 59: 0.6}

#: bass lines: (step, length in steps, degree, accent); degrees: R root/bass note,
#: O octave, 5 fifth, 3 third, 7 seventh, A approach to the next chord
BASS_PATTERNS: dict[str, tuple[tuple[float, float, str, str], ...]] = {
    "root_8ths": tuple((s, 1.8, "R", "X" if s % 8 == 0 else "x") for s in range(0, 16, 2)),
    "root_fifth": ((0, 1.8, "R", "X"), (2, 1.8, "R", "x"), (4, 1.8, "5", "x"), (6, 1.8, "R", "x"),
                   (8, 1.8, "R", "X"), (10, 1.8, "R", "x"), (12, 1.8, "5", "x"), (14, 1.8, "A", "x")),
    "root_quarters": ((0, 3.6, "R", "X"), (4, 3.6, "R", "x"), (8, 3.6, "R", "X"), (12, 3.6, "5", "x")),
    "pop_8ths": ((0, 1.8, "R", "X"), (2, 1.8, "R", "o"), (4, 1.8, "R", "x"), (6, 1.8, "R", "o"),
                 (8, 1.8, "R", "X"), (10, 1.8, "R", "o"), (12, 1.8, "5", "x"), (14, 1.8, "O", "o")),
    "pop_synco": ((0, 2.8, "R", "X"), (3, 2.8, "R", "x"), (6, 1.8, "5", "o"), (8, 2.8, "R", "X"),
                  (11, 2.8, "R", "x"), (14, 1.8, "A", "o")),
    "slap_16": ((0, 1.0, "R", "X"), (2, 0.5, "O", "X"), (3, 0.8, "R", "g"), (4, 1.0, "R", "x"),
                (6, 0.9, "7", "x"), (7, 0.5, "O", "X"), (10, 1.0, "R", "x"), (11, 0.8, "R", "g"),
                (12, 0.9, "5", "x"), (13, 0.5, "O", "X"), (14, 1.0, "7", "o")),
    "finger_funk": ((0, 1.8, "R", "X"), (3, 0.9, "R", "o"), (5, 0.9, "O", "x"), (6, 1.8, "7", "x"),
                    (10, 0.9, "R", "x"), (11, 0.9, "5", "o"), (13, 0.9, "O", "x"), (14, 1.8, "7", "o")),
    "octave_pops": ((0, 1.5, "R", "X"), (2, 0.6, "O", "X"), (4, 1.0, "R", "x"), (6, 0.6, "O", "X"),
                    (7, 0.8, "R", "g"), (8, 1.5, "R", "X"), (10, 0.6, "O", "X"), (12, 1.0, "R", "x"),
                    (13, 0.6, "O", "X"), (15, 0.8, "5", "g")),
    "offbeat": ((2, 1.6, "R", "X"), (6, 1.6, "R", "X"), (10, 1.6, "R", "X"), (14, 1.6, "R", "X")),
    "rolling_16": tuple((s, 0.8, "O" if s % 4 == 3 else "R", "x" if s % 4 == 2 else "o")
                        for s in range(16) if s % 4),
    "sustain_808": ((0, 9.5, "R", "X"), (10, 5.5, "R", "x")),
    "sustained": ((0, 16, "R", "X"),),
    "pulse_8ths": tuple((s, 1.5, "R", "x" if s % 8 == 0 else "o") for s in range(0, 16, 2)),
    "half_notes": ((0, 7.8, "R", "X"), (8, 7.8, "5", "x")),
}

#: comping rhythms for chord parts: (step, length in steps, accent)
CHORD_RHYTHMS: dict[str, tuple[tuple[float, float, str], ...]] = {
    "block_whole": ((0, 16, "X"),),
    "block_half": ((0, 8, "X"), (8, 8, "x")),
    "pop_quarters": ((0, 3.8, "X"), (4, 3.8, "o"), (8, 3.8, "x"), (12, 3.8, "o")),
    "pop_8ths": tuple((s, 1.9, "X" if s % 8 == 0 else ("x" if s % 4 == 0 else "o")) for s in range(0, 16, 2)),
    "power_8ths": tuple((s, 1.3, "X" if s % 8 == 0 else "x") for s in range(0, 16, 2)),
    "power_synco": ((0, 2.8, "X"), (3, 2.8, "x"), (6, 1.8, "x"), (8, 2.8, "X"), (11, 2.8, "x"), (14, 1.8, "x")),
    "power_sustain": ((0, 7.8, "X"), (8, 7.8, "X")),
    "offbeat_comp": ((2, 1.0, "x"), (6, 1.0, "x"), (10, 1.0, "x"), (14, 1.0, "x")),
    "house_stabs": ((2, 1.2, "X"), (6, 1.2, "x"), (10, 1.2, "X"), (14, 1.2, "x")),
    "pizz_8ths": tuple((s, 0.8, "X" if s % 8 == 0 else "o") for s in range(0, 16, 2)),
    "funk_scratch": tuple((i, 0.5, c) for i, c in enumerate("X.gx.gxgx.gxg.xg") if c != "."),
    "funk_scratch2": tuple((i, 0.5, c) for i, c in enumerate("x.gxX.gx.gxgX.gx") if c != "."),
}

#: horn/synth stab rhythms (one is drawn per clip)
STAB_RHYTHMS = ("......X.......x.", "X..x......X.....", "...x..x.....X...", "X.........x..x..",
                "..X...X...X..x..")

#: strum patterns: D down-strum, U up-strum
STRUM_PATTERNS = ("D...D.U...U.D.U.", "D..UD.U.D..UD.U.", "D.D.D.D.D.D.D.D.", "D...D...D...D.U.")
_CALM_STRUM = "D.......D...D..."

# pattern name -> how it is realised
_PATTERN_KIND: dict[str, str] = {
    **{name: "rhythm" for name in CHORD_RHYTHMS},
    "pad_sustain": "sustain", "legato": "sustain", "brass_swell": "sustain",
    "strum": "strum", "stabs": "stabs",
    "arp_up": "arp", "arp_updown": "arp", "arp_random": "arp", "harp_arp": "arp",
    "pop_arpeggio": "arp", "clean_arpeggio": "arp", "bells_8ths": "arp",
    "orch_melody": "melody", "pop_melody": "melody", "synth_lead": "melody",
    "funk_lead": "melody", "rock_lead": "melody",
    "counter_line": "counter",
    "timp_hits": "timpani", "timp_roll": "timpani", "timp_ostinato": "timpani",
}

# melody rhythm cells: name -> (length in steps, ((onset, length), ...))
_CELLS: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {
    "w": (16, ((0, 16),)), "h": (8, ((0, 8),)), "q": (4, ((0, 4),)), "88": (4, ((0, 2), (2, 2))),
    "r": (4, ()), "dot": (4, ((0, 3), (3, 1))), "syn": (4, ((2, 2),)),
    "16s": (4, ((0, 1), (1, 1), (2, 1), (3, 1))), "8_16": (4, ((0, 2), (2, 1), (3, 1))),
    "16_8": (4, ((0, 1), (1, 1), (2, 2))), "ant": (4, ((0, 2), (3, 1))),
}

# melody styles: rhythm cell weights, articulation (fraction of the length held), scale
_MELODY_STYLES: dict[str, dict[str, Any]] = {
    "orch_melody": {"cells": {"h": 3, "q": 3, "88": 1.5, "dot": 1.5, "w": 0.6}, "legato": 0.98, "scale": "mode"},
    "pop_melody": {"cells": {"88": 3, "q": 2, "syn": 2, "r": 1.2, "dot": 1, "16_8": 1}, "legato": 0.85,
                   "scale": "mode"},
    "synth_lead": {"cells": {"88": 2, "syn": 2.5, "16s": 0.8, "q": 1.5, "r": 1, "16_8": 1, "h": 0.7},
                   "legato": 0.75, "scale": "mode"},
    "funk_lead": {"cells": {"syn": 2, "16_8": 1.5, "8_16": 1.5, "r": 2, "16s": 0.8, "88": 1, "ant": 1},
                  "legato": 0.6, "scale": "pentatonic"},
    "rock_lead": {"cells": {"88": 3, "q": 2, "16s": 1, "dot": 1, "h": 1, "r": 0.8}, "legato": 0.9,
                  "scale": "pentatonic"},
}
_CALM_CELLS = {"h": 3, "q": 3, "88": 1, "r": 1.5, "w": 1}

# ---------------------------------------------------------------------------
# Genre styles
# ---------------------------------------------------------------------------


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
class GenreStyle:
    """Everything :func:`arrange` needs to know about a genre.

    ``progressions`` maps ``"major"``/``"minor"`` to pools of
    ``(roman numerals, beats per chord)``; ``keyword_overrides`` maps a
    description keyword to ``(role, programs, pattern)`` (``None`` keeps the
    keyword's default) for instruments that mean something else in this genre.
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
    keyword_overrides: Mapping[str, tuple[str | None, tuple[int, ...] | None, str | None]] = field(
        default_factory=dict)


def _key_weights(**weights: float) -> tuple[float, ...]:
    names = {"C": 0, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "Gb": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10, "B": 11}
    out = [1.0] * 12
    for name, w in weights.items():
        out[names[name]] = w
    return tuple(out)


GENRE_STYLES: dict[str, GenreStyle] = {
    "Electronica": GenreStyle(
        name="Electronica",
        tempo_range=(112.0, 140.0),
        swing_range=(0.0, 0.12),
        minor_probability=0.75,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(A=1.5, F=1.5, C=1.3, G=1.3, D=1.3, E=1.2),
        drum_kits=(25, 24),
        drum_patterns=("four_on_floor", "techno", "breakbeat", "electro", "halfstep"),
        sparse_drum_patterns=("halfstep", "techno"),
        progressions={
            "minor": ((("i", "bVI", "bIII", "bVII"), 4), (("i", "bVII", "bVI", "bVII"), 4),
                      (("i", "iv", "bVI", "bVII"), 4), (("i7", "bVImaj7"), 8), (("i", "i", "bVI", "bVII"), 4),
                      (("i7",), 4), (("i", "bIII", "bVII", "iv"), 4)),
            "major": ((("vi", "IV", "I", "V"), 4), (("I", "V", "vi", "IV"), 4), (("IV", "V", "vi", "vi"), 4),
                      (("Imaj7", "IVmaj7"), 8), (("I", "iii", "vi", "IV"), 4)),
        },
        parts=(
            PartStyle("synth bass", "bass", (38, 39, 87), ("offbeat", "rolling_16", "sustain_808", "acid"), 1.0, 0.8,
                      pump=True),
            PartStyle("pad", "pad", (89, 90, 91, 94, 95, 50), ("pad_sustain",), 0.85, 0.5, pump=True),
            PartStyle("arpeggiator", "arp", (81, 80, 87), ("arp_up", "arp_updown", "arp_random"), 0.7, 0.45,
                      pump=True),
            PartStyle("lead", "lead", (80, 81, 84, 87), ("synth_lead",), 0.45, 0.45),
            PartStyle("stabs", "chords", (81, 62, 80), ("house_stabs",), 0.35, 0.45, pump=True),
        ),
        keys_patterns=("house_stabs", "block_half"),
        section_changes=(("drop", 0.4), ("fill", 0.2), ("none", 0.4)),
        velocity=0.9,
        humanize_ms=0.0,
        pumping=(0.35, 0.7),
        reverb=0.15,
        start_crash=0.4,
        four_on_floor_pattern="four_on_floor",
        keyword_overrides={
            "guitar": (None, (27, 28), None), "electric guitar": (None, (27, 28, 29), None),
            "bass": (None, (38, 39, 33), None), "strings": (None, (50, 48), None),
            "drums": (None, None, None), "stabs": ("chords", (81, 62), "house_stabs"),
            "solo": ("lead", (81, 80), "synth_lead"),
        },
    ),
    "Funk": GenreStyle(
        name="Funk",
        tempo_range=(90.0, 116.0),
        swing_range=(0.0, 0.2),
        minor_probability=0.5,
        major_mode="mixolydian",
        minor_mode="dorian",
        key_weights=_key_weights(E=3, A=2, D=2, G=2, C=1.5, F=1.5, Bb=1.2, Eb=1.2),
        drum_kits=(0, 8, 32),
        drum_patterns=("funk_16", "funk_breaks", "funk_linear", "funk_disco"),
        sparse_drum_patterns=("funk_linear", "funk_breaks"),
        progressions={
            "major": ((("I9",), 4), (("I7",), 4), (("I7", "IV9"), 8), (("I9", "IV7"), 4), (("I7", "bVII9"), 8),
                      (("I9", "I9", "IV9", "bVII9"), 4)),
            "minor": ((("i7",), 4), (("i9",), 4), (("i7", "IV9"), 8), (("i7", "IV7"), 4), (("i9", "bVII9"), 8),
                      (("i7", "iv7"), 8)),
        },
        parts=(
            PartStyle("bass", "bass", (36, 37, 33), ("slap_16", "finger_funk", "octave_pops"), 1.0, 0.85),
            PartStyle("rhythm", "chords", (7, 28, 27), ("funk_scratch", "funk_scratch2"), 1.0, 0.6),
            PartStyle("horns", "stabs", (61, 56, 62, 66), ("stabs",), 0.75, 0.6),
            PartStyle("keys", "chords", (4, 5, 16), ("offbeat_comp", "block_half"), 0.45, 0.45),
            PartStyle("second rhythm", "chords", (28, 27, 7), ("offbeat_comp",), 0.3, 0.45),
            PartStyle("lead", "lead", (66, 65, 81, 80), ("funk_lead",), 0.3, 0.5),
        ),
        keys_patterns=("offbeat_comp", "block_half"),
        section_changes=(("fill", 0.45), ("lift", 0.2), ("none", 0.35)),
        percussion=(("congas", 0.3), ("tambourine", 0.25), ("cowbell", 0.1)),
        velocity=0.88,
        humanize_ms=4.0,
        ghost_probability=0.12,
        reverb=0.0,
        start_crash=0.5,
        four_on_floor_pattern="funk_disco",
        keyword_overrides={
            "guitar": (None, (28, 27), None), "electric guitar": (None, (28, 27), None),
            "horns": ("stabs", (61,), "stabs"), "brass": ("stabs", (61, 56, 57), "stabs"),
            "bass": (None, (33, 36, 37), None), "organ": ("chords", (16, 17), "offbeat_comp"),
            "stabs": ("stabs", (61, 56), "stabs"), "solo": ("lead", (66, 65, 56), "funk_lead"),
            "strings": ("stabs", (48, 49), "stabs"),
        },
    ),
    "Orchestral": GenreStyle(
        name="Orchestral",
        tempo_range=(60.0, 100.0),
        swing_range=(0.0, 0.0),
        minor_probability=0.5,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(D=2, C=2, G=2, F=2, Eb=1.5, Bb=1.5, A=1.5, E=1.0, B=0.5, Db=0.6, Gb=0.4, Ab=0.8),
        drum_kits=(),
        drum_patterns=("orchestral",),
        sparse_drum_patterns=("orchestral",),
        progressions={
            "major": ((("I", "IV/1", "V7", "I"), 4), (("I", "V/1", "vi", "IV"), 4), (("I", "vi", "ii/1", "V7"), 4),
                      (("I", "iii", "IV", "V"), 4), (("I", "V/1", "vi", "iii/1", "IV", "I/2", "IV", "V7"), 2),
                      (("I", "IV", "I/2", "V7"), 2)),
            "minor": ((("i", "iv/1", "V7", "i"), 4), (("i", "bVI", "iv", "V"), 4), (("i", "bVII", "bVI", "V7"), 4),
                      (("i", "bIII", "iv", "V7/1"), 4), (("i", "iio/1", "V7", "i"), 2),
                      (("i", "bVI", "bIII", "bVII"), 4)),
        },
        parts=(
            PartStyle("strings", "pad", (48, 49), ("legato",), 1.0, 0.8),
            PartStyle("low strings", "bass", (43, 42), ("sustained", "pulse_8ths", "half_notes"), 1.0, 0.7),
            PartStyle("melody", "lead", (40, 73, 68, 71, 60), ("orch_melody",), 0.9, 0.6),
            PartStyle("counter", "counter", (60, 70, 42, 71), ("counter_line",), 0.55, 0.5),
            PartStyle("brass", "chords", (61, 60, 57), ("brass_swell",), 0.35, 0.55),
            PartStyle("timpani", "timpani", (47,), ("timp_hits", "timp_roll"), 0.55, 0.6),
            PartStyle("harp", "arp", (46,), ("harp_arp",), 0.3, 0.45),
            PartStyle("choir", "pad", (52, 53), ("pad_sustain",), 0.12, 0.4),
            PartStyle("bells", "bells", (8, 9), ("bells_8ths",), 0.1, 0.3),
        ),
        keys_patterns=("block_half", "pop_arpeggio"),
        section_changes=(("swell", 0.45), ("enter", 0.25), ("none", 0.3)),
        velocity=0.78,
        humanize_ms=10.0,
        reverb=0.28,
        expressive=True,
        start_crash=0.0,
        keyword_overrides={
            "horns": ("counter", (60,), "counter_line"), "horn section": ("chords", (60, 61), "brass_swell"),
            "brass": ("chords", (61, 60, 57), "brass_swell"), "trumpet": ("lead", (56,), "orch_melody"),
            "trombone": ("chords", (57,), "brass_swell"), "tuba": ("bass", (58,), "sustained"),
            "double bass": ("bass", (43,), None), "bass": ("bass", (43, 42), None),
            "guitar": ("arp", (24,), "harp_arp"), "synth": ("pad", (50, 51), "pad_sustain"),
            "pad": ("pad", (50, 89), "pad_sustain"), "piano": ("chords", (0,), "pop_arpeggio"),
            "strings": ("pad", (48, 49), "legato"), "woodwinds": ("counter", (71, 73, 68), "counter_line"),
            "saxophone": ("lead", (65, 66), "orch_melody"), "lead synth": ("lead", (81, 80), "orch_melody"),
            "violin": ("lead", (40,), "orch_melody"), "flute": ("lead", (73,), "orch_melody"),
            "oboe": ("lead", (68,), "orch_melody"), "clarinet": ("lead", (71,), "orch_melody"),
            "stabs": ("stabs", (61, 55), "stabs"), "solo": ("lead", (40, 73, 68), "orch_melody"),
            "plucks": ("arp", (46, 45), "harp_arp"), "distorted guitar": ("chords", (30,), "power_sustain"),
        },
    ),
    "Pop": GenreStyle(
        name="Pop",
        tempo_range=(92.0, 126.0),
        swing_range=(0.0, 0.08),
        minor_probability=0.25,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(C=2, G=2, D=2, A=1.5, E=1.5, F=1.5, Bb=1.2, Eb=1.2),
        drum_kits=(0, 8, 24),
        drum_patterns=("pop_backbeat", "pop_four", "pop_16", "pop_ballad"),
        sparse_drum_patterns=("pop_ballad",),
        progressions={
            "major": ((("I", "V", "vi", "IV"), 4), (("vi", "IV", "I", "V"), 4), (("I", "vi", "IV", "V"), 4),
                      (("I", "IV", "vi", "V"), 4), (("Iadd9", "V", "vi7", "IV"), 4), (("IV", "I", "V", "vi"), 4),
                      (("I", "V/1", "vi", "IV"), 4)),
            "minor": ((("i", "bVI", "bIII", "bVII"), 4), (("i", "iv", "bVI", "bVII"), 4),
                      (("i", "bVII", "bVI", "bVII"), 4), (("i", "bIII", "bVII", "iv"), 4)),
        },
        parts=(
            PartStyle("keys", "chords", (0, 1, 4), ("pop_8ths", "pop_arpeggio", "block_half", "pop_quarters"), 1.0,
                      0.65),
            PartStyle("bass", "bass", (33, 34, 38), ("pop_8ths", "pop_synco", "root_quarters"), 1.0, 0.75),
            PartStyle("acoustic guitar", "chords", (25, 24), ("strum",), 0.45, 0.5),
            PartStyle("pad", "pad", (89, 90, 88, 50), ("pad_sustain",), 0.4, 0.4),
            PartStyle("lead", "lead", (54, 85, 80, 73, 65, 11), ("pop_melody",), 0.7, 0.55),
            PartStyle("bells", "bells", (9, 11, 8), ("bells_8ths",), 0.2, 0.3),
        ),
        keys_patterns=("pop_8ths", "pop_arpeggio", "block_half"),
        section_changes=(("fill", 0.4), ("lift", 0.3), ("none", 0.3)),
        percussion=(("claps", 0.35), ("tambourine", 0.25), ("shaker", 0.2)),
        velocity=0.85,
        humanize_ms=5.0,
        reverb=0.12,
        start_crash=0.4,
        four_on_floor_pattern="pop_four",
        keyword_overrides={
            "guitar": (None, (25, 27, 24), None), "electric guitar": (None, (27, 29), None),
            "stabs": ("stabs", (62, 81), "stabs"), "solo": ("lead", (81, 65, 73), "pop_melody"),
        },
    ),
    "Rock": GenreStyle(
        name="Rock",
        tempo_range=(108.0, 160.0),
        swing_range=(0.0, 0.0),
        minor_probability=0.45,
        major_mode="mixolydian",
        minor_mode="minor",
        key_weights=_key_weights(E=3, A=3, D=2.5, G=2.5, C=1.5, B=1.0, Gb=1.0, F=0.7, Bb=0.7, Eb=0.6, Db=0.5,
                                 Ab=0.5),
        drum_kits=(0, 16, 8),
        drum_patterns=("rock_8ths", "rock_driving", "rock_four", "rock_ride", "rock_halftime"),
        sparse_drum_patterns=("rock_halftime", "rock_8ths"),
        progressions={
            "major": ((("I5", "bVII5", "IV5", "I5"), 4), (("I5", "IV5", "V5", "IV5"), 4),
                      (("I5", "bVII5", "IV5", "IV5"), 4), (("I5", "V5", "bVII5", "IV5"), 4),
                      (("I5", "bIII5", "IV5", "I5"), 4), (("I5", "I5", "bVII5", "IV5"), 2)),
            "minor": ((("i5", "bVI5", "bVII5", "i5"), 4), (("i5", "bVII5", "bVI5", "bVII5"), 4),
                      (("i5", "bIII5", "bVII5", "IV5"), 4), (("i5", "i5", "bVI5", "bVII5"), 4),
                      (("i5", "iv5", "bVI5", "V5"), 4)),
        },
        parts=(
            PartStyle("rhythm guitar", "chords", (30, 29), ("power_8ths", "power_synco", "power_sustain"), 1.0, 0.85),
            PartStyle("bass", "bass", (34, 33), ("root_8ths", "root_fifth", "root_quarters"), 1.0, 0.8),
            PartStyle("second guitar", "chords", (29, 30, 27), ("power_sustain", "clean_arpeggio"), 0.5, 0.55),
            PartStyle("lead guitar", "lead", (30, 29), ("rock_lead",), 0.3, 0.5),
            PartStyle("organ", "pad", (16, 17, 18), ("pad_sustain",), 0.2, 0.4),
        ),
        keys_patterns=("pop_8ths", "block_half"),
        section_changes=(("fill", 0.55), ("lift", 0.2), ("none", 0.25)),
        velocity=0.92,
        humanize_ms=6.0,
        reverb=0.06,
        start_crash=0.6,
        four_on_floor_pattern="rock_four",
        keyword_overrides={
            "guitar": (None, (30, 29), None), "electric guitar": (None, (30, 29), None),
            "synth": (None, (81, 62), None), "stabs": ("stabs", (61, 62), "stabs"),
            "solo": ("lead", (30, 29), "rock_lead"),
        },
    ),
}

# ---------------------------------------------------------------------------
# Description parsing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InstrumentHint:
    """An instrument named in the description: its canonical keyword, role and GM programs."""

    keyword: str
    role: str
    programs: tuple[int, ...]
    text: str = ""


@dataclass(frozen=True)
class DescriptionHints:
    """What :func:`parse_description` understood of a description."""

    instruments: tuple[InstrumentHint, ...] = ()
    excluded: tuple[InstrumentHint, ...] = ()
    mode: str | None = None
    tempo_window: tuple[float, float] | None = None
    bpm: float | None = None
    energy: float = 1.0
    density: float = 1.0
    epic: bool = False
    calm: bool = False
    lofi: bool = False
    reverb: float | None = None
    drums: str | None = None
    drum_pattern: str | None = None
    swing: bool = False
    percussion: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


# (regex, canonical keyword, role, GM programs); earlier entries win overlapping text.
# roles: bass, chords, pad, lead, arp, stabs, counter, timpani, bells; "drums"/"perc"/"bass808" are special.
_INSTRUMENTS: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    (r"(?:bass|kick)[- ]drums?", "kick drum", "drums", ()),
    (r"drum[- ]machines?|beat[- ]?box(?:es)?|electronic drums|drum[- ]?computer", "drum machine", "drums", ()),
    (r"(?:tr[- ]?)?808s?", "808", "bass808", (38,)),
    (r"electric[- ]pianos?|e[- ]pianos?|rhodes|wurlitzer|wurli", "electric piano", "chords", (4, 5)),
    (r"(?:grand |upright |acoustic |honky[- ]tonk )?pianos?", "piano", "chords", (0, 1)),
    (r"(?:church|pipe|cathedral)[- ]organs?", "church organ", "pad", (19,)),
    (r"(?:hammond|b-?3|electric|rock|drawbar)?[- ]?organs?|hammond", "organ", "chords", (16, 17, 18)),
    (r"clavinets?|clavs?|clavi", "clavinet", "chords", (7,)),
    (r"harpsichords?", "harpsichord", "chords", (6,)),
    (r"synth(?:esizer)?[- ]?bass(?:es|lines?)?|bass[- ]synth(?:s|esizers?)?|sub[- ]?bass(?:es)?|acid[- ]bass(?:lines?)?",
     "synth bass", "bass", (38, 39)),
    (r"slap(?:ped)?[- ]bass(?:es)?", "slap bass", "bass", (36, 37)),
    (r"fretless(?: bass)?", "fretless bass", "bass", (35,)),
    (r"(?:upright|double|acoustic|string)[- ]bass(?:es)?|contrabass(?:es)?|contrabassoon", "double bass", "bass",
     (32,)),
    (r"synth(?:esizer)?[- ]strings?", "synth strings", "pad", (50, 51)),
    (r"synth(?:esizer)?[- ]brass", "synth brass", "stabs", (62, 63)),
    (r"acid(?:[- ]squelch(?:es|y)?)?|squelch(?:es|y)?|tb-?303", "acid", "bass", (38, 87)),
    (r"brassy|big[- ]band", "brass", "stabs", (61,)),
    (r"(?:modular |synth |step )?sequences?|sequencers?|modular", "sequence", "arp", (81, 80)),
    (r"(?:synth(?:esizer)?|chord|brass|horn|stringy?)?[- ]?stabs?|stabbing", "stabs", "stabs", (81, 62)),
    (r"(?:bass )?guitar solos?|lead guitars?|guitar leads?|guitar solo", "lead guitar", "lead", (30, 29)),
    (r"(?:distorted|distortion|heavy|fuzz|fuzzy|metal|buzzsaw|detuned|down-?tuned|chugging|chunky)[- ]guitars?|"
     r"power[- ]chords?|guitar riffs?|riff(?:s|ing)?|distorted|buzzsaw|fuzz|feedback|chugging",
     "distorted guitar", "chords", (30,)),
    (r"(?:overdriven|overdrive|crunchy|crunch|dirty|gritty|bluesy|slide)[- ]guitars?|tube[- ]amp|crunchy",
     "overdriven guitar", "chords", (29,)),
    (r"(?:acoustic|steel[- ]string|folk|strummed|strumming)[- ]guitars?", "acoustic guitar", "chords", (25,)),
    (r"(?:nylon|classical|spanish|flamenco)(?:[- ]string)?[- ]guitars?", "nylon guitar", "chords", (24,)),
    (r"(?:clean|chorus(?:ed)?|jangly|jangling|chiming|twangy|surf)[- ]guitars?|jangly|twangy", "clean guitar",
     "chords", (27,)),
    (r"jazz[- ]guitars?", "jazz guitar", "chords", (26,)),
    (r"(?:muted|funk|funky|wah(?:[- ]wah)?|chicken[- ]scratch|scratchy)[- ]guitars?", "muted guitar", "chords", (28,)),
    (r"bass[- ]guitars?|electric[- ]bass(?:es)?|bass(?:es|lines?)?|basslines?", "bass", "bass", (33, 34)),
    (r"electric[- ]guitars?", "electric guitar", "chords", (27, 29)),
    (r"guitars?", "guitar", "chords", (27, 25)),
    (r"tremolo[- ]strings?", "tremolo strings", "pad", (44,)),
    (r"pizzicato|pizz", "pizzicato strings", "chords", (45,)),
    (r"string[- ](?:section|ensemble|orchestra|quartet|arrangement|swell|chord|pattern|line|pad|scratche)s?|"
     r"strings", "strings", "pad", (48, 49)),
    (r"violins?|fiddles?", "violin", "lead", (40,)),
    (r"violas?", "viola", "counter", (41,)),
    (r"(?:violon)?cellos?", "cello", "counter", (42,)),
    (r"harps?", "harp", "arp", (46,)),
    (r"piccolos?", "piccolo", "lead", (72,)),
    (r"pan[- ]?flutes?|pan[- ]?pipes?", "pan flute", "lead", (75,)),
    (r"flutes?", "flute", "lead", (73,)),
    (r"recorders?", "recorder", "lead", (74,)),
    (r"clarinets?", "clarinet", "lead", (71,)),
    (r"english[- ]horns?|cor anglais", "english horn", "lead", (69,)),
    (r"oboes?", "oboe", "lead", (68,)),
    (r"bassoons?", "bassoon", "counter", (70,)),
    (r"woodwinds?|winds", "woodwinds", "counter", (71, 73, 68)),
    (r"french[- ]horns?", "french horn", "counter", (60,)),
    (r"horn[- ]sections?", "horn section", "stabs", (61,)),
    (r"muted[- ]trumpets?", "muted trumpet", "lead", (59,)),
    (r"trumpets?", "trumpet", "lead", (56,)),
    (r"trombones?", "trombone", "counter", (57,)),
    (r"tubas?", "tuba", "counter", (58,)),
    (r"brass(?:[- ]section)?", "brass", "stabs", (61,)),
    (r"horns?", "horns", "stabs", (61,)),
    (r"soprano[- ]sax(?:ophone)?s?", "soprano sax", "lead", (64,)),
    (r"alto[- ]sax(?:ophone)?s?", "alto sax", "lead", (65,)),
    (r"tenor[- ]sax(?:ophone)?s?", "tenor sax", "lead", (66,)),
    (r"baritone[- ]sax(?:ophone)?s?|bari[- ]sax", "baritone sax", "lead", (67,)),
    (r"sax(?:ophone)?s?", "saxophone", "lead", (65, 66)),
    (r"timpani|kettle[- ]?drums?", "timpani", "timpani", (47,)),
    (r"glockenspiels?|glock", "glockenspiel", "bells", (9,)),
    (r"tubular[- ]bells?|chimes", "tubular bells", "bells", (14,)),
    (r"celesta|celeste", "celesta", "bells", (8,)),
    (r"music[- ]?box(?:es)?", "music box", "bells", (10,)),
    (r"bells?", "bells", "bells", (9, 14)),
    (r"marimbas?", "marimba", "arp", (12,)),
    (r"vibraphones?|vibes", "vibraphone", "chords", (11,)),
    (r"xylophones?", "xylophone", "bells", (13,)),
    (r"steel[- ]?(?:drums?|pans?)", "steel drums", "bells", (114,)),
    (r"kalimbas?|mbiras?", "kalimba", "arp", (108,)),
    (r"choirs?|choral|chorus(?:es)?|voices|vocals?|chants?|aahs|oohs", "choir", "pad", (52, 53)),
    (r"accordions?", "accordion", "chords", (21,)),
    (r"harmonicas?", "harmonica", "lead", (22,)),
    (r"banjos?", "banjo", "chords", (105,)),
    (r"sitars?", "sitar", "lead", (104,)),
    (r"ukuleles?|ukes?", "ukulele", "chords", (24,)),
    (r"(?:hand[- ]?)?claps?|handclaps?", "claps", "perc", ()),
    (r"congas?|bongos?", "congas", "perc", ()),
    (r"tambourines?", "tambourine", "perc", ()),
    (r"shakers?|maracas", "shaker", "perc", ()),
    (r"cowbells?", "cowbell", "perc", ()),
    (r"percussion|percussive", "percussion", "perc", ()),
    (r"arp(?:eggio(?:s)?|eggiat(?:or|ors|ed|ing)|s)?", "arpeggio", "arp", (81, 80, 87)),
    (r"saw(?:tooth)?(?:[- ](?:synths?|leads?|waves?))?", "saw synth", "lead", (81,)),
    (r"square(?:[- ]wave)?(?:[- ](?:synths?|leads?))?", "square synth", "lead", (80,)),
    (r"(?:synth(?:esizer)?[- ]?)?pads?|drones?|swells", "pad", "pad", (88, 89, 90, 91, 94, 95)),
    (r"(?:synth(?:esizer)?[- ])?plucks?|plucked synths?", "plucks", "arp", (80, 81)),
    (r"bleeps?|blips?|chiptune", "bleeps", "lead", (80,)),
    (r"whistl(?:e|es|ed|ing)", "whistle", "lead", (78,)),
    (r"(?:wah|blues(?:-based)?|scorching|soaring|screaming)?[- ]?solos?", "solo", "lead", (30, 29)),
    (r"(?:main |catchy |vocal |lead )?(?:melod(?:y|ies)|hooks?|themes?|tunes?|toplines?)", "melody", "lead", ()),
    (r"(?:synth(?:esizer)?[- ]?)?leads?", "lead synth", "lead", (80, 81, 87)),
    (r"synth(?:esizer)?s?|synthwave|analog synths?", "synth", "pad", (90, 89, 81)),
    (r"keys|keyboards?", "keys", "chords", (0, 4)),
    (r"brush(?:ed|es)?(?:[- ](?:drums|snare|kit))?", "brushes", "drums", ()),
    (r"(?:live|acoustic|real)[- ]drums|drum[- ]kits?|drums|drummer", "drums", "drums", ()),
)
_INSTRUMENT_RES = tuple((re.compile(r"\b(?:" + pat + r")\b", re.I), kw, role, progs)
                        for pat, kw, role, progs in _INSTRUMENTS)
_NEGATION_RE = re.compile(r"\b(?:no|without|minus|sans|except)\s+(?:any\s+|the\s+)?$", re.I)
_NO_DRUMS_RE = re.compile(r"\b(?:no|without)\s+(?:any\s+)?(?:drums|percussion|beats?|rhythm section)\b|"
                          r"\bdrumless\b|\ba[- ]?cappella\b|\bbeatless\b", re.I)
# groove words -> a drum pattern family (mapped per genre by arrange)
_GROOVE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(r"\b(?:" + pat + r")\b", re.I), name) for pat, name in (
        (r"four[- ]on[- ]the[- ]floor|house|disco|dance[- ]?floor|club", "four_on_floor"),
        (r"techno", "techno"),
        (r"drum[- ](?:and|&|n|'n'?)[- ]bass|dnb|jungle|break[- ]?beats?|breaks|amen break", "breakbeat"),
        (r"dubstep|trap|half[- ]?time|half[- ]step", "halftime"),
    ))
_SWING_RE = re.compile(r"\b(?:swing|swinging|swingy|swung|shuffle|shuffled|shuffling)\b", re.I)
_BPM_RE = re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per minute)\b", re.I)

_MAJOR_WORDS = ("happy", "uplifting", "bright", "joyful", "joyous", "cheerful", "sunny", "triumphant", "euphoric",
                "optimistic", "playful", "hopeful", "heroic", "festive", "fun", "feel-good", "feel good", "jubilant",
                "celebratory", "summery", "summer", "carefree", "positive", "lighthearted", "light-hearted", "sunny",
                "breezy", "cheeky", "quirky", "sweet", "proud", "noble", "confident", "glittering", "sparkling")
_MINOR_WORDS = ("sad", "dark", "melancholic", "melancholy", "tense", "mysterious", "moody", "somber", "sombre",
                "brooding", "ominous", "haunting", "gloomy", "eerie", "menacing", "sinister", "suspenseful",
                "mournful", "tragic", "lonely", "bittersweet", "nostalgic", "anxious", "foreboding", "angry",
                "desolate", "grim", "introspective", "wistful", "unsettling", "creeping", "desperate", "brutal",
                "cold", "reflective", "dramatic", "nervous", "paranoid", "dread", "sorrowful", "heartbroken")
_EPIC_WORDS = ("epic", "cinematic", "heroic", "triumphant", "grand", "majestic", "massive", "soaring",
               "anthemic", "monumental", "sweeping", "powerful", "huge", "bombastic")
_CALM_WORDS = ("calm", "dreamy", "relaxed", "relaxing", "gentle", "peaceful", "soft", "mellow", "ambient",
               "serene", "soothing", "tender", "intimate", "quiet", "delicate", "lullaby", "meditative",
               "chill", "chilled", "laid-back", "laid back", "sleepy", "hazy", "floating", "minimal", "sparse",
               "tranquil", "subdued", "understated", "smooth", "hushed", "fragile", "faint", "restrained",
               "lone", "floaty", "weightless")
_ENERGY_WORDS = ("energetic", "aggressive", "intense", "heavy", "driving", "hard", "punchy", "pounding",
                 "explosive", "fierce", "raw", "loud", "wild", "high-energy", "high energy", "danceable", "dance",
                 "party", "bouncy", "dense", "busy", "thumping", "banging", "rocking", "thunderous", "stomping",
                 "crashing", "urgent", "extreme", "galloping", "action", "chase", "enormous", "massive")
# tempo words -> window of the genre's tempo range (0 = slowest, 1 = fastest)
_TEMPO_WORDS: tuple[tuple[tuple[str, ...], tuple[float, float]], ...] = (
    (("frantic", "breakneck", "furious", "blistering", "hyper", "relentless"), (1.0, 1.35)),
    (("fast", "quick", "rapid", "uptempo", "up-tempo", "speedy", "racing", "high-tempo", "fast-paced"), (0.85, 1.2)),
    (("upbeat", "driving", "lively", "energetic", "bouncy", "brisk"), (0.6, 1.0)),
    (("mid-tempo", "midtempo", "mid tempo", "moderate", "medium tempo", "medium-tempo", "steady"), (0.35, 0.65)),
    (("laid-back", "laid back", "relaxed", "chill", "chilled", "lounge", "easy-going", "easygoing", "unhurried"),
     (0.0, 0.35)),
    (("slow", "slowly", "ballad", "downtempo", "lazy", "slow-burning", "slow-moving", "largo", "adagio"),
     (-0.35, 0.2)),
)
_LOFI_WORDS = ("lo-fi", "lofi", "lo fi", "low-fi", "vintage", "tape", "dusty", "vinyl", "cassette", "crackle",
               "crackling", "old-school radio", "degraded", "bitcrushed", "bit-crushed", "8-bit", "chiptune")
_REVERB_HEAVY = ("reverb-drenched", "drenched", "washed-out", "washed out", "cavernous", "cathedral", "cavern",
                 "huge reverb", "shimmering")
_REVERB_WORDS = ("reverb", "reverberant", "spacious", "hall", "ethereal", "atmospheric", "airy", "echo", "echoing",
                 "echoes", "roomy", "ambient", "lush", "wide", "distant", "vast", "delays", "dub", "cathedral-like")
_DRY_WORDS = ("dry", "tight", "close-miked", "in-your-face")


def _word_re(words: Iterable[str]) -> re.Pattern[str]:
    alts = sorted((re.escape(w).replace(r"\ ", r"[\s-]").replace(r"\-", r"[\s-]") for w in words),
                  key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.I)


_MAJOR_RE = _word_re(_MAJOR_WORDS)
_MINOR_RE = _word_re(_MINOR_WORDS)
_EPIC_RE = _word_re(_EPIC_WORDS)
_CALM_RE = _word_re(_CALM_WORDS)
_ENERGY_RE = _word_re(_ENERGY_WORDS)
_TEMPO_RES = tuple((_word_re(words), window) for words, window in _TEMPO_WORDS)
_LOFI_RE = _word_re(_LOFI_WORDS)
_REVERB_HEAVY_RE = _word_re(_REVERB_HEAVY)
_REVERB_RE = _word_re(_REVERB_WORDS)
_DRY_RE = _word_re(_DRY_WORDS)
_MAJOR_KEY_RE = re.compile(r"\bmajor(?:[- ]key)?\b", re.I)
_MINOR_KEY_RE = re.compile(r"\bminor(?:[- ]key)?\b", re.I)


def parse_description(text: str | None) -> DescriptionHints:
    """Read instruments, mood, tempo and production words from a description.

    Instruments are matched longest-first ("electric piano" is not also a
    "piano"); one preceded by "no"/"without" is excluded rather than forced.
    Mood words pick the mode (``"major"``/``"minor"``), tempo words a window of
    the genre's tempo range (an explicit "NNN BPM" wins), and epic/calm/energy
    words scale dynamics and density.
    """
    text = (text or "").strip()
    keywords: list[str] = []
    taken = np.zeros(len(text) + 1, dtype=bool)
    drums: str | None = None
    drum_pattern: str | None = None
    percussion: list[str] = []
    instruments: list[InstrumentHint] = []
    excluded: list[InstrumentHint] = []

    for m in _NO_DRUMS_RE.finditer(text):
        taken[m.start():m.end()] = True
        drums = "none"
        keywords.append(m.group(0).lower())

    first_groove = len(text) + 1
    for regex, name in _GROOVE_WORDS:  # before instruments: "drum and bass" is no bass part
        for m in regex.finditer(text):
            taken[m.start():m.end()] = True
            keywords.append(m.group(0).lower())
            if m.start() < first_groove:
                first_groove, drum_pattern = m.start(), name

    for regex, kw, role, progs in _INSTRUMENT_RES:
        for m in regex.finditer(text):
            if taken[m.start():m.end()].any():
                continue
            taken[m.start():m.end()] = True
            negated = bool(_NEGATION_RE.search(text[max(0, m.start() - 16):m.start()]))
            hint = InstrumentHint(keyword=kw, role=role, programs=progs, text=m.group(0).lower())
            if negated:
                excluded.append(hint)
                if role in ("drums", "perc") and kw in ("drums", "percussion"):
                    drums = "none"
                continue
            keywords.append(hint.text)
            if role == "drums":
                if kw == "drum machine" and drums != "none":
                    drums = "machine"
                elif kw == "drums" and drums is None:
                    drums = "live" if re.search(r"live|acoustic|real", hint.text) else "kit"
                elif kw == "brushes" and drums in (None, "kit", "live"):
                    drums = "brushes"
                continue
            if role == "perc":
                if kw not in percussion:
                    percussion.append(kw)
                continue
            if role == "bass808":
                if drums != "none":
                    drums = "808"
                instruments.append(InstrumentHint(kw, "bass", progs, hint.text))
                continue
            if all(h.keyword != kw for h in instruments):
                instruments.append(hint)

    def _count(regex: re.Pattern[str]) -> int:
        found = regex.findall(text)
        keywords.extend(f.lower() for f in found)
        return len(found)

    swing = _count(_SWING_RE) > 0

    n_major, n_minor = _count(_MAJOR_RE), _count(_MINOR_RE)
    n_major += _count(_MAJOR_KEY_RE)
    n_minor += _count(_MINOR_KEY_RE)
    mode = "major" if n_major > n_minor else ("minor" if n_minor > n_major else None)
    epic = _count(_EPIC_RE) > 0
    calm = _count(_CALM_RE) > 0
    energetic = _count(_ENERGY_RE) > 0

    tempo_window: tuple[float, float] | None = None
    first = len(text) + 1
    for regex, window in _TEMPO_RES:
        m = regex.search(text)
        if m and m.start() < first:
            first, tempo_window = m.start(), window
    bpm: float | None = None
    m = _BPM_RE.search(text)
    if m:
        bpm = float(np.clip(float(m.group(1)), 40.0, 240.0))
        keywords.append(m.group(0).lower())
    if tempo_window is None and calm and not energetic:
        tempo_window = (0.0, 0.5)

    energy = 1.0 + (0.12 if energetic else 0.0) + (0.1 if epic else 0.0) - (0.2 if calm else 0.0)
    density = 1.0 + (0.2 if energetic else 0.0) + (0.15 if epic else 0.0) - (0.35 if calm else 0.0)

    lofi = _count(_LOFI_RE) > 0
    reverb: float | None = None
    if _count(_REVERB_HEAVY_RE):
        reverb = 0.5
    elif _count(_REVERB_RE):
        reverb = 0.35
    elif _count(_DRY_RE):
        reverb = 0.0

    return DescriptionHints(
        instruments=tuple(instruments), excluded=tuple(excluded), mode=mode, tempo_window=tempo_window,
        bpm=bpm, energy=energy, density=density, epic=epic, calm=calm, lofi=lofi, reverb=reverb,
        drums=drums, drum_pattern=drum_pattern, swing=swing, percussion=tuple(percussion),
        keywords=tuple(dict.fromkeys(k for k in keywords if k)),
    )


# ---------------------------------------------------------------------------
# Arrangement
# ---------------------------------------------------------------------------

_ROLE_REGISTER = {"bass": 38, "chords": 60, "pad": 60, "lead": 72, "arp": 67, "stabs": 68, "counter": 55,
                  "timpani": 45, "bells": 84}
_PROGRAM_REGISTER = {
    # bass role
    ("bass", 43): 40, ("bass", 42): 45, ("bass", 58): 40, ("bass", 32): 38, ("bass", 38): 36, ("bass", 39): 36,
    # leads and lines
    ("lead", 40): 74, ("lead", 73): 79, ("lead", 72): 84, ("lead", 68): 74, ("lead", 71): 67, ("lead", 60): 62,
    ("lead", 56): 70, ("lead", 59): 70, ("lead", 69): 67, ("lead", 65): 70, ("lead", 66): 62, ("lead", 64): 74,
    ("lead", 67): 55, ("lead", 29): 67, ("lead", 30): 67, ("lead", 54): 70, ("lead", 85): 70, ("lead", 22): 72,
    ("lead", 104): 67, ("lead", 75): 76, ("lead", 74): 76, ("lead", 11): 72,
    ("counter", 42): 52, ("counter", 41): 60, ("counter", 70): 50, ("counter", 57): 52, ("counter", 58): 43,
    ("counter", 60): 60, ("counter", 71): 64, ("counter", 73): 76, ("counter", 68): 70,
    ("chords", 57): 55, ("chords", 60): 57, ("chords", 61): 60, ("chords", 11): 67, ("chords", 45): 60,
    ("arp", 46): 62, ("arp", 12): 67, ("arp", 108): 67, ("arp", 24): 57,
    ("bells", 9): 84, ("bells", 8): 79, ("bells", 14): 67, ("bells", 11): 74, ("bells", 10): 79,
    ("bells", 13): 79, ("bells", 114): 72,
}

_SUSTAINED_PROGRAMS = frozenset(list(range(40, 45)) + list(range(48, 55)) + list(range(88, 96)) + [19, 20, 21])
_BRASS_PROGRAMS = frozenset(range(56, 64))
_KEYS_PROGRAMS = frozenset(list(range(0, 8)) + list(range(16, 19)) + [11, 12, 21])


@dataclass
class Part:
    """One instrument of an arrangement (one MIDI channel)."""

    name: str
    role: str
    program: int
    pattern: str
    level: float
    register: int
    voicing: str = "close"
    pump: bool = False
    enters_bar: int = 0
    forced: bool = False
    keyword: str = ""
    max_notes: int = 4

    @property
    def instrument(self) -> str:
        """General MIDI instrument name of :attr:`program`."""
        return _program_name(self.program)


@dataclass
class Arrangement:
    """A complete plan for one clip; :func:`to_midi` performs it."""

    genre: str
    description: str
    seed: int
    tempo: float
    key: int
    mode: str
    progression: tuple[Chord, ...]
    beats_per_chord: int
    parts: list[Part]
    drum_kit: int | None
    drum_pattern: str | None
    percussion: tuple[str, ...]
    drum_level: float
    swing: float
    swing_unit: int
    section_change: str
    change_bar: int
    fill: str
    start_crash: bool
    energy: float
    density: float
    epic: bool
    calm: bool
    pumping: float
    reverb: float
    lofi: bool
    soundfont: str
    keywords: tuple[str, ...] = ()

    @property
    def scale(self) -> tuple[int, ...]:
        """Scale degrees of :attr:`mode`."""
        return MODE_SCALES[self.mode]

    @property
    def key_name(self) -> str:
        """e.g. ``"A minor"`` or ``"D dorian"``."""
        return f"{NOTE_NAMES[self.key]} {self.mode}"

    def summary(self) -> dict[str, Any]:
        """JSON-ready description of the arrangement, for manifests and notebooks."""
        return {
            "genre": self.genre,
            "description": self.description,
            "seed": int(self.seed),
            "tempo_bpm": float(self.tempo),
            "key": NOTE_NAMES[self.key],
            "mode": self.mode,
            "key_name": self.key_name,
            "progression": [c.name(self.key) for c in self.progression],
            "progression_roman": [c.symbol for c in self.progression],
            "beats_per_chord": int(self.beats_per_chord),
            "drum_kit": None if self.drum_kit is None else DRUM_KITS.get(self.drum_kit, str(self.drum_kit)),
            "drum_kit_program": self.drum_kit,
            "drum_pattern": self.drum_pattern,
            "percussion": list(self.percussion),
            "swing": round(float(self.swing), 3),
            "swing_unit": "8th" if self.swing_unit == 2 else "16th",
            "parts": [
                {"name": p.name, "role": p.role, "program": int(p.program), "instrument": p.instrument,
                 "pattern": p.pattern, "level": round(float(p.level), 3), "forced": bool(p.forced),
                 "enters_bar": int(p.enters_bar)}
                for p in self.parts
            ],
            "section_change": self.section_change,
            "change_bar": int(self.change_bar),
            "energy": round(float(self.energy), 3),
            "density": round(float(self.density), 3),
            "pumping": round(float(self.pumping), 3),
            "reverb": round(float(self.reverb), 3),
            "lofi": bool(self.lofi),
            "soundfont": os.path.basename(self.soundfont),
            "keywords": list(self.keywords),
        }


def _program_name(program: int) -> str:
    import pretty_midi

    return pretty_midi.program_to_instrument_name(int(program))


def _genre_style(genre: str) -> GenreStyle:
    for name, style in GENRE_STYLES.items():
        if name.lower() == str(genre).strip().lower():
            return style
    raise ValueError(f"unknown genre {genre!r}; known genres: {', '.join(GENRE_STYLES)}")


def _norm_seed(seed: int) -> int:
    return int(seed) % (2 ** 64)


# sub-streams of a request's seed
_STREAM_PERFORMANCE = 1
_STREAM_EFFECTS = 2
_STREAM_PART = 100


def _rng(seed: int, stream: int | None = None) -> np.random.Generator:
    """``default_rng(seed)``, or a fixed sub-stream of it."""
    s = _norm_seed(seed)
    return np.random.default_rng(s if stream is None else [s, stream])


def _choice(rng: np.random.Generator, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
    """Pick one item; always draws exactly one uniform number."""
    u = rng.random()
    if weights is None:
        return options[min(int(u * len(options)), len(options) - 1)]
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w / w.sum())
    return options[min(int(np.searchsorted(cdf, u, side="right")), len(options) - 1)]


def _register_for(role: str, program: int) -> int:
    return _PROGRAM_REGISTER.get((role, program), _ROLE_REGISTER.get(role, 60))


def _voicing_for(pattern: str, role: str, style: GenreStyle, rng: np.random.Generator) -> str:
    if pattern.startswith("power"):
        return "power"
    if pattern == "strum":
        return "guitar"
    if pattern.startswith("funk_scratch"):
        return "shell"
    if style.expressive and role in ("pad", "chords") and pattern in ("legato", "brass_swell", "pad_sustain"):
        return "spread"
    return "open" if rng.random() < 0.35 else "close"


def _pattern_for(role: str, program: int, style: GenreStyle, rng: np.random.Generator) -> str:
    """A pattern that suits ``program`` playing ``role`` in ``style``."""
    u = rng.random()

    def pick(options: Sequence[str]) -> str:
        return options[min(int(u * len(options)), len(options) - 1)]

    if role == "bass":
        for ps in style.parts:
            if ps.role == "bass":
                return pick(ps.patterns)
        return "root_quarters"
    if role == "chords":
        if program in (29, 30):
            return pick(("power_8ths", "power_synco", "power_sustain"))
        if program in (24, 25, 105):
            return "strum"
        if program in (7, 28):
            return pick(("funk_scratch", "funk_scratch2")) if style.name == "Funk" else "offbeat_comp"
        if program == 45:
            return "pizz_8ths"
        if program in _BRASS_PROGRAMS:
            return "brass_swell" if style.expressive else "stabs"
        if program in _SUSTAINED_PROGRAMS:
            return "pad_sustain"
        if program in (26, 27):
            return pick(("funk_scratch", "offbeat_comp")) if style.name == "Funk" else "clean_arpeggio"
        return pick(style.keys_patterns)
    if role == "pad":
        return "legato" if style.expressive else "pad_sustain"
    if role == "lead":
        for ps in style.parts:
            if ps.role == "lead":
                return pick(ps.patterns)
        return "pop_melody"
    if role == "arp":
        if program in (46, 12, 108, 24, 11):
            return "harp_arp"
        return pick(("arp_up", "arp_updown", "arp_random"))
    if role == "stabs":
        return "brass_swell" if style.expressive else ("house_stabs" if style.name == "Electronica" else "stabs")
    if role == "counter":
        return "counter_line"
    if role == "timpani":
        return pick(("timp_hits", "timp_roll"))
    if role == "bells":
        return "bells_8ths"
    return "block_half"


def _groove_pattern(style: GenreStyle, groove: str | None) -> str | None:
    """The genre's drum pattern for a groove word of the description (``None``: no preference)."""
    if groove is None or style.name == "Orchestral":
        return None
    if groove == "four_on_floor":
        return style.four_on_floor_pattern
    if groove == "techno":
        return "techno" if style.name == "Electronica" else style.four_on_floor_pattern
    if groove == "breakbeat":
        return "breakbeat" if style.name in ("Electronica", "Pop") else {"Funk": "funk_breaks"}.get(style.name)
    if groove == "halftime":
        return {"Electronica": "halfstep", "Rock": "rock_halftime", "Pop": "pop_ballad",
                "Funk": "funk_linear"}.get(style.name)
    return None


def _tempo(style: GenreStyle, hints: DescriptionHints, rng: np.random.Generator) -> float:
    lo, hi = style.tempo_range
    window = hints.tempo_window or ((0.3, 1.0) if hints.energy > 1.05 and not hints.calm else (0.0, 1.0))
    u = rng.uniform(*window)
    if hints.bpm is not None:
        return float(hints.bpm)
    return float(np.clip(round(lo + u * (hi - lo)), 40, 240))


def arrange(genre: str, description: str | None, seed: int, *, soundfonts: Sequence[str] | None = None,
            duration_s: float = 10.0) -> Arrangement:
    """Plan a clip of ``genre`` following ``description``, with choices drawn from ``seed``.

    ``soundfonts`` are the SoundFonts one is drawn from (default:
    :func:`find_soundfonts`); ``duration_s`` places the section change.
    Raises ``ValueError`` for an unknown genre.
    """
    style = _genre_style(genre)
    hints = parse_description(description)
    fonts = list(resolve_soundfonts("auto" if soundfonts is None else soundfonts))
    rng = _rng(seed)

    soundfont = _choice(rng, fonts)
    minor_draw = rng.random()
    mode_family = hints.mode or ("minor" if minor_draw < style.minor_probability else "major")
    mode = style.minor_mode if mode_family == "minor" else style.major_mode
    key = int(_choice(rng, list(range(12)), style.key_weights))
    tempo = _tempo(style, hints, rng)
    tokens, beats_per_chord = _choice(rng, style.progressions[mode_family])
    progression = tuple(parse_roman(t) for t in tokens)
    swing_draw = rng.random()
    lo_sw, hi_sw = style.swing_range
    swing, swing_unit = lo_sw + swing_draw * (hi_sw - lo_sw), 1
    if hints.swing and style.name != "Orchestral":
        # a shuffle: swung 8ths in rock/pop, hard-swung 16ths in funk and electronica
        swing_unit = 2 if style.name in ("Rock", "Pop") else 1
        swing = 0.28 + 0.08 * swing_draw
    elif hints.calm:
        swing *= 0.5

    # drums
    kit_draw = rng.random()
    pattern_draw = rng.random()
    drum_kit: int | None = None
    drum_pattern: str | None = None
    wants_drums = hints.drums in ("kit", "live", "machine", "808", "brushes") or bool(
        style.name == "Orchestral" and "percussion" in hints.percussion)
    if hints.drums != "none" and (style.drum_kits or wants_drums):
        if hints.drums == "808":
            drum_kit = 25
        elif hints.drums == "machine":
            drum_kit = (24, 25)[int(kit_draw * 2)]
        elif hints.drums == "brushes":
            drum_kit = 40
        elif hints.drums == "live" and style.name == "Electronica":
            drum_kit = (0, 8)[int(kit_draw * 2)]
        elif style.drum_kits:
            drum_kit = style.drum_kits[min(int(kit_draw * len(style.drum_kits)), len(style.drum_kits) - 1)]
        else:
            drum_kit = 48
        groove = _groove_pattern(style, hints.drum_pattern)
        if groove:
            drum_pattern = groove
        else:
            pool = style.sparse_drum_patterns if hints.calm else style.drum_patterns
            if hints.tempo_window and hints.tempo_window[1] <= 0.35 and not hints.calm:
                pool = style.sparse_drum_patterns + style.drum_patterns[:1]
            elif hints.energy > 1.05 or (hints.tempo_window and hints.tempo_window[0] >= 0.6):
                pool = tuple(p for p in pool if p not in style.sparse_drum_patterns) or pool
            drum_pattern = pool[min(int(pattern_draw * len(pool)), len(pool) - 1)]
    drum_level = float(0.85 * rng.uniform(0.88, 1.1))

    percussion: list[str] = []
    for name, p in style.percussion:
        if rng.random() < p * hints.density and drum_kit is not None:
            percussion.append(name)
    if drum_kit is not None:
        for name in hints.percussion:
            if name == "percussion":
                name = "congas" if style.name != "Orchestral" else ""
            if name and name not in percussion:
                percussion.append(name)

    # parts
    parts: list[Part] = []
    density = hints.density
    for ps in style.parts:
        draw = rng.random()
        pick = min(int(rng.random() * len(ps.programs)), len(ps.programs) - 1)
        used = {q.program for q in parts}
        options = [ps.programs[(pick + k) % len(ps.programs)] for k in range(len(ps.programs))]
        program = next((prog for prog in options if prog not in used), options[0])  # no doubled instrument
        pattern = ps.patterns[min(int(rng.random() * len(ps.patterns)), len(ps.patterns) - 1)]
        level = ps.level * float(rng.uniform(0.85, 1.12))
        voicing = _voicing_for(pattern, ps.role, style, rng)
        p = ps.probability
        if ps.probability < 1.0:
            p = ps.probability * density
            if hints.epic and (ps.role in ("timpani",) or (ps.role == "chords" and style.expressive)):
                p = 1.0
        if draw >= p:
            continue
        if any(program // 8 == hp // 8 for h in hints.excluded for hp in h.programs):
            continue  # "without piano" / "no guitars": leave out the whole GM family
        parts.append(Part(name=ps.name, role=ps.role, program=program, pattern=pattern, level=level,
                          register=_register_for(ps.role, program), voicing=voicing, pump=ps.pump))

    # forced instruments from the description
    for hint in hints.instruments:
        role, programs, pattern = hint.role, hint.programs, None
        override = style.keyword_overrides.get(hint.keyword)
        if override:
            role = override[0] or role
            programs = override[1] or programs
            pattern = override[2]
        if not programs or hint.keyword in _DESCRIPTIVE_KEYWORDS:
            # "melody", "solo", "arpeggios", "stabs": a job more than an instrument; an existing part does it
            existing = [q for q in parts if q.role == role]
            if existing:
                existing[0].forced, existing[0].keyword = True, existing[0].keyword or hint.keyword
                continue
            if not programs:
                templates = [ps for ps in style.parts if ps.role == role]
                programs = templates[0].programs if templates else (80, 81)
        program = programs[min(int(rng.random() * len(programs)), len(programs) - 1)]
        if role == "bass" and hint.keyword in _KEYWORD_BASS_PATTERNS:
            pattern = _KEYWORD_BASS_PATTERNS[hint.keyword]
        elif pattern is None:
            pattern = _pattern_for(role, program, style, rng)
        voicing = _voicing_for(pattern, role, style, rng)
        level = float(np.clip(0.7 * rng.uniform(0.95, 1.1), 0.0, 1.0))
        same = [q for q in parts if q.program == program and q.role == role]
        if same:
            same[0].forced, same[0].keyword = True, hint.keyword
            same[0].level = max(same[0].level, level)
            continue
        new = Part(name=hint.keyword, role=role, program=program, pattern=pattern, level=level,
                   register=_register_for(role, program), voicing=voicing, forced=True, keyword=hint.keyword,
                   pump=bool(style.pumping[1] > 0 and role in ("pad", "chords", "arp")))
        # a named instrument takes the place of the genre's default of the same job
        replace = [j for j, q in enumerate(parts) if q.role == role and not q.forced and
                   (role in _REPLACED_ROLES or _family(q.program) == _family(program))]
        if replace:
            old = parts[replace[0]]
            if role == "bass" and hint.keyword not in _KEYWORD_BASS_PATTERNS and _bass_pattern_ok(old.pattern, program):
                new.pattern = old.pattern
            new.pump = old.pump
            parts[replace[0]] = new
            continue
        if role == "lead" and any(q.role == "lead" for q in parts):
            new.role, new.pattern, new.register = "counter", "counter_line", _register_for("counter", program)
            new.voicing = "close"
        parts.append(new)

    if style.name == "Orchestral" and "percussion" in hints.percussion and not any(
            q.role == "timpani" for q in parts):
        parts.append(Part(name="percussion", role="timpani", program=47, pattern="timp_hits", level=0.65,
                          register=_register_for("timpani", 47), forced=True, keyword="percussion"))

    # keep at most 8 melodic parts: drop optional (non-forced) parts from the end
    while len(parts) > 8:
        drop = [j for j, q in enumerate(parts) if not q.forced and q.role not in ("bass",)]
        if not drop:
            break
        parts.pop(drop[-1])
    if not any(q.role in ("chords", "pad", "stabs", "arp") for q in parts):
        # every clip needs harmony: fall back to the genre's first harmony part, avoiding excluded programs
        banned = {prog for h in hints.excluded for prog in h.programs}
        for ps in style.parts:
            allowed = [prog for prog in ps.programs if prog not in banned]
            if ps.role in ("chords", "pad") and allowed:
                parts.insert(0, Part(name=ps.name, role=ps.role, program=allowed[0], pattern=ps.patterns[0],
                                     level=ps.level, register=_register_for(ps.role, allowed[0]),
                                     voicing=_voicing_for(ps.patterns[0], ps.role, style, rng)))
                break
        else:
            parts.insert(0, Part(name="pad", role="pad", program=89, pattern="pad_sustain", level=0.6,
                                 register=_register_for("pad", 89), voicing="close"))

    # many sustained layers: thin the extra ones to three-note close voicings (polyphony budget)
    sustained = [q for q in parts if _PATTERN_KIND.get(q.pattern) == "sustain"]
    for q in sustained[2:]:
        q.max_notes = 3
        q.voicing = "close"

    # section change
    change_options = style.section_changes
    if drum_kit is None:
        change_options = tuple((n, w) for n, w in change_options if n not in ("fill", "drop")) or (("none", 1.0),)
    section = _choice(rng, [n for n, _ in change_options], [w for _, w in change_options])
    bar_s = 240.0 / tempo
    change_bar = int(min(4, max(1, int(duration_s / bar_s * 0.6))))
    fill = _choice(rng, ("snare", "toms", "snare_toms"))
    if section == "enter":
        optional = [q for q in parts if q.role in ("lead", "counter", "arp", "bells", "timpani") and not q.forced]
        if optional:
            _choice(rng, optional).enters_bar = change_bar
        else:
            section = "none"
    start_crash = bool(rng.random() < style.start_crash)

    pumping = float(rng.uniform(*style.pumping)) if style.pumping[1] > 0 and drum_kit is not None else 0.0
    reverb = style.reverb if hints.reverb is None else hints.reverb
    reverb = float(reverb * (1.3 if hints.calm and hints.reverb is None else 1.0))
    energy = style.velocity * hints.energy

    return Arrangement(
        genre=style.name, description=description or "", seed=int(seed), tempo=tempo, key=key, mode=mode,
        progression=progression, beats_per_chord=int(beats_per_chord), parts=parts, drum_kit=drum_kit,
        drum_pattern=drum_pattern if drum_kit is not None else None, percussion=tuple(percussion),
        drum_level=drum_level, swing=float(swing), swing_unit=swing_unit, section_change=section,
        change_bar=change_bar, fill=fill,
        start_crash=start_crash, energy=float(energy), density=float(density), epic=hints.epic, calm=hints.calm,
        pumping=pumping, reverb=reverb, lofi=hints.lofi, soundfont=str(soundfont), keywords=hints.keywords,
    )


_DESCRIPTIVE_KEYWORDS = frozenset({"melody", "solo", "arpeggio", "sequence", "stabs", "plucks", "pad"})
_KEYWORD_BASS_PATTERNS = {"808": "sustain_808", "acid": "acid"}
_REPLACED_ROLES = frozenset({"bass", "lead", "arp", "timpani", "bells", "stabs"})


def _family(program: int) -> str:
    """Coarse instrument family, to decide whether a named instrument replaces a default part."""
    if program in (29, 30):
        return "power guitar"
    if program in (24, 25, 105):
        return "acoustic guitar"
    if 24 <= program <= 31:
        return "guitar"
    if program == 7:
        return "clavinet"
    if 0 <= program <= 6:
        return "keys"
    return f"gm{program // 8}"


def _bass_pattern_ok(pattern: str, program: int) -> bool:
    """Whether a genre bass pattern suits a replacement bass program (slap lines need a slap-capable bass)."""
    if pattern in ("slap_16", "octave_pops"):
        return program in (33, 34, 35, 36, 37, 38, 39, 87)
    return True


# ---------------------------------------------------------------------------
# Performance: arrangement -> notes
# ---------------------------------------------------------------------------

# a note on the 16th grid: (step, length in steps, pitch, velocity 0..1, extra offset in seconds)
_Note = tuple[float, float, int, float, float]


class _Context:
    """Timing and harmony of one performance."""

    def __init__(self, arr: Arrangement, duration_s: float):
        self.arr = arr
        self.duration = float(duration_s)
        self.beat_s = 60.0 / arr.tempo
        self.step_s = self.beat_s / 4.0
        self.total_steps = int(math.ceil(self.duration / self.step_s)) + 1
        self.bars = int(math.ceil(self.total_steps / 16.0))
        self.scale = arr.scale
        self.chord_steps = 4 * arr.beats_per_chord
        self.n_chords = int(math.ceil(self.bars * 16 / self.chord_steps))
        self.kick_steps: list[int] = []
        self.kick_set: set[int] = set()
        self.style = GENRE_STYLES[arr.genre]

    def chord_index(self, step: float) -> int:
        return int(step // self.chord_steps)

    def chord(self, index: int) -> Chord:
        return self.arr.progression[index % len(self.arr.progression)]

    def chord_at(self, step: float) -> Chord:
        return self.chord(self.chord_index(step))

    def chord_end(self, step: float) -> float:
        return (self.chord_index(step) + 1) * self.chord_steps

    def time(self, step: float) -> float:
        """Seconds of a grid step, with swing on the off-beat 16ths."""
        shift = 0.0
        if self.arr.swing and float(step).is_integer():
            if self.arr.swing_unit == 2 and int(step) % 4 == 2:
                shift = 2.0 * self.arr.swing
            elif self.arr.swing_unit == 1 and int(step) % 2 == 1:
                shift = self.arr.swing
        return (step + shift) * self.step_s

    def dyn(self, step: float) -> float:
        """Dynamics curve (velocity factor) at ``step``."""
        arr = self.arr
        d = 1.0
        if self.style.expressive:
            phrase = (step % 32) / 32.0
            d *= 0.84 + 0.2 * math.sin(math.pi * phrase)
        if arr.epic:
            d *= 0.82 + 0.28 * min(1.0, step / max(1, self.total_steps))
        bar = step / 16.0
        if arr.section_change == "swell" and arr.change_bar - 1 <= bar < arr.change_bar:
            d *= 0.85 + 0.3 * (bar - (arr.change_bar - 1))
        if arr.section_change in ("lift", "drop", "fill", "swell", "enter") and bar >= arr.change_bar:
            d *= 1.06
        return d

    def bar_range(self, part: Part) -> range:
        return range(part.enters_bar, self.bars)


def _root_pitch(ctx: _Context, chord: Chord, centre: int, bass: bool = True) -> int:
    pc = chord.bass_pc(ctx.arr.key, ctx.scale) if bass else (ctx.arr.key + chord.root) % 12
    return _nearest(pc, centre)


def _bass_degree(ctx: _Context, chord: Chord, degree: str, root: int, step: float) -> int:
    ivs = chord.intervals(ctx.scale)
    true_root = _nearest((ctx.arr.key + chord.root) % 12, root)
    if degree == "R":
        return root
    if degree == "O":
        return root + 12
    if degree == "5":
        return true_root + (6 if chord.quality in ("dim", "dim7", "m7b5") else 7)
    if degree == "3":
        return true_root + (ivs[1] if len(ivs) > 2 else 4)
    if degree == "7":
        sevenths = [iv for iv in ivs if iv in (9, 10, 11)]
        return true_root + sevenths[0] if sevenths else root + 12
    if degree == "A":
        nxt = ctx.chord_at(ctx.chord_end(step))
        if nxt.root != chord.root or nxt.quality != chord.quality:
            target = _root_pitch(ctx, nxt, root)
            return target - 1 if target > root else target + 1
        return true_root + 7
    raise ValueError(f"unknown bass degree {degree!r}")


def _bass_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    notes: list[_Note] = []
    if part.pattern == "acid":
        steps = [(s, 0.7, str(_choice(rng, ("R", "R", "O", "5", "R", "7"))), "X" if rng.random() < 0.35 else "o")
                 for s in range(16) if rng.random() < 0.72 or s == 0]
        pattern: Sequence[tuple[float, float, str, str]] = steps
    else:
        pattern = BASS_PATTERNS[part.pattern]
    sustained = part.pattern in ("sustained", "sustain_808")
    for bar in ctx.bar_range(part):
        for step, length, degree, acc in pattern:
            s = bar * 16 + step
            chord = ctx.chord_at(s)
            root = _root_pitch(ctx, chord, part.register)
            pitch = _bass_degree(ctx, chord, degree, root, s)
            length = min(length, ctx.chord_end(s) - s)
            notes.append((s, max(0.5, length), pitch, ACCENTS[acc], 0.0))
        if sustained and ctx.chord_steps < 16:
            # re-strike at chord changes inside the bar
            for c0 in range(bar * 16 + ctx.chord_steps, bar * 16 + 16, ctx.chord_steps):
                if all(abs(n[0] - c0) > 0.01 for n in notes[-4:]):
                    chord = ctx.chord_at(c0)
                    notes.append((c0, ctx.chord_steps, _root_pitch(ctx, chord, part.register), ACCENTS["x"], 0.0))
    notes.sort(key=lambda n: n[0])
    return _truncate_overlaps(notes)


def _truncate_overlaps(notes: list[_Note]) -> list[_Note]:
    """Shorten each note so it ends before the next note of the same pitch starts."""
    out: list[_Note] = []
    last: dict[int, int] = {}
    for n in sorted(notes, key=lambda n: (n[0], n[2])):
        j = last.get(n[2])
        if j is not None:
            s, ln, p, v, o = out[j]
            if s + ln > n[0]:
                out[j] = (s, max(0.25, n[0] - s - 0.05), p, v, o)
        last[n[2]] = len(out)
        out.append(n)
    return out


def _chord_voicings(ctx: _Context, part: Part) -> dict[int, list[int]]:
    """Voicing of every chord of the clip for ``part``, with voice leading."""
    out: dict[int, list[int]] = {}
    prev: list[int] | None = None
    for i in range(ctx.n_chords + 1):
        v = voice_chord(ctx.chord(i), ctx.arr.key, ctx.scale, part.voicing, part.register, prev, part.max_notes)
        out[i] = v
        prev = v
    return out


def _rhythm_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    voicings = _chord_voicings(ctx, part)
    rhythm = CHORD_RHYTHMS[part.pattern]
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        for step, length, acc in rhythm:
            s = bar * 16 + step
            if ctx.arr.calm and acc == "o" and part.pattern in ("pop_8ths", "power_8ths"):
                continue
            idx = ctx.chord_index(s)
            length = min(length, ctx.chord_end(s) - s)
            for pitch in voicings[idx]:
                notes.append((s, length, pitch, ACCENTS[acc], 0.0))
        # chord changes in the middle of a held rhythm note
        if part.pattern in ("block_whole",) and ctx.chord_steps < 16:
            for c0 in range(bar * 16 + ctx.chord_steps, bar * 16 + 16, ctx.chord_steps):
                for pitch in voicings[ctx.chord_index(c0)]:
                    notes.append((c0, ctx.chord_steps, pitch, ACCENTS["x"], 0.0))
    return _truncate_overlaps(notes)


def _sustain_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """Held chords; tones common to consecutive chords are tied, the others move (legato voice leading)."""
    voicings = _chord_voicings(ctx, part)
    notes: list[list[float]] = []
    active: dict[int, int] = {}
    start = part.enters_bar * 16
    for idx in range(ctx.n_chords):
        c0, c1 = idx * ctx.chord_steps, (idx + 1) * ctx.chord_steps
        if c1 <= start:
            continue
        s = max(c0, start)
        now: dict[int, int] = {}
        for pitch in voicings[idx]:
            j = active.get(pitch)
            if j is not None and notes[j][0] + notes[j][1] >= s - 0.2:
                notes[j][1] = c1 - 0.1 - notes[j][0]
            else:
                notes.append([s, c1 - s - 0.1, pitch, ACCENTS["x"] if idx else ACCENTS["X"], 0.0])
                j = len(notes) - 1
            now[pitch] = j
        active = now
    return [(float(a), float(b), int(c), float(d), float(e)) for a, b, c, d, e in notes]


def _strum_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    voicings = _chord_voicings(ctx, part)
    pattern = _CALM_STRUM if ctx.arr.calm else STRUM_PATTERNS[int(rng.integers(len(STRUM_PATTERNS)))]
    hits = [(i, c) for i, c in enumerate(pattern) if c != "."]
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        for k, (step, direction) in enumerate(hits):
            s = bar * 16 + step
            nxt = hits[k + 1][0] if k + 1 < len(hits) else 16 + hits[0][0]
            length = min(nxt - step, ctx.chord_end(s) - s) * 0.97
            voicing = voicings[ctx.chord_index(s)]
            strings = voicing if direction == "D" else list(reversed(voicing[-4:]))
            gap = 0.011 if direction == "D" else 0.007
            acc = ACCENTS["X" if step % 8 == 0 else ("x" if direction == "D" else "o")]
            for j, pitch in enumerate(strings):
                notes.append((s, length, pitch, acc * (1.0 - 0.04 * j), j * gap))
    return _truncate_overlaps(notes)


def _stab_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    voicings = _chord_voicings(ctx, part)
    a = STAB_RHYTHMS[int(rng.integers(len(STAB_RHYTHMS)))]
    b = STAB_RHYTHMS[int(rng.integers(len(STAB_RHYTHMS)))] if rng.random() < 0.5 else a
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        rhythm = a if bar % 2 == 0 else b
        for step, c in enumerate(rhythm):
            if c == ".":
                continue
            s = bar * 16 + step
            for pitch in voicings[ctx.chord_index(s)]:
                notes.append((s, 1.1, pitch, ACCENTS[c], 0.0))
    return _truncate_overlaps(notes)


def _arp_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    kind = part.pattern
    rate = {"harp_arp": 2, "pop_arpeggio": 2, "clean_arpeggio": 2, "bells_8ths": 2}.get(kind, 1)
    if ctx.arr.calm:
        rate *= 2
    gate = {"harp_arp": 3.0, "pop_arpeggio": 1.9, "clean_arpeggio": 1.9, "bells_8ths": 1.5}.get(kind, 0.6) * rate
    octaves = 1 if kind in ("pop_arpeggio", "clean_arpeggio") else 2
    perm = rng.integers(0, 6, size=8)
    notes: list[_Note] = []
    prev: list[int] | None = None
    cache: dict[int, list[int]] = {}
    start = part.enters_bar * 16
    for i, s in enumerate(range(start, ctx.bars * 16, rate)):
        idx = ctx.chord_index(s)
        if idx not in cache:
            v = voice_chord(ctx.chord(idx), ctx.arr.key, ctx.scale, "close", part.register, prev)
            prev = v
            cache[idx] = sorted(v) + [n + 12 for n in sorted(v)] * (octaves - 1)
        pool = cache[idx]
        if kind in ("arp_updown", "harp_arp", "pop_arpeggio"):
            period = max(1, 2 * len(pool) - 2)
            j = i % period
            j = j if j < len(pool) else period - j
        elif kind == "arp_random":
            j = int(perm[i % len(perm)]) % len(pool)
        else:
            j = i % len(pool)
        acc = ACCENTS["x"] if s % 4 == 0 else ACCENTS["o"]
        if ctx.arr.pumping and part.pump:
            if s in ctx.kick_set:
                acc *= 1.0 - 0.45 * ctx.arr.pumping
            elif s - 1 in ctx.kick_set:
                acc *= 1.0 - 0.2 * ctx.arr.pumping
        notes.append((s, min(gate, ctx.bars * 16 - s), pool[j], acc, 0.0))
    return _truncate_overlaps(notes)


def _scale_pitches(ctx: _Context, lo: int, hi: int, kind: str) -> list[int]:
    if kind == "pentatonic":
        degrees = (0, 3, 5, 7, 10) if ctx.arr.mode in MINOR_MODES else (0, 2, 4, 7, 9)
    else:
        degrees = ctx.scale
    pcs = {(ctx.arr.key + d) % 12 for d in degrees}
    return [p for p in range(lo, hi + 1) if p % 12 in pcs]


def _melody_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    spec = _MELODY_STYLES.get(part.pattern, _MELODY_STYLES["pop_melody"])
    cells = _CALM_CELLS if ctx.arr.calm else spec["cells"]
    names = list(cells)
    weights = np.array([cells[n] for n in names], dtype=float)
    lo, hi = part.register - 9, part.register + 10
    pitches = _scale_pitches(ctx, lo, hi, spec["scale"])
    deltas = (-3, -2, -1, 0, 1, 2, 3, 4, -4)
    delta_w = np.array([0.5, 1.0, 3.0, 1.0, 3.0, 1.2, 0.5, 0.3, 0.3])

    def phrase() -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        pos = 0
        while pos < 32:
            name = str(_choice(rng, names, weights))
            length, onsets = _CELLS[name]
            if pos + length > 32:
                continue
            if pos >= 28 and rng.random() < 0.5:
                name, (length, onsets) = "r", _CELLS["r"]
            for on, ln in onsets:
                out.append((pos + on, ln, int(_choice(rng, deltas, delta_w))))
            pos += length
        return out or [(0, 8, 0)]

    motif_a, motif_b = phrase(), phrase()
    form = (motif_a, motif_a, motif_b, motif_a)
    notes: list[_Note] = []
    idx = len(pitches) // 2
    for chunk in range(int(math.ceil(ctx.bars / 2))):
        motif = form[chunk % len(form)]
        if chunk == 1 and len(motif) > 2:
            motif = motif[:-2] + [(s, ln, int(_choice(rng, deltas, delta_w))) for s, ln, _ in motif[-2:]]
        for on, ln, delta in motif:
            s = chunk * 32 + on
            if s < part.enters_bar * 16 or s >= ctx.bars * 16:
                continue
            idx = int(np.clip(idx + delta, 0, len(pitches) - 1))
            if idx in (0, len(pitches) - 1) and delta == 0:
                idx += 2 if idx == 0 else -2
            pitch = pitches[idx]
            if s % 4 == 0:
                chord_pcs = set(ctx.chord_at(s).pitch_classes(ctx.arr.key, ctx.scale))
                cands = [p for p in range(lo, hi + 1) if p % 12 in chord_pcs]
                if cands:
                    pitch = min(cands, key=lambda p: (abs(p - pitch), p))
                    idx = int(np.argmin([abs(p - pitch) for p in pitches]))
            acc = ACCENTS["x"] if s % 4 == 0 else ACCENTS["o"]
            notes.append((s, ln * spec["legato"], pitch, acc, 0.0))
    return _truncate_overlaps(notes)


def _counter_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    span = 16 if ctx.arr.calm else 8
    lo, hi = part.register - 7, part.register + 7
    prev = part.register
    notes: list[_Note] = []
    for s in range(part.enters_bar * 16, ctx.bars * 16, span):
        chord = ctx.chord_at(s)
        pcs = chord.pitch_classes(ctx.arr.key, ctx.scale)
        upper = set(pcs[1:]) or set(pcs)
        cands = [p for p in range(lo, hi + 1) if p % 12 in upper]
        if not cands:
            cands = [_nearest(pcs[0], part.register)]
        cands.sort(key=lambda p: (abs(p - prev), p))
        pick = cands[1] if len(cands) > 1 and cands[0] == prev and rng.random() < 0.5 else cands[0]
        length = min(span, ctx.chord_end(s) - s) if ctx.chord_steps < span else span
        notes.append((s, length * 0.98, pick, ACCENTS["x"], 0.0))
        if ctx.chord_steps < span:
            c0 = ctx.chord_end(s)
            if c0 < s + span:
                chord2 = ctx.chord_at(c0)
                up2 = set(chord2.pitch_classes(ctx.arr.key, ctx.scale)[1:])
                c2 = [p for p in range(lo, hi + 1) if p % 12 in up2] or [pick]
                pick = min(c2, key=lambda p: (abs(p - pick), p))
                notes.append((c0, (s + span - c0) * 0.98, pick, ACCENTS["o"], 0.0))
        prev = pick
    return _truncate_overlaps(notes)


def _timpani_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    tonic = _nearest(ctx.arr.key, 45)
    dominant = tonic + 7 if tonic + 7 <= 53 else tonic - 5
    notes: list[_Note] = []
    roll_bar = ctx.arr.change_bar - 1 if part.pattern == "timp_roll" or ctx.arr.section_change == "swell" else -1
    ostinato = ctx.arr.epic and rng.random() < 0.5
    for bar in ctx.bar_range(part):
        s0 = bar * 16
        chord = ctx.chord_at(s0)
        pitch = dominant if chord.root == 7 else tonic
        if bar == roll_bar:
            notes.append((s0, 4, pitch, ACCENTS["x"], 0.0))
            for k in range(8, 16):
                notes.append((s0 + k, 1, tonic, 0.35 + 0.6 * (k - 8) / 8, 0.0))
            continue
        if ostinato:
            for k, c in enumerate("X.x.x.X.X.x.x.x."):
                if c != ".":
                    notes.append((s0 + k, 1.5, pitch if k < 12 else dominant, ACCENTS[c], 0.0))
            continue
        notes.append((s0, 6, pitch, ACCENTS["X"], 0.0))
        if rng.random() < 0.45:
            notes.append((s0 + 8, 4, dominant, ACCENTS["o"], 0.0))
    return _truncate_overlaps(notes)


def _drum_notes(ctx: _Context, rng: np.random.Generator) -> list[_Note]:
    arr = ctx.arr
    base = {k: v for k, v in DRUM_PATTERNS[arr.drum_pattern or "pop_backbeat"].items()}
    for name in arr.percussion:
        for k, v in PERCUSSION_LAYERS.get(name, {}).items():
            base.setdefault(k, v)
    electronic = arr.drum_kit in (24, 25)
    snare = E_SNARE if E_SNARE in base else (SNARE if SNARE in base else (SIDE_STICK if SIDE_STICK in base else SNARE))
    if ctx.arr.density < 0.85:
        for k in (CLOSED_HAT, RIDE):
            if k in base:
                base[k] = "".join(c if i % 2 == 0 else "." for i, c in enumerate(base[k]))
    # a variation of the kick line for odd bars, and funk ghost notes
    kick = base.get(KICK, base.get(35, ""))
    var_kick = kick
    if kick:
        free = [i for i, c in enumerate(kick) if c == "." and i % 2 == 0 and i not in (4, 12)]
        if free and rng.random() < 0.6:
            j = free[int(rng.integers(len(free)))]
            var_kick = kick[:j] + "x" + kick[j + 1:]
    ghost_p = ctx.style.ghost_probability
    lift_hats = arr.section_change == "lift"
    notes: list[_Note] = []
    kicks: list[int] = []
    for bar in range(ctx.bars):
        s0 = bar * 16
        hits: dict[int, list[tuple[int, str]]] = {}
        for key, line in base.items():
            if key in (KICK, 35) and bar % 2 == 1:
                line = var_kick if key == KICK or KICK not in base else line
            for i, c in enumerate(line):
                if c != ".":
                    hits.setdefault(i, []).append((key, c))
        if ghost_p and snare in base:
            for i in range(16):
                if i % 2 == 1 and not any(k == snare for k, _ in hits.get(i, [])) and rng.random() < ghost_p:
                    hits.setdefault(i, []).append((snare, "g"))
        if lift_hats and bar >= arr.change_bar:
            if ctx.style.name == "Rock":
                for i in list(hits):
                    hits[i] = [(RIDE if k == CLOSED_HAT else k, c) for k, c in hits[i]]
            elif TAMB_KEY not in base:
                for i in range(2, 16, 4):
                    hits.setdefault(i, []).append((TAMB_KEY, "o"))
        is_pre = bar == arr.change_bar - 1
        if is_pre and arr.section_change == "drop":
            for i in list(hits):
                hits[i] = [(k, c) for k, c in hits[i] if k not in (KICK, 35)]
            for i in range(8, 16):
                hits.setdefault(i, []).append((snare, "X" if i >= 14 else ("x" if i >= 12 else "o")))
            for i in range(0, 8, 2):
                hits.setdefault(i, []).append((snare, "g"))
        elif is_pre and arr.section_change == "fill":
            n = 8 if arr.fill == "snare_toms" else 4
            for i in range(16 - n, 16):
                hits[i] = [(k, c) for k, c in hits.get(i, []) if k in (KICK,) and i == 16 - n]
            for j, i in enumerate(range(16 - n, 16)):
                ramp = "o" if j < n // 2 else ("x" if j < n - 1 else "X")
                if arr.fill == "snare" or (arr.fill == "snare_toms" and j < n // 2) or electronic:
                    hits[i].append((snare, ramp))
                else:
                    tom = TOMS[min(len(TOMS) - 1, (j * len(TOMS)) // n)]
                    hits[i].append((tom, ramp))
        if (bar == 0 and arr.start_crash) or (bar == arr.change_bar and arr.section_change in
                                               ("fill", "drop", "lift")):
            hits.setdefault(0, []).append((CRASH, "X"))
            if not any(k in (KICK, 35) for k, _ in hits[0]):
                hits[0].append((KICK, "X"))
        elif arr.epic and bar % 2 == 0 and bar > 0 and not ctx.style.expressive:
            hits.setdefault(0, []).append((CRASH, "x"))
        for i in sorted(hits):
            s = s0 + i
            for key, c in hits[i]:
                hold = _DRUM_HOLD.get(key, 0.25) / ctx.step_s
                vel = ACCENTS[c]
                if key in PERC_KEYS:
                    vel *= 0.75
                notes.append((s, hold, key, vel, 0.0))
                if key in (KICK, 35):
                    kicks.append(s)
    ctx.kick_steps = sorted(set(kicks))
    return notes


TAMB_KEY = 54
PERC_KEYS = frozenset({54, 56, 62, 63, 64, 70})


def _part_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    if part.role == "bass":
        return _bass_notes(ctx, part, rng)
    kind = _PATTERN_KIND.get(part.pattern, "rhythm")
    fn = {
        "rhythm": _rhythm_notes, "sustain": _sustain_notes, "strum": _strum_notes, "stabs": _stab_notes,
        "arp": _arp_notes, "melody": _melody_notes, "counter": _counter_notes, "timpani": _timpani_notes,
    }[kind]
    if kind == "rhythm" and part.pattern not in CHORD_RHYTHMS:
        raise ValueError(f"unknown pattern {part.pattern!r} for part {part.name!r}")
    return fn(ctx, part, rng)


def _cc_value(gain: float) -> int:
    """CC7/CC11 value giving ``gain`` under TinySoundFont's cubic volume curve."""
    return int(np.clip(round(127.0 * max(gain, 0.0) ** (1.0 / 3.0)), 1, 127))


def to_midi(arrangement: Arrangement, duration_s: float = 10.0):
    """Perform ``arrangement`` for ``duration_s`` seconds as a :class:`pretty_midi.PrettyMIDI`.

    Deterministic: randomness (humanisation, pattern variations) comes from
    sub-streams of the arrangement's seed. The drum kit is an ``is_drum``
    instrument whose program is the GM kit; channel volume (CC7) carries each
    part's level and expression (CC11) the side-chain pumping / swells.
    """
    import pretty_midi

    if duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    arr = arrangement
    ctx = _Context(arr, duration_s)
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(arr.tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    key_number = arr.key + (12 if arr.mode in MINOR_MODES else 0)
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    humanize = ctx.style.humanize_ms / 1000.0
    end_s = ctx.duration + 0.5

    def emit(inst, notes: Sequence[_Note], rng: np.random.Generator, vel_scale: float, jitter: float) -> None:
        """Place grid notes in time: swing, humanised onsets (never before 0), velocity jitter."""
        if not notes:
            return
        timing = (rng.standard_normal(len(notes)) * humanize).tolist() if humanize else [0.0] * len(notes)
        spread = (rng.standard_normal(len(notes)) * jitter).tolist()
        limit = 2.0 * humanize
        for (step, length, pitch, vel, offset), dt, dv in zip(notes, timing, spread, strict=True):
            start = ctx.time(step) + offset
            if step > 0:
                start += min(limit, max(-limit, dt))
            start = max(0.0, start)
            if start >= ctx.duration or not 0 <= pitch <= 127:
                continue
            end = min(end_s, max(start + 0.03, ctx.time(step + length) + offset))
            v = vel * vel_scale * ctx.dyn(step) * (1.0 + dv)
            inst.notes.append(pretty_midi.Note(velocity=int(min(127, max(1, round(127 * v)))), pitch=int(pitch),
                                               start=float(start), end=float(end)))

    drum_rng = _rng(arr.seed, _STREAM_PERFORMANCE)
    if arr.drum_kit is not None and arr.drum_pattern:
        drum_notes = _drum_notes(ctx, drum_rng)
        ctx.kick_set = set(ctx.kick_steps)
        drums = pretty_midi.Instrument(program=int(arr.drum_kit), is_drum=True, name="drums")
        drums.control_changes.append(pretty_midi.ControlChange(7, _cc_value(arr.drum_level), 0.0))
        emit(drums, drum_notes, drum_rng, arr.energy, 0.05 if humanize else 0.02)
        _fix_overlaps(drums)
        pm.instruments.append(drums)

    for i, part in enumerate(arr.parts):
        rng = _rng(arr.seed, _STREAM_PART + i)
        notes = _part_notes(ctx, part, rng)
        inst = pretty_midi.Instrument(program=int(part.program), is_drum=False, name=f"{part.role}:{part.name}")
        inst.control_changes.append(pretty_midi.ControlChange(7, _cc_value(part.level), 0.0))
        scale = arr.energy * (0.92 if part.role in ("pad", "counter") else 1.0)
        emit(inst, notes, rng, scale, 0.04 if humanize else 0.02)
        _expression(ctx, part, inst)
        if inst.notes:
            _fix_overlaps(inst)
            pm.instruments.append(inst)
    return pm


def _fix_overlaps(inst) -> None:
    """Sort notes and end each one before the next note of the same pitch starts (after humanisation)."""
    inst.notes.sort(key=lambda n: (n.start, n.pitch, n.end))
    last: dict[int, Any] = {}
    kept = []
    for note in inst.notes:
        prev = last.get(note.pitch)
        if prev is not None and prev.end > note.start - 0.002:
            if note.start - prev.start < 0.01:  # a duplicate strike: keep the louder
                prev.velocity = max(prev.velocity, note.velocity)
                prev.end = max(prev.end, note.end)
                continue
            prev.end = max(prev.start + 0.005, note.start - 0.002)
        last[note.pitch] = note
        kept.append(note)
    inst.notes = kept


def _expression(ctx: _Context, part: Part, inst) -> None:
    """Add CC11 automation: side-chain pumping (electronica) or phrase swells (orchestral)."""
    import pretty_midi

    arr = ctx.arr
    events: list[tuple[float, int]] = []
    if arr.pumping and part.pump and ctx.kick_steps:
        depth = arr.pumping
        for k in ctx.kick_steps:
            for off, g in ((0.0, 1.0 - depth), (1.0, 1.0 - 0.55 * depth), (2.0, 1.0 - 0.2 * depth), (3.0, 1.0)):
                events.append((k + off, _cc_value(g)))
    elif ctx.style.expressive and _PATTERN_KIND.get(part.pattern) == "sustain":
        for idx in range(ctx.n_chords):
            c0 = idx * ctx.chord_steps
            for j in range(8):
                u = j / 8.0
                g = 0.62 + 0.38 * math.sin(math.pi * min(1.0, 0.15 + u * 0.85))
                events.append((c0 + u * ctx.chord_steps, _cc_value(g)))
    if not events:
        return
    events.sort()
    last_step = -1.0
    for step, value in events:
        if step <= last_step:
            continue
        last_step = step
        t = step * ctx.step_s
        if t >= ctx.duration:
            break
        inst.control_changes.append(pretty_midi.ControlChange(11, int(value), float(t)))


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

DEFAULT_MAX_VOICES = 64

_FLUID_PATHS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/soundfonts/FluidR3_GM.sf2",
    "/usr/local/share/soundfonts/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/FluidR3_GM2-2.sf2",
    "/opt/homebrew/share/soundfonts/FluidR3_GM.sf2",
)


def find_soundfonts() -> list[str]:
    """General MIDI SoundFonts available here: pretty_midi's TimGM6mb, then FluidR3_GM if installed."""
    found: list[str] = []
    try:
        import pretty_midi

        tim = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
        if tim.is_file():
            found.append(str(tim))
    except ImportError:  # pragma: no cover - pretty_midi is a hard dependency
        pass
    for candidate in _FLUID_PATHS:
        if os.path.isfile(candidate):
            found.append(str(Path(candidate).resolve()))
            break
    return list(dict.fromkeys(found))


def _soundfont_identity(paths: Sequence[str]) -> list[dict]:
    """Names and sizes of SoundFont files: what tells one set of them from another."""
    return [{"name": os.path.basename(p), "bytes": os.path.getsize(p)} for p in paths]


def resolve_soundfonts(spec: str | os.PathLike | Sequence[str | os.PathLike]) -> tuple[str, ...]:
    """Turn the ``soundfonts`` option (``"auto"``, a path, or a list of paths) into existing file paths.

    Raises ``FileNotFoundError`` naming a missing file, ``ValueError`` when none is left.
    """
    if isinstance(spec, (str, os.PathLike)) and str(spec) == "auto":
        paths = find_soundfonts()
        if not paths:
            raise ValueError("no General MIDI SoundFont found (pretty_midi's TimGM6mb.sf2 is missing)")
        return tuple(paths)
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    out: list[str] = []
    for item in items:
        if str(item) == "auto":
            out.extend(find_soundfonts())
            continue
        path = Path(item).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"SoundFont not found: {path}")
        out.append(str(path.resolve()))
    out = list(dict.fromkeys(out))
    if not out:
        raise ValueError("soundfonts must name at least one SoundFont file")
    return tuple(out)


class _Engine:
    """One loaded SoundFont in a tinysoundfont synthesizer, rendering mono float32."""

    def __init__(self, path: str, sample_rate: int, max_voices: int):
        import tinysoundfont

        self.path = path
        self.sample_rate = int(sample_rate)
        self.synth = tinysoundfont.Synth(gain=0.0, samplerate=self.sample_rate)
        try:
            self.sfid = self.synth.sfload(path, gain=0.0, max_voices=int(max_voices))
        except Exception as exc:
            raise ValueError(f"cannot load SoundFont {path}: {exc}") from exc
        self._sf = self.synth.soundfonts[self.sfid]
        self.mono = False
        try:
            from tinysoundfont._tinysoundfont import OutputMode

            self._sf.set_output(OutputMode.Mono, self.sample_rate, 0.0)
            self.mono = True
        except (ImportError, AttributeError):  # older bindings: render stereo and average
            self.mono = False
        self._scratch = np.zeros(4096 * 2, dtype=np.float32)

    def _render(self, out: np.ndarray) -> None:
        if len(out) == 0:
            return
        if self.mono:
            self._sf.render(memoryview(out).cast("B"), False)
        else:
            stereo = np.zeros((len(out), 2), dtype=np.float32)
            self.synth.generate_simple(len(out), buffer=memoryview(stereo).cast("B"))
            out[:] = stereo.mean(axis=1)

    def reset(self) -> None:
        """Silence everything and forget all channel state, so renders do not depend on history."""
        if hasattr(self._sf, "reset"):
            self._sf.reset()
        else:  # pragma: no cover - every released binding has reset()
            for ch in range(16):
                if ch in self.synth.channel:
                    self.synth.control_change(ch, 120, 0)
                    self.synth.control_change(ch, 121, 0)
        n = len(self._scratch) if self.mono else len(self._scratch) // 2
        for _ in range(4):  # let the quick releases of cut voices finish
            self._render(self._scratch[:n])

    def setup_channel(self, channel: int, program: int, is_drum: bool) -> None:
        try:
            self.synth.program_select(channel, self.sfid, 0, int(program), is_drums=bool(is_drum))
        except RuntimeError:
            self.synth.program_select(channel, self.sfid, 0, 0, is_drums=bool(is_drum))

    def play(self, events: Sequence[_Event], out: np.ndarray) -> None:
        """Render ``out`` (mono float32) while applying ``events`` at their sample positions."""
        pos = 0
        n = len(out)
        synth = self.synth
        for sample, prio, _seq, ch, a, b in events:
            if sample >= n:
                break
            if sample > pos:
                self._render(out[pos:sample])
                pos = sample
            if prio == 2:
                if 0 <= a <= 127:
                    synth.noteon(ch, a, int(min(127, max(1, b))))
            elif prio == 1:
                synth.noteoff(ch, a)
            elif a >= 0:
                synth.control_change(ch, a, int(min(127, max(0, b))))
            else:
                synth.pitchbend(ch, int(min(16383, max(0, b))))
        self._render(out[pos:n])


class SoundFontCache:
    """Loads each SoundFont once (per sample rate) and hands out its synthesizer."""

    def __init__(self, sample_rate: int = 32000, max_voices: int = DEFAULT_MAX_VOICES):
        self.sample_rate = int(sample_rate)
        self.max_voices = int(max_voices)
        self._engines: dict[str, _Engine] = {}

    def engine(self, path: str | os.PathLike) -> _Engine:
        key = str(Path(path).resolve())
        if key not in self._engines:
            if not os.path.isfile(key):
                raise FileNotFoundError(f"SoundFont not found: {key}")
            self._engines[key] = _Engine(key, self.sample_rate, self.max_voices)
        return self._engines[key]

    def loaded(self) -> list[str]:
        return list(self._engines)


_Setup = tuple[int, int, int, int]
_Event = tuple[int, int, int, int, int, int]


def _midi_events(midi, sample_rate: int) -> tuple[list[_Setup], list[_Event]]:
    """Channel setup ``(channel, program, is_drum, _)`` and events of a PrettyMIDI.

    Events are ``(sample, priority, sequence, channel, a, b)`` sorted by time;
    priority 0 is a controller (``a`` its number, ``-1`` for pitch bend),
    1 a note-off, 2 a note-on (``a`` pitch, ``b`` velocity).
    """
    setup: list[_Setup] = []
    events: list[_Event] = []
    free = [c for c in range(16) if c != 9]
    by_program: dict[int, int] = {}
    drum_set = False
    seq = 0
    for inst in midi.instruments:
        if inst.is_drum:
            ch = 9
            if not drum_set:
                setup.append((9, int(inst.program), 1, 0))
                drum_set = True
        elif free:  # one channel per instrument while they last
            ch = free.pop(0)
            by_program.setdefault(int(inst.program), ch)
            setup.append((ch, int(inst.program), 0, 0))
        elif inst.program in by_program:
            ch = by_program[inst.program]
        else:
            raise ValueError("the MIDI needs more than 15 melodic channels; tinysoundfont has 16")
        for cc in inst.control_changes:
            events.append((int(round(cc.time * sample_rate)), 0, seq, ch, int(cc.number), int(cc.value)))
            seq += 1
        for pb in inst.pitch_bends:
            events.append((int(round(pb.time * sample_rate)), 0, seq, ch, -1, int(pb.pitch) + 8192))
            seq += 1
        for note in inst.notes:
            if note.velocity <= 0:
                continue
            start = int(round(note.start * sample_rate))
            end = max(start + 1, int(round(note.end * sample_rate)))
            events.append((start, 2, seq, ch, int(note.pitch), int(note.velocity)))
            events.append((end, 1, seq, ch, int(note.pitch), 0))
            seq += 1
    events.sort()
    return setup, events


def render(midi, soundfont_path: str | os.PathLike, sample_rate: int = 32000, *, duration_s: float | None = None,
           cache: SoundFontCache | None = None) -> np.ndarray:
    """Play a :class:`pretty_midi.PrettyMIDI` through a SoundFont with tinysoundfont, offline.

    Returns mono float32 audio of ``duration_s`` seconds (default: the MIDI's
    end plus one second) at ``sample_rate``. Events are applied at their exact
    sample positions between rendered blocks; at equal times controller changes
    come first, then note-offs, then note-ons. ``cache`` reuses loaded
    SoundFonts; the synthesizer is reset before every render, so the output
    depends only on the MIDI, the SoundFont and the rate.
    """
    if cache is None:
        cache = SoundFontCache(sample_rate)
    elif cache.sample_rate != int(sample_rate):
        raise ValueError(f"cache renders at {cache.sample_rate} Hz, not {sample_rate} Hz")
    if duration_s is None:
        duration_s = float(midi.get_end_time()) + 1.0
    n = int(round(float(duration_s) * int(sample_rate)))
    engine = cache.engine(soundfont_path)
    engine.reset()
    setup, events = _midi_events(midi, int(sample_rate))
    for ch, program, is_drum, _ in setup:
        engine.setup_channel(ch, program, bool(is_drum))
    out = np.zeros(n, dtype=np.float32)
    engine.play(events, out)
    return out


# ---------------------------------------------------------------------------
# Effects
# ---------------------------------------------------------------------------


def _reverb(audio: np.ndarray, sample_rate: int, wet: float, seed: int, rt60: float) -> np.ndarray:
    """A cheap, seeded algorithmic reverb.

    The dry signal is averaged down to a quarter of the rate, convolved (FFT)
    with a seeded, exponentially decaying noise impulse response, and the dark
    wet signal is brought back up by sample repetition and a short smoothing
    filter; reverb tails carry little above 4 kHz anyway.
    """
    from scipy import fft as sfft

    factor = 4
    n = len(audio)
    padded = np.pad(np.asarray(audio, dtype=np.float32), (0, (-n) % factor))
    low = padded.reshape(-1, factor).mean(axis=1)
    sr_low = sample_rate / factor
    length = int(rt60 * sr_low)
    rng = _rng(seed, _STREAM_EFFECTS)
    t = np.arange(length, dtype=np.float32) / np.float32(sr_low)
    ir = rng.standard_normal(length).astype(np.float32) * np.exp(np.float32(-6.9 / rt60) * t)
    ir[: int(0.012 * sr_low)] = 0.0  # pre-delay
    ir[1:] += ir[:-1]  # gentle low-pass of the tail
    ir /= np.float32(np.sqrt(np.sum(ir.astype(np.float64) ** 2)) + 1e-12)
    size = sfft.next_fast_len(len(low) + length, real=True)
    tail = sfft.irfft(sfft.rfft(low, size) * sfft.rfft(ir, size), size)[: len(low)]
    up = np.repeat(tail.astype(np.float32), factor)
    up = np.convolve(up, np.full(factor, 1.0 / factor, dtype=np.float32), mode="same")[:n]
    return (np.asarray(audio, dtype=np.float32) * np.float32(1.0 - 0.35 * wet) + np.float32(wet) * up).astype(
        np.float32)


def _lofi(audio: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
    """Band-limit to ~3.5 kHz, reduce to 9 bits and add faint hiss."""
    from scipy.signal import butter, sosfilt

    sos = butter(2, [110.0, min(3500.0, 0.45 * sample_rate)], btype="bandpass", fs=sample_rate, output="sos")
    y = sosfilt(sos, np.asarray(audio, dtype=np.float32)).astype(np.float32)
    peak = np.float32(np.max(np.abs(y)) or 1.0)
    steps = np.float32(2 ** 8)
    y = np.round(y * (steps / peak)) * (peak / steps)
    rng = _rng(seed, _STREAM_EFFECTS + 1)
    y += rng.standard_normal(len(y), dtype=np.float32) * (peak * np.float32(0.004))
    return y.astype(np.float32)


def _limit(audio: np.ndarray, sample_rate: int, crest_db: float = 14.0) -> np.ndarray:
    """A transparent peak limiter: keeps peaks within ``crest_db`` of the clip's RMS.

    The gain follows a look-ahead minimum filter smoothed by a moving average
    (both ~25 ms), so it dips before a peak and recovers smoothly. Mastered
    music sits around 10-14 dB crest; without this, slap bass or drum hits
    would make some genres systematically quieter after the caller's
    loudness normalisation with its peak ceiling.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    x = np.asarray(audio, dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    if rms <= 0.0:
        return x
    threshold = rms * 10 ** (crest_db / 20.0)
    block = 32
    n = len(x)
    peaks = np.abs(np.pad(x, (0, (-n) % block))).reshape(-1, block).max(axis=1)
    if float(peaks.max()) <= threshold:
        return x
    gain = np.minimum(1.0, threshold / np.maximum(peaks, 1e-12))
    width = max(3, int(0.025 * sample_rate / block))
    gain = minimum_filter1d(gain, size=2 * width + 1, mode="nearest")
    gain = uniform_filter1d(gain, size=width, mode="nearest")
    centres = (np.arange(len(gain)) + 0.5) * block
    return (x * np.interp(np.arange(n), centres, gain).astype(np.float32)).astype(np.float32)


def apply_effects(audio: np.ndarray, arrangement: Arrangement, sample_rate: int) -> np.ndarray:
    """Apply the arrangement's production effects (reverb, lo-fi) and a peak limiter; returns float32."""
    out = np.asarray(audio, dtype=np.float32)
    if arrangement.reverb > 0:
        rt60 = 2.4 if arrangement.reverb >= 0.45 else (1.8 if GENRE_STYLES[arrangement.genre].expressive else 1.3)
        out = _reverb(out, sample_rate, arrangement.reverb, arrangement.seed, rt60)
    if arrangement.lofi:
        out = _lofi(out, sample_rate, arrangement.seed)
    return _limit(out, sample_rate)


def synthesize(arrangement: Arrangement, duration_s: float = 10.0, sample_rate: int = 32000, *,
               cache: SoundFontCache | None = None) -> np.ndarray:
    """Arrangement -> MIDI -> audio with effects, mono float32 of ``duration_s`` seconds."""
    midi = to_midi(arrangement, duration_s)
    audio = render(midi, arrangement.soundfont, sample_rate, duration_s=duration_s, cache=cache)
    return apply_effects(audio, arrangement, sample_rate)


# ---------------------------------------------------------------------------
# Generator backend
# ---------------------------------------------------------------------------


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
