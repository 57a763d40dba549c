"""MTG-Jamendo (Bogdanov et al., 2019): full tracks with genre, instrument and mood tags.

Layout: a tab-separated ``autotagging_genre.tsv`` (or ``autotagging.tsv``)
with columns ``TRACK_ID ARTIST_ID ALBUM_ID PATH DURATION TAGS``, where the
tags continue as further tab-separated fields (``genre---funk``,
``instrument---bass``, ``mood/theme---happy``), and the audio tree
``<root>/NN/<number>.mp3`` (or the low-quality ``<number>.low.mp3``).

The root may be the audio folder holding the TSV (or ``data/<tsv>``), or the
TSV itself with the audio tree beside it. A track's labels are its
``genre---`` tags (other categories are not genres and are left out);
``group`` is ``ARTIST_ID``.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Iterator

from .base import BenchmarkError, Reader, read_delimited

TSV_NAMES = ("autotagging_genre.tsv", "autotagging.tsv")
COLUMNS = ("TRACK_ID", "ARTIST_ID", "ALBUM_ID", "PATH", "DURATION", "TAGS")
GENRE_PREFIX = "genre---"


def locate(root: Path) -> tuple[Path, Path]:
    """``(tsv, audio root)``."""
    if root.is_file():
        return root, root.parent
    for folder in (root, root / "data"):
        for name in TSV_NAMES:
            if (folder / name).is_file():
                return folder / name, root
    raise BenchmarkError(f"{root}: no {' or '.join(TSV_NAMES)} (looked in {root} and {root / 'data'})")


def _low(rel: str) -> str:
    p = PurePosixPath(rel)
    return str(p.with_name(p.stem + ".low" + p.suffix))


class JamendoReader(Reader):
    """MTG-Jamendo: labels = ``genre---*`` tags; group = artist id."""

    kind = "mtg-jamendo"
    paper_preset = "mtg-jamendo-paper"

    def rows(self, root: Path) -> Iterator[dict]:
        tsv, audio = locate(root)
        for line, header, fields in read_delimited(tsv, "\t", required=COLUMNS, ragged=True):
            where = f"{tsv}:{line}"
            rec = dict(zip(COLUMNS, (f.strip() for f in fields[:5])))
            tags = [t.strip() for t in fields[5:] if t.strip()]
            if not rec["TRACK_ID"] or not rec["PATH"]:
                raise BenchmarkError(f"{where}: empty TRACK_ID or PATH")
            rel = PurePosixPath(rec["PATH"])
            if rel.is_absolute() or ".." in rel.parts:
                raise BenchmarkError(f"{where}: PATH {rec['PATH']!r} must be relative, without '..'")
            try:
                float(rec["DURATION"])
            except ValueError:
                raise BenchmarkError(f"{where}: DURATION {rec['DURATION']!r} is not a number") from None
            bad = [t for t in tags if "---" not in t]
            if bad:
                raise BenchmarkError(f"{where}: tag {bad[0]!r} is not written category---value")
            candidates = [audio / rec["PATH"], audio / _low(rec["PATH"])]
            found = next((c for c in candidates if c.is_file()), None)
            yield {"track_id": rec["TRACK_ID"], "path": str(found or candidates[0]),
                   "labels": tuple(t for t in tags if t.startswith(GENRE_PREFIX)),
                   "group": rec["ARTIST_ID"] or None, "source": f"{tsv.name}:{line}",
                   "missing": None if found else f"file not found (nor {_low(rec['PATH'])})"}
