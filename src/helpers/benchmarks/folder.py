"""The two generic layouts: a folder per genre, and a ``path,label`` CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from .base import AUDIO_EXTENSIONS, BenchmarkError, Reader, read_delimited


class FolderReader(Reader):
    """``<root>/<label>/**/<file>``: one subfolder per label, audio files
    anywhere below it (WAV, FLAC, OGG, MP3, AIFF, AU). The label is the
    subfolder's name; track ids and sources are paths relative to ``root``.
    No group (the layout does not say who made a track)."""

    kind = "folder"
    identity_unknown = "skip"

    def rows(self, root: Path) -> Iterator[dict]:
        if not root.is_dir():
            raise BenchmarkError(f"{root}: not a folder")
        for folder in sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")):
            for f in sorted(folder.rglob("*")):
                if f.name.startswith("."):
                    continue
                if f.is_file() and f.suffix.lower() in AUDIO_EXTENSIONS:
                    rel = f.relative_to(root).as_posix()
                    yield {"track_id": rel, "path": str(f), "labels": (folder.name,), "group": None, "source": rel}
                elif f.is_symlink() and not f.exists():
                    reason = unresolvable_link(f)
                    if reason == "symlink loop" or f.suffix.lower() in AUDIO_EXTENSIONS:
                        yield {"skip": reason, "source": f.relative_to(root).as_posix(), "path": str(f)}


def unresolvable_link(path: Path) -> str:
    """Why a symlink leads nowhere: "symlink loop" or "broken symlink (to <target>)"."""
    import errno
    import os

    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
    try:
        return f"broken symlink (to {os.readlink(path)})"
    except OSError:
        return "broken symlink"


class CsvReader(Reader):
    """A CSV (or TSV) with columns ``path,label`` and optionally ``group``
    (artist, album: anything that must not be split). Relative paths are
    taken from the file's folder; the track id is the path as written."""

    kind = "csv"
    identity_unknown = "error"  # a label that is no genre is most likely a typo

    def rows(self, root: Path) -> Iterator[dict]:
        if not root.is_file():
            raise BenchmarkError(f"{root}: no such file (expected a CSV with columns path,label)")
        delimiter = "\t" if root.suffix.lower() == ".tsv" else ","
        for line, header, fields in read_delimited(root, delimiter, required=("path", "label")):
            rec = dict(zip(header, (f.strip() for f in fields)))
            where = f"{root.name}:{line}"
            if not rec["path"]:
                raise BenchmarkError(f"{root}:{line}: empty path")
            if not rec["label"]:
                raise BenchmarkError(f"{root}:{line}: empty label for {rec['path']!r}")
            p = Path(rec["path"])
            p = p if p.is_absolute() else root.parent / p
            yield {"track_id": rec["path"], "path": str(p), "labels": (rec["label"],),
                   "group": rec.get("group") or None, "source": where}
