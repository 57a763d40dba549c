"""What every annotated reader shares: the table it fills, and the parsers of the
annotation files the datasets use (one number, a MIREX line, a beat list, a JAMS file).

Every parser raises :class:`~helpers.benchmarks.base.BenchmarkError` naming the file,
the line and the value it could not read.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..base import BenchmarkError, is_utf8, printable
from .keys import classify_key

#: columns of the track table :func:`~helpers.benchmarks.annotated.read_annotated` returns
COLUMNS = ("track_id", "path", "tempo_bpm", "tempo2_bpm", "tempo_weight", "key", "group", "source")
#: columns of its skip table
SKIPPED_COLUMNS = ("path", "reason")
#: audio suffixes, in the order one is picked when a track has several (GiantSteps'
#: convert_audio.sh writes a .wav beside each .mp3)
AUDIO_PREFERENCE = (".wav", ".flac", ".aiff", ".aif", ".mp3", ".ogg", ".au")
NAN = float("nan")


@dataclass
class Tempo:
    """A reference tempo: ``bpm``, a second tempo ``bpm2`` (MIREX style) and the salience
    ``weight`` of ``bpm`` in [0, 1] (NaN where the dataset gives none)."""

    bpm: float
    bpm2: float = NAN
    weight: float = NAN


class Listing:
    """The tracks a reader found and the files it could not use."""

    def __init__(self, kind: str):
        self.kind = kind
        self.rows: list[dict] = []
        self.skipped: list[dict] = []
        self._seen: dict[str, str] = {}

    def add(self, track_id: str, path: Path | str, variant: str | None = None, *, tempo: Tempo | None = None,
            key: str | None = None, group: str | None = "") -> None:
        path = str(path)
        if not is_utf8(path):
            self.skip(path, "file name is not valid UTF-8 (rename the file)")
            return
        tid = str(track_id)
        if tid in self._seen:
            raise BenchmarkError(f"track {tid!r} listed twice: {self._seen[tid]} and {path}")
        self._seen[tid] = path
        self.rows.append({"track_id": tid, "path": path,
                          "tempo_bpm": tempo.bpm if tempo else NAN,
                          "tempo2_bpm": tempo.bpm2 if tempo else NAN,
                          "tempo_weight": tempo.weight if tempo else NAN,
                          "key": key if key is not None else NAN, "group": str(group or ""),
                          "source": f"{self.kind}:{variant}" if variant else self.kind})

    def skip(self, path: Path | str, reason: str) -> None:
        self.skipped.append({"path": printable(path), "reason": reason})

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        tracks = pd.DataFrame(self.rows, columns=list(COLUMNS))
        for c in ("tempo_bpm", "tempo2_bpm", "tempo_weight"):
            tracks[c] = tracks[c].astype(float)
        for c in ("track_id", "path", "group", "source"):
            tracks[c] = tracks[c].astype(object)
        tracks["key"] = tracks["key"].astype(object)
        return tracks, pd.DataFrame(self.skipped, columns=list(SKIPPED_COLUMNS), dtype=object)


def require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise BenchmarkError(f"{path}: no such folder ({what})")
    return path


def read_text(path: Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BenchmarkError(f"{path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise BenchmarkError(f"{path}: cannot read ({exc})") from exc


def _lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines that are not ``#`` comments, with their line numbers."""
    return [(i, line.strip()) for i, line in enumerate(read_text(path).splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")]


def _number(path: Path, line: int, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BenchmarkError(f"{path}:{line}: {text!r} is not a number ({what})") from None
    if not math.isfinite(value) or value < 0:
        raise BenchmarkError(f"{path}:{line}: {text!r} is not a {what}")
    return value


def read_number(path: Path, what: str = "tempo in BPM") -> float:
    """The one number a file holds (GiantSteps ``.bpm``, Ballroom ``.bpm``, ``gtzan_*.bpm``)."""
    lines = _lines(path)
    if not lines:
        raise BenchmarkError(f"{path}: empty (expected one {what})")
    line, text = lines[0]
    if len(lines) > 1 or len(text.split()) != 1:
        extra = lines[1] if len(lines) > 1 else lines[0]
        raise BenchmarkError(f"{path}:{extra[0]}: expected one {what}, found {extra[1]!r}")
    return _number(path, line, text, what)


def read_numbers(path: Path, count: int, what: str) -> list[float]:
    """One line of ``count`` numbers (a MIREX tempo file: ``T1 T2 ST1``)."""
    lines = _lines(path)
    if not lines:
        raise BenchmarkError(f"{path}: empty (expected {what})")
    line, text = lines[0]
    fields = text.split()
    if len(lines) > 1 or len(fields) != count:
        raise BenchmarkError(f"{path}:{line}: expected {what}, found {text!r}")
    return [_number(path, line, f, what) for f in fields]


def read_beats(path: Path) -> np.ndarray:
    """Beat times of a ``.beats`` file: one beat a line, ``<time in s> [<position in bar>]``
    (Krebs' Ballroom annotations, ``gtzan_tempo_beat``)."""
    times = []
    for line, text in _lines(path):
        first = text.split()[0]
        try:
            times.append(float(first))
        except ValueError:
            raise BenchmarkError(f"{path}:{line}: {first!r} is not a beat time in seconds") from None
    return np.asarray(times, dtype=float)


def tempo_from_beats(times) -> float | None:
    """60 / the median inter-beat interval; None with fewer than two (increasing) beats."""
    times = np.asarray(times, dtype=float)
    times = times[times >= 0]
    if times.size < 2:
        return None
    gaps = np.diff(times)
    gaps = gaps[gaps > 0]
    return float(60.0 / np.median(gaps)) if gaps.size else None


def read_json(path: Path) -> dict:
    text = read_text(path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BenchmarkError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(doc, dict):
        raise BenchmarkError(f"{path}: expected a JSON object, found {type(doc).__name__}")
    return doc


def jams_annotations(doc: dict, path: Path, namespace: str) -> list[dict]:
    anns = doc.get("annotations")
    if not isinstance(anns, list):
        raise BenchmarkError(f"{path}: not a JAMS file (no 'annotations' list)")
    return [a for a in anns if isinstance(a, dict) and a.get("namespace") == namespace]


def _observations(ann: dict, path: Path) -> list[dict]:
    data = ann.get("data") or []
    if isinstance(data, dict):  # a JAMS "sparse" frame: columns of equal length
        keys = list(data)
        data = [dict(zip(keys, row)) for row in zip(*(data[k] for k in keys))]
    if not isinstance(data, list) or not all(isinstance(o, dict) for o in data):
        raise BenchmarkError(f"{path}: {ann.get('namespace')} annotation has malformed 'data'")
    return data


def jams_tempo(doc: dict, path: Path) -> Tempo | None:
    """The tempo of a JAMS ``tempo`` annotation (the first one with data): the most confident
    value, the next as the second tempo, the first's share of the two confidences as its
    weight. None when there is no tempo annotation (or only empty ones, or tempo 0)."""
    for ann in jams_annotations(doc, path, "tempo"):
        obs = []
        for o in _observations(ann, path):
            value, conf = o.get("value"), o.get("confidence")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                    or value < 0:
                raise BenchmarkError(f"{path}: tempo value {value!r} is not a tempo in BPM")
            if value > 0:
                conf = float(conf) if isinstance(conf, (int, float)) and math.isfinite(conf) else NAN
                obs.append((float(value), conf))
        if not obs:
            continue
        if len(obs) > 1:
            obs.sort(key=lambda o: -o[1] if not math.isnan(o[1]) else math.inf)
            c1, c2 = obs[0][1], obs[1][1]
            weight = c1 / (c1 + c2) if c1 + c2 > 0 else NAN
            return Tempo(obs[0][0], obs[1][0], weight)
        return Tempo(obs[0][0], NAN, min(max(obs[0][1], 0.0), 1.0) if not math.isnan(obs[0][1]) else NAN)
    return None


def jams_beat_tempo(doc: dict, path: Path) -> float | None:
    """60 / median inter-beat interval of the first JAMS ``beat`` annotation that holds beats
    (not downbeats or 8th notes, as Marchand's GTZAN-Rhythm files mark in the sandbox)."""
    for ann in jams_annotations(doc, path, "beat"):
        kind = (ann.get("sandbox") or {}).get("annotation_type", "beat")
        if kind != "beat":
            continue
        times = [o.get("time") for o in _observations(ann, path)]
        if not all(isinstance(t, (int, float)) for t in times):
            raise BenchmarkError(f"{path}: a beat time is not a number")
        tempo = tempo_from_beats(times)
        if tempo is not None:
            return tempo
    return None


def jams_keys(doc: dict, path: Path) -> list[tuple[str, dict]]:
    """``(value, annotation_metadata)`` of every observation of the first ``key_mode``
    annotation with data."""
    for ann in jams_annotations(doc, path, "key_mode"):
        obs = _observations(ann, path)
        if obs:
            meta = ann.get("annotation_metadata") or {}
            return [(str(o.get("value")), meta) for o in obs]
    return []


def single_key(values: list[str], path: Path) -> tuple[str | None, str | None]:
    """One key from a list of labels: ``(key, None)``, or ``(None, reason)`` when none is a
    major or minor key or they disagree (a key change). Text that is no key label at all
    is an error naming the file."""
    keys, reasons = [], []
    for v in values:
        key, reason, kind = classify_key(v)
        if kind == "unparseable":
            raise BenchmarkError(f"{path}: {reason}")
        (keys if key else reasons).append(key or reason)
    if len(set(keys)) > 1:
        return None, f"ambiguous: key changes ({', '.join(dict.fromkeys(keys))})"
    if keys and not reasons:
        return keys[0], None
    if keys:
        return None, f"ambiguous: {keys[0]} and {reasons[0]}"
    return None, reasons[0] if reasons else "no key annotation"


def key_label(text, path: Path, line: int | None = None) -> tuple[str | None, str | None]:
    """``(key, None)`` or ``(None, reason)`` for a dataset's key label; an error naming the
    file (and line) for text that is no key label at all."""
    key, reason, kind = classify_key(text)
    if kind == "unparseable":
        raise BenchmarkError(f"{path}{f':{line}' if line else ''}: {reason}")
    return key, reason


def audio_by_stem(folder: Path) -> dict[str, Path]:
    """The audio files directly in ``folder``, one per stem (see :data:`AUDIO_PREFERENCE`)."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    rank = {s: i for i, s in enumerate(AUDIO_PREFERENCE)}
    for f in sorted(folder.iterdir()):
        suffix = f.suffix.lower()
        if f.name.startswith(".") or suffix not in rank or not f.is_file():
            continue
        old = found.get(f.stem)
        if old is None or rank[suffix] < rank[old.suffix.lower()]:
            found[f.stem] = f
    return found


def files_by_stem(folder: Path, suffix: str) -> dict[str, Path]:
    """``{stem: path}`` of the ``suffix`` files directly in ``folder`` (none if it is absent)."""
    if not folder.is_dir():
        return {}
    return {f.name[: -len(suffix)]: f for f in sorted(folder.iterdir())
            if f.name.endswith(suffix) and not f.name.startswith(".") and f.is_file()}


def walk_dirs(root: Path, depth: int, skip=lambda d: False):
    """``root`` and the folders below it, ``depth`` levels down, in sorted order (hidden
    folders and those ``skip`` refuses are not entered)."""
    yield root
    if depth <= 0:
        return
    try:
        children = sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    except OSError:
        return
    for d in children:
        if not skip(d):
            yield from walk_dirs(d, depth - 1, skip)


def option_dirs(options: dict, name: str = "annotations") -> list[Path]:
    """The folders an ``?annotations=`` option names, each checked to exist."""
    out = []
    for value in options.get(name, []):
        p = Path(os.path.abspath(os.path.expanduser(value)))
        out.append(require_dir(p, f"the {name}= folder"))
    return out
