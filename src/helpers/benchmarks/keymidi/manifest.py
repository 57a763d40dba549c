"""The shipped manifest ``helpers/resources/keymidi/key.csv``: read and validate it."""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path

from ..annotated.keys import normalise_key
from ..debian.common import _PACKAGE_RE, _VERSION_RE, ManifestError
from .common import _TRACK_ID_RE, MANIFEST_COLUMNS, ReservedPackage, refuse_reserved


def shipped_manifest() -> Path:
    """Path of the shipped ``key.csv``."""
    return Path(str(resources.files("helpers") / "resources" / "keymidi" / "key.csv"))


def read_manifest(path: str | Path | None = None) -> list[dict[str, str]]:
    """The rows of a key manifest, validated; :class:`ManifestError` names every problem.

    Checks: the columns of :data:`~.common.MANIFEST_COLUMNS`; package names and versions;
    no reserved package (nor music21's Bach chorales); a path per row; unique track ids
    of the safe form; keys already normalised (``"C# minor"``); numeric durations and
    note counts; a 40-digit sha1.
    """
    path = Path(path) if path is not None else shipped_manifest()
    rows = read_rows(path, MANIFEST_COLUMNS)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, 2):
        where = f"{path.name}:{line}"
        pkg = row["package"]
        if not _PACKAGE_RE.match(pkg):
            problems.append(f"{where}: bad package name {pkg!r}")
        try:
            refuse_reserved(pkg, row["path"])
        except ReservedPackage as exc:
            problems.append(f"{where}: {exc}")
        if not _VERSION_RE.match(row["version"]):
            problems.append(f"{where}: bad version {row['version']!r}")
        if not row["path"].startswith("/"):
            problems.append(f"{where}: path {row['path']!r} is not an absolute path inside the package")
        problems += key_row_problems(where, line, row, seen, ("duration_s", "n_notes"))
        if len(row["midi_sha1"]) != 40 or any(c not in "0123456789abcdef" for c in row["midi_sha1"]):
            problems.append(f"{where}: midi_sha1 {row['midi_sha1']!r} is not a sha1")
    raise_problems(path, problems)
    return rows


# --- shared with the other key manifests (scorekey) ---------------------------------------------

def read_rows(path: Path, columns) -> list[dict[str, str]]:
    """A manifest's rows; :class:`ManifestError` when it cannot be read or lacks one of ``columns``."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = list(reader)
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read ({exc})") from exc
    missing = [c for c in columns if c not in header]
    if missing:
        raise ManifestError(f"{path}: missing columns {missing}")
    return rows


def key_row_problems(where: str, line: int, row: dict, seen: dict[str, int], positive=()) -> list[str]:
    """What is wrong with a key manifest row's track id (safe form, unique: ``seen`` records it),
    key (normalised), basis and its evidence, and the columns ``positive`` (positive numbers).
    ``key_field`` is the folk tunes' basis: an ABC ``K:`` field, which names tonic and mode."""
    problems = []
    tid = row["track_id"]
    if not _TRACK_ID_RE.match(tid):
        problems.append(f"{where}: bad track_id {tid!r}")
    elif tid in seen:
        problems.append(f"{where}: track_id {tid!r} also on line {seen[tid]}")
    seen[tid] = line
    if not row["key"] or normalise_key(row["key"]) != row["key"]:
        problems.append(f"{where}: key {row['key']!r} is not a normalised key ('C# minor' style)")
    if row["basis"] not in ("key_signature", "title", "key_signature+title", "key_field"):
        problems.append(f"{where}: basis {row['basis']!r} unknown")
    if row["basis"] != "title" and row["ks_key"] != row["key"]:
        problems.append(f"{where}: ks_key {row['ks_key']!r} differs from key {row['key']!r}")
    if "title" in row["basis"] and row["title_key"] != row["key"]:
        problems.append(f"{where}: title_key {row['title_key']!r} differs from key {row['key']!r}")
    for col in positive:
        try:
            value = float(row[col])
            if not math.isfinite(value) or value <= 0:
                raise ValueError
        except ValueError:
            problems.append(f"{where}: {col} {row[col]!r} is not a positive number")
    return problems


def raise_problems(path: Path, problems: list[str]) -> None:
    """:class:`ManifestError` listing ``problems`` (the first 20), if there are any."""
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ManifestError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(shown))
