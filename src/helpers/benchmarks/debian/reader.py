"""Reading a fetched folder: :class:`DebianReader`, the ``debian`` benchmark
reader registered in :mod:`helpers.benchmarks`."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..base import BenchmarkError, Reader, read_delimited


class DebianReader(Reader):
    """A folder written by :func:`fetch_benchmark`: ``labels.csv`` (path,
    label, package, ...) and the FLACs it lists. ``group`` is the manifest's
    ``group`` column (the artist) when it has one, else the package."""

    kind = "debian"

    def rows(self, root: Path) -> Iterator[dict]:
        labels = root / "labels.csv"
        if not labels.is_file():
            raise BenchmarkError(f"{labels}: not found (fetch the benchmark first: "
                                 f"python -m helpers.realbench --out {root})")
        for line, header, fields in read_delimited(labels, required=("path", "label", "package")):
            rec = dict(zip(header, (f.strip() for f in fields)))
            if not rec["path"] or not rec["label"]:
                raise BenchmarkError(f"{labels}:{line}: empty path or label")
            yield {"track_id": rec["path"], "path": str(root / rec["path"]), "labels": (rec["label"],),
                   "group": rec.get("group") or rec["package"] or None, "source": f"labels.csv:{line}"}
