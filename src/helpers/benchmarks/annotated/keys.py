"""Key labels as the key benchmarks spell them, normalised to ``"<Tonic> major|minor"`` with sharps.

Spellings met in the datasets this package reads:

* GiantSteps Key (``annotations/key/*.key``): ``"Eb minor"``, ``"Gb major"`` (flats);
* GiantSteps MTG Key: ``"c# minor"`` (lower case, sharps), ``"-"`` (no key), and
  ``"d major / b minor"``, ``"a-a# minor"`` (two candidate keys);
* JAMS ``key_mode``: ``"A:minor"``, ``"Eb:dorian"``, ``"N"`` (no key);
* CSVs and shorthands: ``"f#m"``, ``"Ebmaj"``, ``"C:min"``, ``"Am"``, ``"AM"`` (major);
* Beatport-style markers: ``"X"`` / ``"X major"`` (tonic unknown), ``"C other"`` (mode unknown).

Enharmonics map to sharps (``Db -> C#``, ``Eb -> D#``, ``Gb -> F#``, ``Ab -> G#``,
``Bb -> A#``; also ``Cb -> B``, ``Fb -> E``, ``E# -> F``, ``B# -> C``). ``ionian`` and
``aeolian`` are read as major and minor (they are the same scales); the other church
modes are not major or minor and give None, as do no-key markers and labels naming
several keys. :func:`classify_key` says which of these a label is, so a reader can list
an unusable label as a skip and stop on one that is no key label at all.
"""

from __future__ import annotations

import math
import re

#: the twelve tonics as the normalised labels spell them
NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_PITCH = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
_MAJOR = {"major", "maj", "ionian", "dur"}
_MINOR = {"minor", "min", "m", "aeolian", "moll"}
_MODAL = {"dorian", "phrygian", "lydian", "mixolydian", "locrian"}
_NO_KEY = {"", "-", "--", "x", "n", "none", "?", "nan", "unknown", "no key", "nokey", "atonal"}
_LABEL = re.compile(r"^(?P<tonic>[A-Ga-gXx])(?P<acc>#|b)?[\s:_]*(?P<mode>[A-Za-z]+)?$")
_SEVERAL = re.compile(r"[/|,&;]|\s(or|and)\s|\w-\w")

#: what :func:`classify_key` found: a key; no key (the annotators found none);
#: an ambiguous label (several keys, unknown tonic or mode); a mode that is not major
#: or minor; or text that is no key label at all
KINDS = ("key", "none", "ambiguous", "modal", "unparseable")


def classify_key(text) -> tuple[str | None, str | None, str]:
    """``(key, reason, kind)``: the normalised key (None unless ``kind`` is ``"key"``),
    why there is none, and which of :data:`KINDS` the label is."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None, "no key given", "none"
    raw = str(text)
    s = raw.strip().replace("\u266f", "#").replace("\u266d", "b")
    if s.lower() in _NO_KEY:
        return None, f"no key ({raw!r}: the annotation gives none)", "none"
    if _SEVERAL.search(s):
        return None, f"ambiguous: {raw!r} names more than one key", "ambiguous"
    m = _LABEL.match(s)
    if not m:
        return None, f"{raw!r} is not a key label", "unparseable"
    letter, acc, mode = m["tonic"].upper(), m["acc"] or "", m["mode"]
    if mode is None:
        if letter == "X":
            return None, f"no key ({raw!r}: the annotation gives none)", "none"
        return None, f"ambiguous: {raw!r} does not say major or minor", "ambiguous"
    family = "major" if mode == "M" else "minor" if mode.lower() in _MINOR else \
        "major" if mode.lower() in _MAJOR else None
    if family is None:
        if mode.lower() in _MODAL:
            return None, f"modal label {raw!r}: {mode.lower()} is neither major nor minor", "modal"
        if mode.lower() == "other":
            return None, f"ambiguous: {raw!r} has an unknown mode", "ambiguous"
        return None, f"{raw!r} is not a key label (mode {mode!r})", "unparseable"
    if letter == "X":
        return None, f"ambiguous: {raw!r} has an unknown tonic", "ambiguous"
    pitch = (_PITCH[letter] + (1 if acc == "#" else -1 if acc == "b" else 0)) % 12
    return f"{NOTES[pitch]} {family}", None, "key"


def normalise_key(text, with_reason: bool = False):
    """``"Gb minor"``, ``"f#m"``, ``"Ebmaj"``, ``"C:min"``, ``"A:minor"`` -> ``"F# minor"``,
    ``"F# minor"``, ``"D# major"``, ``"C minor"``, ``"A minor"``; None for a label that is no
    major or minor key (``"-"``, ``"X"``, ``"N"``, ``"D:dorian"``, ``"d major / b minor"``,
    ``"E"`` without a mode, or text that is no key label).

    With ``with_reason``, returns ``(key, reason)``: reason is None when key is not."""
    key, reason, _ = classify_key(text)
    return (key, reason) if with_reason else key
