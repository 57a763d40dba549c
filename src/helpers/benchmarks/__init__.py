"""Real benchmarks: readers for the layouts MIR researchers have on disk.

``evaluation.real_data`` (or ``--real-data``) names one as ``<kind>:<path>``:

============  =================================================================
kind          layout
============  =================================================================
folder        one subfolder per label, audio files inside
csv           a CSV/TSV with columns ``path,label`` (optional ``group``)
debian        a folder fetched by ``python -m helpers.realbench`` (its labels.csv)
gtzan         ``genres_original/<genre>/<genre>.000NN.wav`` (or ``genres/``, ``.au``)
fma           ``fma_metadata/{tracks,genres}.csv`` + ``fma_small|medium|large|full/``
mtg-jamendo   ``autotagging_genre.tsv`` (or ``autotagging.tsv``) + the audio tree
============  =================================================================

A plain path is a ``folder`` (or ``debian`` when it holds the fetcher's
labels.csv) or a ``csv``, as before. Each reader lists the dataset's tracks
with the dataset's own labels and a ``group`` (artist, album or package
where the metadata has one); :mod:`.labelmaps` turns labels into the
study's genres.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..registry import Registry
from .base import AUDIO_EXTENSIONS, SKIP_COLUMNS, TRACK_COLUMNS, BenchmarkError, Listing, Reader
from .labelmaps import COUNT_KEYS, MAP_NAMES, PRESETS, apply_label_map, check_label_map, resolve_label_map

READERS: Registry[Reader] = Registry("benchmark reader")
READERS.register("folder", "helpers.benchmarks.folder:FolderReader")
READERS.register("csv", "helpers.benchmarks.folder:CsvReader")
READERS.register("debian", "helpers.benchmarks.debian:DebianReader")
READERS.register("gtzan", "helpers.benchmarks.gtzan:GtzanReader")
READERS.register("fma", "helpers.benchmarks.fma:FmaReader")
READERS.register("mtg-jamendo", "helpers.benchmarks.jamendo:JamendoReader")

_KIND = re.compile(r"^(?P<kind>[a-z][a-z0-9-]*):(?P<path>.+)$")

__all__ = ["READERS", "RealTracks", "BenchmarkError", "Listing", "Reader", "parse_source", "check_spec",
           "source_key", "list_real_tracks", "check_label_map", "COUNT_KEYS", "MAP_NAMES", "PRESETS",
           "TRACK_COLUMNS", "SKIP_COLUMNS", "AUDIO_EXTENSIONS"]


def parse_source(spec: str | os.PathLike) -> tuple[str, Path]:
    """``"gtzan:/data/gtzan"`` -> ``("gtzan", Path("/data/gtzan"))``.

    A plain path is ``folder`` (``debian`` when it holds a labels.csv with a
    ``package`` column), or ``csv`` for a .csv/.tsv file. Raises
    :class:`BenchmarkError` for an unknown kind or a plain path that is
    neither.
    """
    text = str(spec).strip()
    m = _KIND.match(text)
    check_spec(text)
    if m and not Path(os.path.expanduser(text)).exists():
        return m["kind"], Path(os.path.expanduser(m["path"]))
    path = Path(os.path.expanduser(text))
    if path.is_dir():
        return ("debian" if _is_fetched_folder(path) else "folder"), path
    if path.is_file() and path.suffix.lower() in (".csv", ".tsv"):
        return "csv", path
    raise BenchmarkError(f"real benchmark {text!r} is neither a folder nor a CSV file, nor <kind>:<path> "
                         f"with a kind of {', '.join(READERS.names())}")


def check_spec(spec: str | os.PathLike) -> None:
    """Raise :class:`BenchmarkError` when ``spec`` names an unknown kind (the
    path itself is checked when the benchmark is read)."""
    text = str(spec).strip()
    m = _KIND.match(text)
    if m and m["kind"] not in READERS.names() and not Path(os.path.expanduser(text)).exists():
        raise BenchmarkError(f"real_data {text!r}: unknown benchmark kind {m['kind']!r}; known: "
                             f"{', '.join(READERS.names())} (or a plain folder or CSV path)")


def _is_fetched_folder(path: Path) -> bool:
    labels = path / "labels.csv"
    if not labels.is_file():
        return False
    with open(labels, encoding="utf-8", errors="replace") as fh:
        header = [h.strip() for h in fh.readline().split(",")]
    return {"path", "label", "package"} <= set(header)


def source_key(spec: str | os.PathLike) -> str:
    """A stable key for a benchmark: the absolute path, prefixed ``<kind>:``
    when the kind was named (a plain path keys as before)."""
    text = str(spec).strip()
    m = _KIND.match(text)
    if m and not Path(os.path.expanduser(text)).exists():
        return f"{m['kind']}:{Path(os.path.expanduser(m['path'])).resolve()}"
    return str(Path(os.path.expanduser(text)).resolve())


@dataclass
class RealTracks:
    """A real benchmark listed for a study: what to embed, what was skipped, and counts."""

    kind: str
    path: Path
    label_map: str
    tracks: pd.DataFrame    # track_id, path, label (study genre), dataset_labels, group, source
    skipped: pd.DataFrame   # source, path, reason
    counts: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Kind, map and counts: listed (tracks in the metadata), mapped,
        dropped, unlabelled, ambiguous, unknown, missing (mapped, but the
        audio file is not there), invalid (rows the reader could not use),
        skipped (every listed skip), and the mapped tracks per genre."""
        per_genre = self.tracks["label"].value_counts().to_dict()
        return {"kind": self.kind, "path": str(self.path), "label_map": self.label_map, **self.counts,
                "skipped": len(self.skipped), "per_genre": {str(k): int(v) for k, v in per_genre.items()}}


def list_real_tracks(spec: str | os.PathLike, genres, label_map="auto") -> RealTracks:
    """List the benchmark ``spec`` (``<kind>:<path>`` or a plain path) for a
    study of ``genres`` through ``label_map`` (see :mod:`.labelmaps`).

    Ambiguous tracks, tracks with unknown labels and mapped tracks whose
    audio file is missing are listed skips (source = file:line or relative
    path, path, reason); tracks whose labels the map drops are only counted.
    Malformed metadata is a :class:`BenchmarkError` naming the file and line.
    """
    kind, path = parse_source(spec)
    reader = READERS.get(kind)()
    listing = reader.list_tracks(path)
    genres = [str(g) for g in genres]
    lmap = resolve_label_map(label_map, genres, kind, reader.paper_preset, reader.identity_unknown)
    mapped, map_skips, counts = apply_label_map(listing.tracks, lmap, genres)
    absent = mapped["missing"].notna()
    missing = [{"source": r.source, "path": r.path, "reason": r.missing} for r in mapped[absent].itertuples()]
    tracks = mapped[~absent].drop(columns=["missing"]).reset_index(drop=True)
    skipped = pd.DataFrame([*listing.skipped.to_dict("records"), *map_skips, *missing],
                           columns=list(SKIP_COLUMNS), dtype=object)
    counts.update(missing=len(missing), invalid=len(listing.skipped))
    return RealTracks(kind, path, lmap.name, tracks, skipped, counts)
