"""The search that built the shipped manifest ``helpers/resources/folkkey/key.csv``.

The rules, fixed before any key estimator was run on a tune of this set:

1. **Source**: every tune (``X:`` block) of music21's ``oneills1850/`` folder (O'Neill's
   *Music of Ireland*, 1903, as transcribed in ABC; :data:`COLLECTION`).
2. **One copy of a tune**: a tune number in two files (the folder holds overlapping files,
   and two transcriptions of some ranges) is taken from the first file in name order.
3. **A stated major or minor key**: the header's ``K:`` field (:func:`.abc.key_of_field`);
   modal fields (``Dmix``, ``Ador``) are not major or minor keys and are set aside.
4. **No key change**: a later ``K:`` field in the tune sets it aside.
5. **Drawn at random**: the candidates are put in a random order fixed by :data:`SAMPLE_SEED`,
   and converted (music21, in the side venv) and checked in that order until
   :data:`SAMPLE_SIZE` are kept. Check: music21 read the tune of that number (its title is
   the header's); it is a piece (keymidi's :data:`~..keymidi.evidence.MIN_NOTES` notes and
   :data:`~..keymidi.evidence.MIN_DURATION_S` s); and the notes confirm the stated key by
   keymidi's :func:`~..keymidi.evidence.mode_check` (the last or first note is the tonic, or
   the final sonority its triad; it does not end on the relative key's tonic; at least 70 %
   of the note-time on the key's scale).

    python -m helpers.benchmarks.folkkey find [--cache DIR] [--manifest PATH] [--report PATH]
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np

from ..keymidi import evidence as km
from ...data import write_rows
from ..scorekey.common import convert_paths, run_side, side_python
from .abc import parse_tunes, key_of_field
from .common import CORPUS, MANIFEST_COLUMNS, ONEILLS, SAMPLE_SEED, Collection, default_cache_dir, spec_of

log = logging.getLogger(__name__)

#: columns of the report on every tune
REPORT_COLUMNS: tuple[str, ...] = (
    "path", "status", "reason", "track_id", "tune", "title", "rhythm", "key_field", "key", "order", "mode_check",
    "in_key", "duration_s", "n_notes",
)


def _title_key(title: str) -> tuple[str, ...]:
    return tuple(sorted(re.findall(r"[a-z0-9']+", title.lower())))


def candidates(files: dict[str, str], collection: Collection = ONEILLS) -> tuple[list[dict], list[dict]]:
    """Rules 1-4 on the ABC texts ``{corpus path: text}``: ``(candidates, set aside)``, each a
    report row (``path`` is ``<file>#<tune number>``). A copy is a tune number (O'Neill's) or a
    title (Ryan's, one tune per file) already seen in an earlier file."""
    kept, aside = [], []
    first_file: dict = {}
    for path in sorted(files):
        for tune in parse_tunes(files[path]):
            row = {"path": spec_of(path, tune.number), "tune": tune.number, "title": tune.title,
                   "rhythm": tune.rhythm, "key_field": tune.key_field, "line": tune.line}
            if tune.number < 0:
                aside.append({**row, "status": "aside", "reason": f"{path}:{tune.line}: X: field without a number"})
                continue
            same = tune.number if collection.copies_by == "number" else _title_key(tune.title)
            if same in first_file:
                what = f"tune {tune.number}" if collection.copies_by == "number" else f"the title {tune.title!r}"
                aside.append({**row, "status": "aside", "reason": f"a copy: {what} is taken from {first_file[same]}"})
                continue
            first_file[same] = path
            key, why = key_of_field(tune.key_field)
            if key is None:
                aside.append({**row, "status": "aside", "reason": why})
            elif tune.body_keys:
                aside.append({**row, "status": "aside", "key": key,
                              "reason": f"the key changes in the tune ({tune.describe_key_changes()})"})
            else:
                kept.append({**row, "key": key, "track_id": collection.track_id(path, tune.number)})
    return kept, aside


def random_order(rows: list[dict], seed: int = SAMPLE_SEED) -> list[dict]:
    """The candidates in the order rule 5 checks them (by tune number, then shuffled by ``seed``)."""
    rows = sorted(rows, key=lambda r: (r["tune"], r["path"]))
    order = np.random.default_rng(seed).permutation(len(rows))
    return [{**rows[i], "order": rank} for rank, i in enumerate(order)]


def same_title(a: str, b: str) -> bool:
    """Do two titles name one tune, up to case, punctuation and word order? (music21 writes
    ABC's ``Keepsake., The`` as ``The Keepsake.``)"""
    def words(t):
        return sorted(re.findall(r"[a-z0-9']+", t.lower()))
    return words(a) == words(b)


def check_tune(row: dict, info: dict | None) -> tuple[dict, km.MidiFacts | None]:
    """Rule 5's checks of one conversion: the row with ``status`` and ``reason`` set."""
    if info is None or "error" in info:
        return {**row, "status": "dropped", "reason": f"music21 cannot convert it: {(info or {}).get('error')}"}, None
    if not same_title(info.get("title", ""), row["title"]):
        return {**row, "status": "dropped",
                "reason": f"music21 read another tune ({info.get('title')!r}, not {row['title']!r})"}, None
    facts = km.read_midi(Path(info["midi"]).read_bytes(), "")
    row = {**row, "duration_s": round(facts.duration_s, 2), "n_notes": len(facts.notes),
           "score_sha1": info["score_sha1"], "midi_sha1": info["midi_sha1"]}
    if len(facts.notes) < km.MIN_NOTES or facts.duration_s < km.MIN_DURATION_S:
        return {**row, "status": "dropped", "reason": f"too short for a piece ({len(facts.notes)} notes, "
                                                      f"{facts.duration_s:.1f} s)"}, facts
    check = km.mode_check(facts, row["key"])
    tonic = km.parse_key_name(row["key"])[0]
    row.update(mode_check=check.describe(tonic), in_key=round(check.in_key, 3))
    if not check.agrees:
        return {**row, "status": "dropped", "reason": f"the notes do not confirm {row['key']}: {check.reason}"}, facts
    return {**row, "status": "kept", "reason": ""}, facts


def manifest_row(row: dict, version: str, collection: Collection = ONEILLS) -> dict:
    """The manifest row of a kept tune."""
    number = f"no. {row['tune']}" if collection.copies_by == "number" else row["path"].split("/")[-1].split("#")[0]
    return {"corpus": CORPUS, "version": version, "path": row["path"], "track_id": row["track_id"],
            "collection": collection.folder, "tune": row["tune"], "title": row["title"], "rhythm": row["rhythm"],
            "key": row["key"], "basis": "key_field", "ks_key": row["key"],
            "ks_evidence": f"K:{row['key_field']} in the header of tune {row['tune']} (line {row['line']})",
            "title_key": "", "title_evidence": "", "mode_check": row["mode_check"], "mode_trusted": "yes",
            "in_key": row["in_key"], "ks_change_s": "", "duration_s": row["duration_s"], "n_notes": row["n_notes"],
            "score_sha1": row["score_sha1"], "midi_sha1": row["midi_sha1"],
            "note": f"{collection.book} {number}, {row['rhythm'] or 'tune'}; melody only"}


def find(cache_dir: Path | None = None, manifest: Path | None = None, report: Path | None = None,
         python: Path | None = None, collection: Collection = ONEILLS) -> list[dict]:
    """Apply the rules to ``collection``; write the manifest and the report; return the report's
    rows (one per tune)."""
    size, seed, COLLECTION = collection.size, collection.seed, collection.folder
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    python = python or side_python()
    listing = run_side(python, ["list"])[0]
    root = Path(listing["root"])
    files = {p: (root / p).read_text(encoding="utf-8", errors="replace")
             for p in listing["paths"] if p.split("/")[0] == COLLECTION and p.endswith(".abc")}
    if not files:
        raise RuntimeError(f"no {COLLECTION}/*.abc in music21 {listing['music21']}'s corpus ({root})")
    kept, aside = candidates(files, collection)
    ordered = random_order(kept, seed)
    log.info("%d tunes: %d candidates, %d set aside; checking in random order (seed %d) until %d are kept",
             len(kept) + len(aside), len(kept), len(aside), seed, size)
    checked: list[dict] = []
    chosen: list[dict] = []
    version = listing["music21"]
    step = 50
    for start in range(0, len(ordered), step):
        batch = ordered[start:start + step]
        conversions, version = convert_paths(python, [r["path"] for r in batch], cache_dir / "midi")
        for row in batch:
            if len(chosen) >= size:
                checked.append({**row, "status": "not drawn", "reason": f"the sample of {size} was full"})
                continue
            row, _ = check_tune(row, conversions.get(row["path"]))
            checked.append(row)
            if row["status"] == "kept":
                chosen.append(row)
        if len(chosen) >= size:
            checked += [{**r, "status": "not drawn", "reason": f"the sample of {size} was full"}
                        for r in ordered[start + step:]]
            break
    from .manifest import shipped_manifest

    write_rows(Path(manifest) if manifest else shipped_manifest(collection),
               [manifest_row(r, version, collection) for r in sorted(chosen, key=lambda r: (r["tune"], r["path"]))],
               MANIFEST_COLUMNS)
    report_rows = sorted(checked + aside, key=lambda r: (r["tune"], r["path"]))
    write_rows(Path(report) if report else cache_dir / "candidates.csv", report_rows, REPORT_COLUMNS)
    return report_rows


def summary(rows: list[dict]) -> str:
    """Counts a person can check: tunes by status, reasons, kept keys and modes."""
    kept = [r for r in rows if r["status"] == "kept"]
    why = Counter(re.sub(r"\b[A-G]#? (major|minor)\b", "KEY", re.sub(r"K:\S+", "K:...", r["reason"]))
                  .split(" (")[0].split(": ")[0][:60] for r in rows if r["status"] in ("aside", "dropped"))
    return "\n".join([
        f"tunes: {len(rows)}; " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r['status'] for r in rows).items())),
        "set aside or dropped: " + "; ".join(f"{k} {v}" for k, v in why.most_common()),
        "kept by mode: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["key"].split()[1] for r in kept).items())),
        "kept by key: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["key"] for r in kept).items())),
    ])
