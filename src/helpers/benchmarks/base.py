"""The one face every benchmark reader shows, and the table it returns.

A reader lists the tracks of one dataset layout on disk with the dataset's
own labels; it knows nothing of the study's genres. Mapping those labels to
the study's genres is :mod:`helpers.benchmarks.labelmaps`' job.
"""

from __future__ import annotations

import abc
import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from ..errors import SynthMIRError

#: Columns of a reader's track table. ``labels`` holds a tuple of the
#: dataset's own labels (one for a folder, several for tag datasets);
#: ``group`` the artist, album or package when the metadata has one, else None;
#: ``source`` where the row came from (``file:line`` or a relative path);
#: ``missing`` None when the audio file is there, else why not ("file not found").
TRACK_COLUMNS = ("track_id", "path", "labels", "group", "source", "missing")
#: Columns of a skip table: where, which file, why.
SKIP_COLUMNS = ("source", "path", "reason")
#: Audio files the folder readers pick up (lower-case suffixes).
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".au")


class BenchmarkError(SynthMIRError, ValueError):
    """A benchmark that cannot be read: names the file, line and value."""


@dataclass
class Listing:
    """What a reader found: every track the metadata lists (``missing`` says
    whether its audio file is there), and rows it could not use."""

    tracks: pd.DataFrame   # TRACK_COLUMNS
    skipped: pd.DataFrame  # SKIP_COLUMNS


class Reader(abc.ABC):
    """Base class of every benchmark reader.

    Subclasses set :attr:`kind` and fill in :meth:`rows`; :meth:`list_tracks`
    turns the rows into a :class:`Listing`, checking that track ids are unique
    and whether each audio file is there. (A missing file becomes a skip only
    for tracks the study uses: GTZAN's blues need not be on disk for a study
    of Rock and Pop.)
    """

    #: the name used in ``real_data: <kind>:<path>``
    kind: str = ""
    #: the label map ``auto`` picks when the study's genres are the paper's five
    paper_preset: str | None = None
    #: what the identity map does with a label that is none of the study's
    #: genres: "drop" (not counted as a skip), "skip" (a listed skip) or "error"
    identity_unknown: str = "drop"

    @abc.abstractmethod
    def rows(self, root: Path) -> Iterator[dict]:
        """Yield one dict per track (keys :data:`TRACK_COLUMNS`; ``missing``
        is optional: when absent, the file's existence decides) or, for a row
        that cannot be used, ``{"skip": reason, "source": ..., "path": ...}``.
        Raise :class:`BenchmarkError` for a malformed file."""

    def list_tracks(self, root: str | os.PathLike) -> Listing:
        """List the dataset at ``root``: ``Listing(tracks, skipped)``."""
        root = Path(os.path.expanduser(str(root)))
        tracks, skipped = [], []
        seen: dict[str, str] = {}
        for row in self.rows(root):
            if "skip" not in row and not is_utf8(row["path"]):
                row = {"skip": "file name is not valid UTF-8 (rename the file)", "source": printable(row["source"]),
                       "path": row["path"]}
            if "skip" in row:
                skipped.append({"source": printable(row["source"]), "path": printable(row.get("path", "")),
                                "reason": row["skip"]})
                continue
            tid = str(row["track_id"])
            if tid in seen:
                raise BenchmarkError(f"{row['source']}: track {tid!r} listed twice (first at {seen[tid]})")
            seen[tid] = row["source"]
            missing = row["missing"] if "missing" in row else \
                (None if os.path.isfile(row["path"]) else "file not found")
            tracks.append({"track_id": tid, "path": str(row["path"]), "labels": tuple(row["labels"]),
                           "group": row.get("group"), "source": row["source"], "missing": missing})
        return Listing(pd.DataFrame(tracks, columns=list(TRACK_COLUMNS), dtype=object),
                       pd.DataFrame(skipped, columns=list(SKIP_COLUMNS), dtype=object))


def is_utf8(path) -> bool:
    """True when ``path`` can be written as UTF-8 text (file names that are not come back from the
    file system as surrogate escapes, which no CSV or JSON file can hold)."""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def printable(text) -> str:
    """``text`` with the bytes of a non-UTF-8 file name shown as ``\\xNN`` escapes."""
    return os.fsencode(str(text)).decode("utf-8", "backslashreplace") if not is_utf8(text) else str(text)


def read_delimited(path: Path, delimiter: str = ",", required: Iterable[str] = (),
                   ragged: bool = False) -> Iterator[tuple[int, list[str], list[str]]]:
    """Read a CSV/TSV with a header row: yield ``(line, header, fields)`` per
    data row (blank lines skipped; ``line`` is the row's first line in the file).

    A row with more fields than the header is an error naming the file and
    line, unless ``ragged`` (TSVs whose last column repeats, like MTG-Jamendo's
    tags); a row with fewer fields is always one. Missing ``required``
    columns are an error naming them.
    """
    try:
        fh = open(path, newline="", encoding="utf-8")
    except OSError as exc:
        raise BenchmarkError(f"{path}: cannot read ({exc})") from exc
    with fh:
        reader = csv.reader(fh, delimiter=delimiter)
        try:
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise BenchmarkError(f"{path}: missing column(s) {missing} (found: {header or 'no header'})")
            line = reader.line_num
            for fields in reader:
                start, line = line + 1, reader.line_num
                if not any(f.strip() for f in fields):
                    continue
                if len(fields) < len(header) or (len(fields) > len(header) and not ragged):
                    raise BenchmarkError(f"{path}:{start}: {len(fields)} field(s), the header has {len(header)}")
                yield start, header, fields
        except csv.Error as exc:
            raise BenchmarkError(f"{path}:{reader.line_num}: malformed ({exc})") from exc
        except UnicodeDecodeError as exc:
            raise BenchmarkError(f"{path}: not UTF-8 text ({exc})") from exc
