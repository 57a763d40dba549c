"""Music theory: notes, modes, chords, roman numerals, voicings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

NOTE_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

#: scale degrees (semitones above the tonic) of the modes the styles use
MODE_SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
}

#: modes whose third is minor
MINOR_MODES = frozenset({"minor", "dorian", "phrygian"})

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
    "maj9": (0, 4, 7, 11, 14),
    "13": (0, 4, 7, 10, 14, 21),
}

_CHORD_SUFFIX = {
    "maj": "", "min": "m", "dim": "dim", "aug": "aug", "5": "5", "7": "7", "maj7": "maj7",
    "m7": "m7", "9": "9", "m9": "m9", "add9": "add9", "madd9": "madd9", "sus2": "sus2",
    "sus4": "sus4", "7sus4": "7sus4", "6": "6", "m6": "m6", "dim7": "dim7", "m7b5": "m7b5",
    "maj9": "maj9", "13": "13",
}

_ROMAN_DEGREES = {"I": 0, "II": 2, "III": 4, "IV": 5, "V": 7, "VI": 9, "VII": 11}
_ROMAN_RE = re.compile(r"^(b|#)?(VII|VI|V|IV|III|II|I|vii|vi|v|iv|iii|ii|i)([^/]*)(?:/(\d))?$")
# (suffix, is_lower_case) -> quality
_ROMAN_SUFFIX: dict[tuple[str, bool], str] = {
    ("", False): "maj", ("", True): "min",
    ("5", False): "5", ("5", True): "5",
    ("7", False): "7", ("7", True): "m7",
    ("maj7", False): "maj7", ("maj9", False): "maj9", ("13", False): "13",
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


#: rootless (jazz piano) voicings: chord tones above the root, the root left to the bass; the fifth
#: gives way to the ninth and, on dominants, the thirteenth
ROOTLESS_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (4, 7, 9, 14), "6": (4, 7, 9, 14), "maj7": (4, 7, 11, 14), "maj9": (4, 7, 11, 14),
    "7": (4, 9, 10, 14), "9": (4, 9, 10, 14), "13": (4, 9, 10, 14), "7sus4": (5, 9, 10, 14),
    "min": (3, 7, 10, 14), "m7": (3, 7, 10, 14), "m9": (3, 7, 10, 14), "m6": (3, 7, 9, 14),
    "m7b5": (3, 6, 10, 17), "dim": (3, 6, 9, 12), "dim7": (3, 6, 9, 12), "aug": (4, 8, 10, 14),
}


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
    (orchestral: the bass note an octave below a close voicing), ``rootless``
    (jazz comping: third, seventh and extensions, see :data:`ROOTLESS_INTERVALS`). ``max_notes``
    caps the chord tones of close/open/shell/spread voicings.
    """
    root_pc = (key + chord.root) % 12
    if style == "power":
        root = _nearest(root_pc, centre)
        fifth = 6 if chord.quality in ("dim", "dim7", "m7b5") else 7
        return [root, root + fifth, root + 12]
    ivs = chord.intervals(scale)
    if style == "rootless":
        rootless = ROOTLESS_INTERVALS.get(chord.quality, ivs[1:] if len(ivs) > 2 else ivs)
        pcs = [(root_pc + iv) % 12 for iv in rootless]
        cands = _close_voicings(pcs, centre)
        return min(cands, key=lambda c: _voice_leading_cost(c, prev) + 0.35 * abs(sum(c) / len(c) - centre))
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


# --- key_modes "tonal": the harmony of tonal (major/minor) music ------------------------------------

#: chord qualities written in lower case (a minor third above the root)
_LOWER_QUALITIES = frozenset({"min", "m7", "m9", "madd9", "m6", "dim", "dim7", "m7b5"})
_SUFFIX_OF = {(quality, lower): suffix for (suffix, lower), quality in _ROMAN_SUFFIX.items()}
_QUALITY_OF = {ivs: quality for quality, ivs in CHORD_INTERVALS.items()}
_NUMERALS = ("I", None, "II", None, "III", "IV", None, "V", None, "VI", None, "VII")


def roman_symbol(root: int, quality: str, inversion: int = 0) -> str:
    """The roman numeral of a chord (the inverse of :func:`parse_roman`), e.g. ``(10, "7")`` -> ``"bVII7"``."""
    root %= 12
    numeral, accidental = (_NUMERALS[root], "") if _NUMERALS[root] else (_NUMERALS[(root + 1) % 12], "b")
    lower = quality in _LOWER_QUALITIES
    suffix = _SUFFIX_OF.get((quality, lower), _SUFFIX_OF.get((quality, not lower)))
    if suffix is None:
        raise ValueError(f"no roman-numeral suffix for chord quality {quality!r}")
    return accidental + (numeral.lower() if lower else numeral) + suffix + (f"/{inversion}" if inversion else "")


def tonal_chord(chord: Chord, family: str) -> Chord | None:
    """``chord`` kept to the major (ionian) or minor (aeolian) scale, or ``None`` when it cannot be.

    A chord whose root is off the scale (``bVII`` in major) is dropped. A chord tone off the
    scale moves a semitone onto it, up first (``I7`` -> ``Imaj7``: the flat seventh becomes the
    leading tone), and the result must be a known chord. In minor the dominant chords (on the
    fifth and seventh degrees) may raise the seventh degree, the harmonic minor of tonal music
    (``V7`` keeps its leading tone).
    """
    if family not in ("major", "minor"):
        raise ValueError(f"family must be 'major' or 'minor', got {family!r}")
    allowed = set(MODE_SCALES[family])
    if family == "minor" and chord.root in (7, 11):
        allowed.add(11)
    if chord.root not in allowed:
        return None
    out = []
    for iv in CHORD_INTERVALS[chord.quality]:
        pc = (chord.root + iv) % 12
        if pc in allowed:
            out.append(iv)
        elif (pc + 1) % 12 in allowed:
            out.append(iv + 1)
        elif (pc - 1) % 12 in allowed:
            out.append(iv - 1)
        else:
            return None
    quality = _QUALITY_OF.get(tuple(out))
    if quality is None:
        return None
    if quality == chord.quality:
        return chord
    return Chord(symbol=roman_symbol(chord.root, quality, chord.inversion), root=chord.root, quality=quality,
                 inversion=chord.inversion)


def tonal_progressions(pool, family: str) -> list[tuple[tuple[Chord, ...], int]]:
    """The progressions of a style's pool (``(roman numerals, beats per chord)``) that tonal
    harmony keeps, each chord through :func:`tonal_chord`; a progression with a chord it drops
    is left out. Empty when none is left (the caller decides)."""
    out = []
    for tokens, beats in pool:
        chords = [tonal_chord(parse_roman(t), family) for t in tokens]
        if all(c is not None for c in chords):
            out.append((tuple(chords), beats))
    return out
