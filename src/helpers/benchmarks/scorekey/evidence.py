"""Key evidence for a score of music21's corpus, by keymidi's rules (:mod:`..keymidi.evidence`),
read from the MIDI file music21 writes for it, with three additions a score needs:

* **The signature's mode is not stated.** The conversion writes key signatures without a
  mode (:mod:`.convert`); the mode an encoding claims (MusicXML ``<mode>``) is recorded in
  ``encoded_mode`` but not trusted (it is often an editor's default: the corpus's Op. 18
  No. 1 finale, in F major, is encoded "minor"). So a signature is read both ways, as the
  major key of its sharps or flats and as their relative minor, and each reading goes through
  keymidi's :func:`~..keymidi.evidence.decide` (signature in force at the first note and
  holding >= 90 %, title and signature agree, the mode check on the notes). The key is kept
  only when exactly one reading survives.
* **Titles are the score's metadata** (title, movement name, alternative title) and the file
  name. A work's title names the key of its first and last movements, not of the inner
  ones: for an inner movement (or a movement whose place in its work is not known) the
  titles are not read at all, and the key must rest on its own signature and notes.
* **The opening.** When the notes decided the mode (a key resting on the signature, no title
  naming the mode), the first bass note must not be the relative key's tonic either: a
  movement that opens in C major and ends in A minor (Schumann's Op. 41 No. 1 Intermezzo)
  is no A minor excerpt, as the excerpt is the opening.
* **Polyphony.** At least :data:`MIN_POLYPHONY` of the sounding time has two or more notes
  at once (the set is of polyphonic works; a lone melody is no test of a key estimator).
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import PurePosixPath
from typing import Sequence

from ..annotated.keys import NOTES
from ..keymidi.evidence import (KeyEvidence, MidiFacts, _words, decide, key_name, mode_check, parse_key_name,
                                relative_tonic, title_keys)

#: share of the sounding time with at least two notes at once
MIN_POLYPHONY = 0.5

_MOVEMENT_IN_NAME = re.compile(r"(?:^|[^a-z])(?:movement|mvmn?t|mvt|mov)[\s._-]*(\d+)", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"^(\d+)(?=[a-z_-])", re.IGNORECASE)
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "sixth": 6, "6th": 6}
_ORDINAL_MOVEMENT = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+(?:movement|mvmn?t)\b", re.IGNORECASE)
_MOVEMENT_TEXT = re.compile(r"\b(?:movement|mvmn?t|mvt)\.?\s*(\d+)\b|^\s*(\d+)\s*$", re.IGNORECASE)


def movement_number(path: str) -> int | None:
    """The movement a corpus file is, from its name: ``movement2.mxl`` -> 2, ``1grave.xml`` -> 1."""
    stem = PurePosixPath(path).stem
    m = _MOVEMENT_IN_NAME.search(stem) or _LEADING_NUMBER.match(stem)
    return int(m.group(1)) if m else None


def movement_in_texts(texts: Sequence[str]) -> int | None:
    """A movement number the metadata names ("Mvmt. 2", "Second movement"), or None."""
    for text in texts:
        if not text:
            continue
        m = _ORDINAL_MOVEMENT.search(text)
        if m:
            return _ORDINALS[m.group(1).lower()]
        m = _MOVEMENT_TEXT.search(text)
        if m:
            return int(m.group(1) or m.group(2))
    return None


def movement_position(path: str, siblings: Sequence[str], texts: Sequence[str] = ()) -> tuple[str, int | None, int]:
    """``(position, number, count)`` of a score in its work.

    ``position`` is ``single`` (a whole piece: no movement number anywhere), ``first``,
    ``last`` (the highest-numbered of two or more movements in its corpus folder),
    ``inner``, or ``unknown`` (a lone movement > 1 whose work is not in the corpus).
    ``siblings`` are the corpus paths of the same folder (``path`` among them)."""
    number = movement_number(path)
    if number is None:
        number = movement_in_texts(texts)
    if number is None:
        return "single", None, 1
    folder = str(PurePosixPath(path).parent)
    numbers = {n for s in siblings if str(PurePosixPath(s).parent) == folder
               for n in [movement_number(s)] if n is not None}
    numbers.add(number)
    count = max(numbers)
    if number == 1:
        return "first", 1, count
    if len(numbers) > 1 and number == count:
        return "last", number, count
    return ("inner" if len(numbers) > 1 else "unknown"), number, count


def title_applies(position: str) -> bool:
    """A work's title names the key of a whole piece, its first and its last movement."""
    return position in ("single", "first", "last")


def score_texts(path: str, meta: dict, position: str) -> tuple[list[tuple[str, str]], str]:
    """The title texts read for a score, and a note on those set aside (inner movements)."""
    texts = [("filename", _words(PurePosixPath(path).name))]
    meta_texts = [(f, meta.get(f, "")) for f in ("title", "movementName", "alternativeTitle")]
    meta_texts = [(f, t) for f, t in meta_texts if t]
    if title_applies(position):
        return texts + meta_texts, ""
    found, _ = title_keys(meta_texts)
    if not found:
        return texts, ""
    named = "; ".join(dict.fromkeys(tk.describe() for tk in found))
    return texts, f"work title not applied to a {position} movement: {named}"


def polyphony(facts: MidiFacts) -> float:
    """Share of the sounding time (any note on) with at least two notes sounding."""
    events = sorted([(n.start, 1) for n in facts.notes] + [(n.end, -1) for n in facts.notes])
    sounding = 0
    last = None
    any_time = poly_time = 0.0
    for t, step in events:
        if last is not None and t > last:
            if sounding >= 1:
                any_time += t - last
            if sounding >= 2:
                poly_time += t - last
        sounding += step
        last = t
    return poly_time / any_time if any_time > 0 else 0.0


def _reading(facts: MidiFacts, minor: bool) -> MidiFacts:
    """The facts with every key signature read as its major key, or as its relative minor."""
    kss = []
    for t, tick, name in facts.key_signatures:
        tonic, is_minor = parse_key_name(name)
        major = relative_tonic(tonic, True) if is_minor else tonic
        kss.append((t, tick, key_name(relative_tonic(major, False), True) if minor else key_name(major, False)))
    return dataclasses.replace(facts, key_signatures=kss)


def decide_score(facts: MidiFacts, texts: list[tuple[str, str]]) -> KeyEvidence:
    """keymidi's :func:`~..keymidi.evidence.decide` over both readings of the signature."""
    facts = dataclasses.replace(facts, texts=list(texts))
    if not facts.key_signatures:
        return decide(facts)
    readings = [(_reading(facts, minor).key_signatures[0][2], decide(_reading(facts, minor)))
                for minor in (False, True)]
    kept = {ev.key for _, ev in readings if ev.key}
    if len(kept) == 1:
        (name, ev), = [(n, e) for n, e in readings if e.key]
        other_name, other = [(n, e) for n, e in readings if n != name][0]
        ev.ks_evidence += (f"; the signature (no mode stated) read as {name}, not as {other_name} "
                           f"({other.reason or 'kept'})")
        if ev.mode_trusted == "yes":
            tonic, minor = parse_key_name(ev.key)
            check = mode_check(facts, ev.key)
            if check.start_bass == relative_tonic(tonic, minor):
                ev.reason = (f"mode not confirmed by the opening: the first bass note is {NOTES[check.start_bass]}, "
                             f"the tonic of the relative key {other_name} (the excerpt is the opening)")
                ev.key = None
        return ev
    if len(kept) == 2:
        ev = readings[0][1]
        ev.key = None
        ev.reason = f"both readings of the signature are confirmed ({' / '.join(sorted(kept))}): mode not decided"
        return ev
    # a reason that does not depend on the reading (too short, a change mid-piece, ...)
    reasons = [ev.reason.replace(name, "KEY") for name, ev in readings]
    if reasons[0] == reasons[1]:
        (name, ev), (other, _) = readings
        ev.reason = ev.reason.replace(name, f"{name} (or {other})")
        return ev
    ev = readings[0][1] if "title" not in readings[1][1].reason else readings[1][1]
    ev.reason = "neither reading of the signature holds: " + "; ".join(f"{n}: {e.reason}" for n, e in readings)
    return ev


def fill_row(row: dict, ev: KeyEvidence, facts: MidiFacts) -> dict:
    """The report/manifest fields of one decision."""
    row.update(status="kept" if ev.key else "dropped", reason=ev.reason, key=ev.key or "", basis=ev.basis,
               ks_key=ev.ks_key, ks_evidence=ev.ks_evidence, title_key=ev.title_key,
               title_evidence=ev.title_evidence, mode_check=ev.mode_check, mode_trusted=ev.mode_trusted,
               in_key="" if math.isnan(ev.in_key) else round(ev.in_key, 3),
               ks_change_s="" if math.isnan(ev.ks_change_s) else round(ev.ks_change_s, 2),
               duration_s=round(facts.duration_s, 2), n_notes=len(facts.notes))
    if ev.notes:
        row["extra_notes"] = "; ".join(ev.notes)
    return row
