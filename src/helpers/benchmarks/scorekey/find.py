"""The search that built the shipped manifest: list music21's core corpus, set aside what the
rules exclude (the ``bach/`` folder is refused unread; modal, folk, atonal and demo folders:
:data:`~.convert.EXCLUDED_DIRS`), convert every other score to MIDI in the side venv, apply
the key evidence (:mod:`.evidence`) and write the manifest of the kept scores plus a report
of every corpus path.

    python -m helpers.benchmarks.scorekey find [--cache DIR] [--manifest PATH] [--report PATH]
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from pathlib import Path, PurePosixPath
from typing import Sequence

from ..keymidi import evidence as km
from ...data import write_rows
from . import evidence as ev_mod
from .common import CORPUS, MANIFEST_COLUMNS, convert_paths, default_cache_dir, excluded, run_side, side_python

log = logging.getLogger(__name__)

#: two encodings of one movement in one folder (same stem): the first suffix listed is used.
#: The Humdrum files name the work, its key and the movement (``!!!OTL``, ``!!!OMV``); the
#: MusicXML twins of Op. 18 No. 1 carry none of that and encode wrong modes.
PREFERRED_SUFFIXES: tuple[str, ...] = (".krn", ".mxl", ".musicxml", ".xml", ".abc", ".mid")
#: one piece under two names: ``(path, the path kept, why)``
SAME_PIECE: tuple[tuple[str, str, str], ...] = (
    ("schumann_robert/opus48no2.mxl", "schumann_robert/dichterliebe_no2.xml",
     "the same song (Dichterliebe Op. 48 No. 2, 'Aus meinen Tränen sprießen'), another encoding"),
)
#: columns of the candidate report
REPORT_COLUMNS: tuple[str, ...] = (
    "path", "status", "reason", "track_id", "composer", "work", "movement", "position", "key", "basis",
    "ks_key", "ks_evidence", "encoded_mode", "title_key", "title_evidence", "mode_check", "mode_trusted",
    "in_key", "ks_change_s", "polyphony", "duration_s", "n_notes", "score_sha1", "midi_sha1",
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def track_id(path: str) -> str:
    """``"beethoven/opus18no1/movement1.krn"`` -> ``"beethoven--opus18no1-movement1"``."""
    parts = PurePosixPath(path).with_suffix("").parts
    return f"{_slug(parts[0])}--" + "-".join(_slug(p) for p in parts[1:])


def duplicate_encodings(paths: Sequence[str]) -> dict[str, str]:
    """``{path: the path used instead}`` for two encodings of one stem in one folder, and
    for :data:`SAME_PIECE`."""
    by_stem: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        by_stem[str(PurePosixPath(p).with_suffix(""))].append(p)
    out: dict[str, str] = {}
    rank = {s: i for i, s in enumerate(PREFERRED_SUFFIXES)}
    for group in by_stem.values():
        if len(group) > 1:
            group = sorted(group, key=lambda p: (rank.get(PurePosixPath(p).suffix.lower(), 99), p))
            out.update({p: group[0] for p in group[1:]})
    present = set(paths)
    for dup, kept, _ in SAME_PIECE:
        if dup in present and kept in present:
            out[dup] = kept
    return out


def _encoded_mode(sigs: list) -> str:
    """What the encoding claims at the first key signature (``"minor"``, ``"major"``, ``""``)."""
    if not sigs:
        return ""
    first = min(s[1] for s in sigs)
    modes = sorted({s[3] for s in sigs if s[1] == first and s[3]})
    return "/".join(modes)


def analyse(paths: Sequence[str], converted: dict[str, dict], version: str) -> list[dict]:
    """One report row per corpus path, from the conversion's JSON rows (by path)."""
    rows: list[dict] = []
    dupes = duplicate_encodings([p for p in paths if not excluded(p)])
    seen_notes: dict[str, str] = {}
    for path in paths:
        row: dict = {"path": path}
        rows.append(row)
        why = excluded(path)
        if why:
            row.update(status="refused" if "never used" in why else "excluded", reason=why)
            continue
        if path in dupes:
            same = [w for d, _, w in SAME_PIECE if d == path]
            row.update(status="duplicate", reason=f"{same[0] if same else 'another encoding of the same movement'}: "
                                                  f"{dupes[path]} is used")
            continue
        info = converted.get(path)
        if info is None or "error" in info:
            row.update(status="unreadable", reason=(info or {}).get("error", "not converted"))
            continue
        row.update(track_id=track_id(path), composer=info.get("composer", "").replace("\n", " "),
                   work=info.get("title", ""), movement=info.get("movementName", ""),
                   score_sha1=info["score_sha1"], midi_sha1=info["midi_sha1"],
                   encoded_mode=_encoded_mode(info.get("encoded_signatures", [])), version=version)
        if info.get("repeats", "played") != "played":
            row["extra_notes"] = f"repeats {info['repeats']}"
        try:
            facts = km.read_midi(Path(info["midi"]).read_bytes())
        except (OSError, ValueError) as exc:
            row.update(status="unreadable", reason=str(exc))
            continue
        if facts.notes and facts.digest in seen_notes:
            row.update(status="duplicate", reason=f"same notes as {seen_notes[facts.digest]}")
            continue
        seen_notes[facts.digest] = path
        texts_meta = [info.get(f, "") for f in ("movementNumber", "movementName", "title")]
        position, number, count = ev_mod.movement_position(path, paths, texts_meta)
        row["position"] = position if number is None else f"{position} ({number} of {count}+)" \
            if position == "unknown" else f"{position} ({number} of {count})"
        texts, set_aside = ev_mod.score_texts(path, info, position)
        poly = ev_mod.polyphony(facts)
        row["polyphony"] = round(poly, 3)
        ev = ev_mod.decide_score(facts, texts)
        ev_mod.fill_row(row, ev, facts)
        if set_aside:
            row["title_evidence"] = "; ".join(x for x in (row.get("title_evidence", ""), set_aside) if x)
        if ev.key and poly < ev_mod.MIN_POLYPHONY:
            row.update(status="dropped", key="", reason=f"not polyphonic: two or more notes at once during "
                                                        f"{poly:.0%} of the sounding time (< {ev_mod.MIN_POLYPHONY:.0%})")
    return rows


def manifest_rows(report: Sequence[dict]) -> list[dict]:
    """The manifest rows (:data:`~.common.MANIFEST_COLUMNS`) of the kept scores."""
    out = []
    for r in report:
        if r.get("status") != "kept":
            continue
        note = "; ".join(x for x in (f"music21 corpus {r['path']}", r.get("extra_notes", "")) if x)
        out.append({**{c: r.get(c, "") for c in MANIFEST_COLUMNS}, "corpus": CORPUS, "note": note})
    ids = [r["track_id"] for r in out]
    if len(set(ids)) != len(ids):
        raise ValueError(f"track ids collide: {[t for t, c in Counter(ids).items() if c > 1]}")
    return out


def find(cache_dir: Path, manifest: Path | None, report: Path | None, python: Path | None = None) -> list[dict]:
    """Run the search; write the manifest and the report; return the report rows."""
    python = python or side_python()
    paths = run_side(python, ["list"])[0]["paths"]
    todo = [p for p in paths if not excluded(p)]
    dupes = duplicate_encodings(todo)
    todo = [p for p in todo if p not in dupes]
    log.info("%d corpus paths, converting %d", len(paths), len(todo))
    converted, version = convert_paths(python, todo, Path(cache_dir) / "midi")
    rows = analyse(paths, converted, version)
    if manifest is not None:
        write_rows(Path(manifest), manifest_rows(rows), MANIFEST_COLUMNS)
    if report is not None:
        write_rows(Path(report), rows, REPORT_COLUMNS)
    return rows


def summary(rows: Sequence[dict]) -> str:
    """Counts a person can check: paths, statuses, kept keys, modes and composers."""
    status = Counter(r["status"] for r in rows)
    by_dir = Counter(r["path"].split("/")[0] for r in rows)
    kept = [r for r in rows if r["status"] == "kept"]
    examined = [r for r in rows if r["status"] not in ("refused", "excluded")]
    lines = [f"corpus paths: {len(rows)} in {len(by_dir)} folders; " + ", ".join(
                 f"{k} {v}" for k, v in sorted(status.items())),
             f"scores examined (not refused or excluded): {len(examined)}",
             "dropped: " + "; ".join(f"{k} {v}" for k, v in Counter(
                 re.sub(r"\d+(\.\d+)?%?", "N", re.sub(r"\b[A-G]#? (major|minor)\b", "KEY", r["reason"]))[:90]
                 for r in rows if r["status"] == "dropped").most_common()),
             "kept by folder: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(
                 r["path"].split("/")[0] for r in kept).items())),
             "kept by mode: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(
                 r["key"].split()[1] for r in kept).items())),
             "kept by key: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["key"] for r in kept).items())),
             "kept by basis: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["basis"] for r in kept).items()))]
    return "\n".join(lines)


def default_report(cache_dir: Path | None = None) -> Path:
    return Path(cache_dir or default_cache_dir()) / "candidates.csv"
