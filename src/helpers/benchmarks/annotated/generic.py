"""The two generic layouts: a folder of audio files with sibling JAMS files, and a CSV.

**jams**: ``<root>/**/<name>.<audio>`` beside ``<name>.jams`` (any depth; the project's
own clips are ``<genre>/<id>.wav`` + ``<genre>/<id>.jams``). Tempo from the first
``tempo`` annotation (two observations: the more confident is ``tempo_bpm``, the other
``tempo2_bpm``, the first's share of the confidences ``tempo_weight``; one: its
confidence), else 60 / median inter-beat interval of a ``beat`` annotation; key from
``key_mode`` (``A:minor``). A clip whose ``key_mode`` the project's symbolic generator wrote
(``data_source: synthmir``) reads a church mode as its major/minor family (``D:dorian`` ->
D minor), as the clip's ``clips/metadata.csv`` row does; any other modal label is not used.
Track id: the path below ``root`` without its suffix; group: ``file_metadata.artist``
(else ``release``).

**csv**: a CSV (or .tsv) with a ``path`` column (relative to the CSV's folder, or absolute)
and ``tempo_bpm`` and/or ``key``; optional ``tempo2_bpm``, ``tempo_weight``, ``group`` and
``track_id`` (default: the path as written). Empty cells are missing values.

A track whose key (or tempo) cannot be used but whose other label can is kept, with the
unusable one NaN and a line in the skip table saying why.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..base import BenchmarkError, read_delimited
from .common import (AUDIO_PREFERENCE, NAN, Listing, Tempo, jams_beat_tempo, jams_keys, jams_tempo, key_label,
                     read_json, require_dir, single_key)
from .keys import classify_key


def _synthmir_family(value: str) -> str:
    """``"Eb:dorian"`` -> ``"Eb:minor"``: the family the project's clips are labelled with."""
    from ...generators.symbolic.annotate import key_family

    tonic, _, mode = value.partition(":")
    return f"{tonic}:{key_family(mode.strip().lower())}" if mode else value


def read_jams(root: Path, options: dict) -> Listing:
    require_dir(root, "jams")
    rank = {s: i for i, s in enumerate(AUDIO_PREFERENCE)}
    audio: dict[str, Path] = {}
    sidecars: dict[str, Path] = {}
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not f.is_file():
            continue
        name = rel.with_suffix("").as_posix()
        suffix = f.suffix.lower()
        if suffix == ".jams":
            sidecars[name] = f
        elif suffix in rank and (name not in audio or rank[suffix] < rank[audio[name].suffix.lower()]):
            audio[name] = f
    out = Listing("jams")
    for name, path in audio.items():
        ann = sidecars.get(name)
        if ann is None:
            out.skip(path, f"no JAMS file beside it ({Path(name).name}.jams)")
            continue
        doc = read_json(ann)
        tempo = jams_tempo(doc, ann)
        if tempo is None:
            bpm = jams_beat_tempo(doc, ann)
            tempo = Tempo(bpm) if bpm else None
        values = []
        for value, meta in jams_keys(doc, ann):
            if meta.get("data_source") == "synthmir" and classify_key(value)[2] == "modal":
                value = _synthmir_family(value)
            values.append(value)
        key, reason = single_key(values, ann) if values else (None, None)
        if tempo is None and key is None:
            out.skip(path, f"{ann.name}: {reason or 'no tempo, beat or key_mode annotation'}")
            continue
        if reason:
            out.skip(path, f"{ann.name}: key not used ({reason}); the track is listed for tempo")
        meta = doc.get("file_metadata") or {}
        group = (meta.get("artist") or meta.get("release") or "") if isinstance(meta, dict) else ""
        out.add(name, path, None, tempo=tempo, key=key, group=str(group))
    for name in sorted(set(sidecars) - set(audio)):
        out.skip(sidecars[name], "JAMS file without an audio file beside it")
    return out


def _float(path: Path, line: int, column: str, text: str, low: float = 0.0, high: float = math.inf) -> float:
    if not text:
        return NAN
    try:
        value = float(text)
    except ValueError:
        raise BenchmarkError(f"{path}:{line}: {column} {text!r} is not a number") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise BenchmarkError(f"{path}:{line}: {column} {text!r} is out of range ({low} to {high})")
    return value


def read_csv(root: Path, options: dict) -> Listing:
    if not root.is_file():
        raise BenchmarkError(f"{root}: no such file (expected a CSV with columns path and tempo_bpm and/or key)")
    delimiter = "\t" if root.suffix.lower() == ".tsv" else ","
    out = Listing("csv")
    header_checked = False
    for line, header, fields in read_delimited(root, delimiter, required=("path",)):
        if not header_checked:
            if "tempo_bpm" not in header and "key" not in header:
                raise BenchmarkError(f"{root}: needs a tempo_bpm or a key column (found: {header})")
            header_checked = True
        rec = dict(zip(header, (f.strip() for f in fields)))
        if not rec["path"]:
            raise BenchmarkError(f"{root}:{line}: empty path")
        p = Path(rec["path"])
        p = p if p.is_absolute() else root.parent / p
        bpm = _float(root, line, "tempo_bpm", rec.get("tempo_bpm", ""))
        tempo = None
        if not math.isnan(bpm) and bpm > 0:
            tempo = Tempo(bpm, _float(root, line, "tempo2_bpm", rec.get("tempo2_bpm", "")) or NAN,
                          _float(root, line, "tempo_weight", rec.get("tempo_weight", ""), 0.0, 1.0))
        key, reason = key_label(rec["key"], root, line) if rec.get("key") else (None, None)
        if not p.is_file():
            out.skip(p, f"{root.name}:{line}: audio file not found")
            continue
        if tempo is None and key is None:
            out.skip(p, f"{root.name}:{line}: {reason or 'no tempo_bpm or key'}")
            continue
        if reason:
            out.skip(p, f"{root.name}:{line}: key not used ({reason}); the track is listed for tempo")
        out.add(rec.get("track_id") or rec["path"], p, None, tempo=tempo, key=key, group=rec.get("group", ""))
    return out
