"""FMA, the Free Music Archive dataset (Defferrard et al., ISMIR 2017).

Layout::

    <root>/fma_metadata/tracks.csv    two header rows (track/album/artist/set, then
                                      the column names), a third "track_id" row
    <root>/fma_metadata/genres.csv    genre_id,#tracks,parent,title,top_level
    <root>/fma_small/NNN/NNNNNN.mp3   (or fma_medium, fma_large, fma_full)

The root may also be one audio folder (``<root>/fma_small``), with
``fma_metadata`` beside it; that is how to choose when several are there.
Only the tracks of the folder's subset are listed (``set.subset``: small for
fma_small, small and medium for fma_medium, all for fma_large and fma_full).

A track's labels are the titles of ``track.genres_all`` (its genres and all
their ancestors, so ``Electronic`` for a Techno track); ``group`` is
``artist.id``.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Iterator

from .base import BenchmarkError, Reader, read_delimited

SUBSETS = ("small", "medium", "large", "full")
#: which ``set.subset`` values each audio folder holds
_SUBSET_HOLDS = {"small": {"small"}, "medium": {"small", "medium"}, "large": None, "full": None}


_IDS = re.compile(r"^\[\s*(\d+\s*(,\s*\d+\s*)*)?\]$")


def audio_path(audio_dir: str | os.PathLike, track_id: int) -> str:
    """``<audio_dir>/NNN/NNNNNN.mp3`` (track 2 -> ``000/000002.mp3``)."""
    name = f"{track_id:06d}"
    return os.path.join(audio_dir, name[:3], f"{name}.mp3")


def locate(root: Path) -> tuple[Path, Path, str]:
    """``(metadata folder, audio folder, subset)`` for a root as described above."""
    if root.name.startswith("fma_") and root.name[4:] in SUBSETS and root.is_dir():
        meta = root.parent / "fma_metadata"
        return meta, root, root.name[4:]
    meta = root / "fma_metadata"
    found = [root / f"fma_{s}" for s in SUBSETS if (root / f"fma_{s}").is_dir()]
    if not found:
        raise BenchmarkError(f"{root}: no audio folder fma_small, fma_medium, fma_large or fma_full")
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise BenchmarkError(f"{root} holds several FMA audio folders ({names}): name one, "
                             f"e.g. fma:{found[0]}")
    return meta, found[0], found[0].name[4:]


def read_genres(path: Path) -> dict[int, str]:
    """``genres.csv`` as ``{genre_id: title}``."""
    if not path.is_file():
        raise BenchmarkError(f"{path}: not found (FMA's genre titles)")
    out = {}
    for line, header, fields in read_delimited(path, required=("genre_id", "title")):
        rec = dict(zip(header, fields))
        try:
            out[int(rec["genre_id"])] = rec["title"].strip()
        except ValueError:
            raise BenchmarkError(f"{path}:{line}: genre_id {rec['genre_id']!r} is not a number") from None
    return out


def _genre_ids(value: str, where: str) -> list[int]:
    value = value.strip()
    if not value:
        return []
    if not _IDS.match(value):
        raise BenchmarkError(f"{where}: track.genres_all {value!r} is not a list of genre ids like [21, 811]")
    return [int(i) for i in value[1:-1].split(",") if i.strip()]


class FmaReader(Reader):
    """FMA: labels from ``track.genres_all`` through ``genres.csv``; group = artist id."""

    kind = "fma"
    paper_preset = "fma-paper"

    def rows(self, root: Path) -> Iterator[dict]:
        meta, audio, subset = locate(root)
        titles = read_genres(meta / "genres.csv")
        path = meta / "tracks.csv"
        if not path.is_file():
            raise BenchmarkError(f"{path}: not found (FMA's track metadata)")
        holds = _SUBSET_HOLDS[subset]
        audio = str(audio)
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            try:
                top, sub = next(reader), next(reader)
            except StopIteration:
                raise BenchmarkError(f"{path}: expected two header rows") from None
            if len(top) != len(sub):
                raise BenchmarkError(f"{path}: the two header rows have {len(top)} and {len(sub)} fields")
            names = [f"{a}.{b}" if a else "track_id" for a, b in zip(top, sub)]
            col = {n: i for i, n in enumerate(names)}
            missing = [c for c in ("track.genres_all", "artist.id") if c not in col]
            if missing:
                raise BenchmarkError(f"{path}: missing column(s) {missing} (two header rows: "
                                     "track/album/artist/set, then the names)")
            line = reader.line_num
            try:
                for fields in reader:
                    start, line = line + 1, reader.line_num
                    if not any(f.strip() for f in fields):
                        continue
                    if fields[0] == "track_id" and not any(f.strip() for f in fields[1:]):
                        continue  # the index-name row pandas writes under a two-row header
                    where = f"{path}:{start}"
                    if len(fields) != len(names):
                        raise BenchmarkError(f"{where}: {len(fields)} field(s), the header has {len(names)}")
                    try:
                        tid = int(fields[0])
                    except ValueError:
                        raise BenchmarkError(f"{where}: track id {fields[0]!r} is not a number") from None
                    if holds is not None and "set.subset" in col and fields[col["set.subset"]] not in holds:
                        continue
                    ids = _genre_ids(fields[col["track.genres_all"]], where)
                    target = audio_path(audio, tid)
                    unknown = [i for i in ids if i not in titles]
                    if unknown:
                        yield {"skip": f"genre id {unknown[0]} is not in genres.csv",
                               "source": f"tracks.csv:{start}", "path": target}
                        continue
                    artist = fields[col["artist.id"]].strip()
                    yield {"track_id": f"{tid:06d}", "path": target, "labels": tuple(titles[i] for i in ids),
                           "group": artist or None, "source": f"tracks.csv:{start}"}
            except csv.Error as exc:
                raise BenchmarkError(f"{path}:{reader.line_num}: malformed ({exc})") from exc
