"""The classes of the tempo and key tasks, and their labels."""

from __future__ import annotations

import math
import re

import numpy as np

NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
#: the 24 key classes: index = tonic + 12 * minor
KEYS = tuple(f"{n} major" for n in NOTES) + tuple(f"{n} minor" for n in NOTES)
_FLATS = {"Db": "C#", "Eb": "D#", "Gb": "F#", "Ab": "G#", "Bb": "A#", "Cb": "B", "Fb": "E", "E#": "F", "B#": "C"}

#: the tempo axis: log-spaced BPM bins, the tempo model's classes and the tempogram's axis
TEMPO_MIN, TEMPO_MAX, TEMPO_BINS = 30.0, 300.0, 256


def tempo_axis() -> np.ndarray:
    """BPM at the centre of each tempo class (log-spaced, 30-300 BPM, 256 classes: 0.9 % apart)."""
    return np.geomspace(TEMPO_MIN, TEMPO_MAX, TEMPO_BINS)


def tempo_class(bpm: float) -> int:
    """The class nearest to ``bpm`` on the log axis."""
    if not (TEMPO_MIN <= bpm <= TEMPO_MAX):
        raise ValueError(f"tempo {bpm} BPM is outside the model's range {TEMPO_MIN:g}-{TEMPO_MAX:g}")
    pos = math.log(bpm / TEMPO_MIN) / math.log(TEMPO_MAX / TEMPO_MIN) * (TEMPO_BINS - 1)
    return int(round(pos))


def parse_key(text) -> str | None:
    """``"F# minor"``, ``"Gb minor"``, ``"A:minor"``, ``"Am"``, ``"Eb major"`` -> ``"F# minor"`` (sharps);
    None for anything else (modes other than major and minor included)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    s = str(text).strip().replace(":", " ").replace("\u266f", "#").replace("\u266d", "b")
    m = re.fullmatch(r"([A-Ga-g])([#b]?)\s*(major|minor|maj|min|m)?", s, re.I)
    if not m:
        return None
    tonic = m.group(1).upper() + m.group(2)
    tonic = _FLATS.get(tonic, tonic)
    mode = (m.group(3) or "major").lower()
    mode = "minor" if mode in ("minor", "min", "m") else "major"
    return f"{tonic} {mode}" if tonic in NOTES else None


def key_index(text) -> int:
    key = parse_key(text)
    if key is None:
        raise ValueError(f"not a major or minor key: {text!r}")
    return KEYS.index(key)
