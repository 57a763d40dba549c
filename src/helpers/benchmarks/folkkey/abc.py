"""The ABC text of a tune book: its tunes (``X:`` blocks) and the key each one states.

Read with the standard library only (no music21), so the rules of :mod:`.find` can be
tested without the side venv. ABC's ``K:`` field states a tonic and a mode: ``K:G`` and
``K:Gmaj`` are G major, ``K:Em`` and ``K:Emin`` E minor, ``K:Ador`` A dorian (ABC 2.1,
section 3.1.14). Only a major or a minor key is a key for the MIREX score; the church
modes are kept apart as modal, never folded into a major or minor key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..annotated.keys import NOTES

_LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b]?)(.*)$")
_MAJOR = {"", "maj", "major", "ion", "ionian"}
_MINOR = {"m", "min", "minor", "aeo", "aeolian"}
_MODAL = {"mix": "mixolydian", "dor": "dorian", "phr": "phrygian", "lyd": "lydian", "loc": "locrian"}
_FIELD_RE = re.compile(r"^([A-Za-z]):(.*)$")
_INLINE_KEY_RE = re.compile(r"\[K:([^\]]*)\]")


@dataclass
class Tune:
    """One ``X:`` block of an ABC file."""

    number: int
    line: int                      # line of its X: field in the file (1-based)
    title: str = ""
    rhythm: str = ""
    meter: str = ""
    key_field: str = ""            # the header's K: text, as written
    body_keys: list[str] = field(default_factory=list)  # K: fields (or [K:...]) after the header

    def describe_key_changes(self) -> str:
        return ", ".join(f"K:{k.strip()}" for k in self.body_keys)


def key_of_field(text: str) -> tuple[str | None, str]:
    """``("G major", "")`` for ``"G"``, ``("E minor", "")`` for ``"Em"``, ``(None, why)`` else.

    The mode word is read case-blind on its first three letters, as ABC does ("AMix",
    "Dmix", "E dor"); a key named by a mode other than major or minor, an empty field, a
    highland-pipe ``HP`` field or ``none`` gives ``None`` and the reason."""
    raw = text.split("%")[0].strip()
    if not raw:
        return None, "no K: field"
    if raw.lower().startswith(("hp", "none")):
        return None, f"K:{raw} states no major or minor key"
    m = _KEY_RE.match(raw)
    if not m:
        return None, f"K:{raw} is not a key"
    letter, accidental = m.group(1).lower(), m.group(2)
    first = (m.group(3).split() or [""])[0]
    mode = "" if "=" in first else re.match(r"[A-Za-z]*", first).group(0).lower()  # "clef=treble" is no mode
    tonic = (_LETTERS[letter] + {"#": 1, "b": -1, "": 0}[accidental]) % 12
    word = mode[:3] if mode not in ("m",) else mode
    if mode in _MAJOR or word in ("maj", "ion"):
        return f"{NOTES[tonic]} major", ""
    if mode in _MINOR or word in ("min", "aeo"):
        return f"{NOTES[tonic]} minor", ""
    if word in _MODAL:
        return None, f"K:{raw} is modal ({_MODAL[word]}), not a major or minor key"
    return None, f"K:{raw}: mode {first!r} not understood"


def parse_tunes(text: str) -> list[Tune]:
    """The tunes of an ABC file, in order. A tune's header runs from ``X:`` to its first
    ``K:`` field; any later ``K:`` field (a line, or ``[K:...]`` inline) is a key change."""
    tunes: list[Tune] = []
    tune: Tune | None = None
    in_header = False
    for i, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = _FIELD_RE.match(stripped)
        if m and m.group(1) == "X":
            number = m.group(2).strip().split()[0] if m.group(2).strip() else ""
            tune = Tune(number=int(number) if number.isdigit() else -1, line=i)
            tunes.append(tune)
            in_header = True
            continue
        if tune is None:
            continue
        if m and m.group(1) in "TRMK" and len(m.group(1)) == 1:
            name, value = m.group(1), m.group(2).strip()
            if name == "K":
                if in_header:
                    tune.key_field = value
                    in_header = False
                else:
                    tune.body_keys.append(value)
            elif in_header and name == "T" and not tune.title:
                tune.title = value
            elif in_header and name == "R" and not tune.rhythm:
                tune.rhythm = value
            elif in_header and name == "M" and not tune.meter:
                tune.meter = value
            continue
        if not in_header:
            tune.body_keys.extend(_INLINE_KEY_RE.findall(line.split("%")[0]))
    return tunes
