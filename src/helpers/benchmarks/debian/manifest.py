"""Manifest CSVs: read and validate them, find the shipped ones, and name
each recording's output file (``<Label>/<slug>.flac``)."""

from __future__ import annotations

import csv
import hashlib
import os
import posixpath
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .common import (
    _PACKAGE_RE,
    _VERSION_RE,
    LABELS,
    MANIFEST_COLUMNS,
    OPTIONAL_COLUMNS,
    STEM_PACKAGE_PREFIX,
    ManifestError,
)


def _canonical_label(value: str) -> str | None:
    """The canonical spelling of ``value`` in :data:`LABELS`, or ``None``."""
    lowered = value.strip().lower()
    for label in LABELS:
        if label.lower() == lowered:
            return label
    return None


def _check_path(path: str) -> str | None:
    """Why ``path`` (optionally ``archive!member``) is unusable, or ``None``."""
    if not path:
        return "path is empty"
    outer, sep, inner = path.partition("!")
    if not outer.startswith("/"):
        return f"path {path!r} must be absolute (start with '/')"
    if sep and not inner:
        return f"path {path!r} names an archive but no member after '!'"
    if "!" in inner:
        return f"path {path!r} has more than one '!' (nested archives are not supported)"
    for part in (outer, inner):
        if ".." in part.split("/"):
            return f"path {path!r} must not contain '..'"
    return None


def _validate_records(records: list[dict[str, str]], source: str,
                      lines: list[int] | None = None) -> pd.DataFrame:
    """Validate manifest rows; return them as a typed frame with a ``row`` column.

    Raises :class:`ManifestError` listing every bad row (number, line, value).
    """
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    versions: dict[str, tuple[str, int]] = {}
    out: list[dict[str, object]] = []
    for i, rec in enumerate(records, start=1):
        where = f"row {i}" + (f" (line {lines[i - 1]})" if lines else "")
        rec = {k: ("" if v is None else str(v).strip()) for k, v in rec.items()}
        row_problems: list[str] = []
        label = _canonical_label(rec["label"])
        if label is None:
            row_problems.append(f"label {rec['label']!r} is not one of {', '.join(LABELS)}")
        if not _PACKAGE_RE.match(rec["package"]):
            row_problems.append(f"package {rec['package']!r} is not a Debian package name")
        if not _VERSION_RE.match(rec["version"]):
            row_problems.append(f"version {rec['version']!r} is not a Debian version")
        path_problem = _check_path(rec["path"])
        if path_problem:
            row_problems.append(path_problem)
        try:
            duration = float(rec["duration_s"])
            if not np.isfinite(duration) or duration <= 0:
                raise ValueError
        except ValueError:
            row_problems.append(f"duration_s {rec['duration_s']!r} is not a positive number")
            duration = float("nan")
        key = (rec["package"], rec["path"])
        if key in seen and not path_problem:
            row_problems.append(f"duplicate of row {seen[key]} ({rec['package']} {rec['path']})")
        seen.setdefault(key, i)
        first = versions.setdefault(rec["package"], (rec["version"], i))
        if first[0] != rec["version"]:
            row_problems.append(f"version {rec['version']!r} differs from {first[0]!r} "
                                f"given for {rec['package']} in row {first[1]}")
        problems.extend(f"{where}: {p}" for p in row_problems)
        out.append({**rec, "label": label or rec["label"], "duration_s": duration, "row": i})
    if problems:
        raise ManifestError(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    if not out:
        raise ManifestError(f"{source}: no rows")
    columns = ["row", *MANIFEST_COLUMNS]
    extra = [c for c in out[0] if c not in columns]
    return pd.DataFrame(out, columns=columns + extra)


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate a benchmark manifest CSV.

    Checks that every column of :data:`MANIFEST_COLUMNS` is there, that each
    label is one of :data:`LABELS` (case-insensitive; written back canonical),
    that packages, versions and paths are well formed, that ``duration_s`` is
    a positive number, that a package has one version throughout and that no
    (package, path) appears twice. An empty ``version`` means "whatever apt
    offers".

    Returns one row per recording, with a 1-based ``row`` column (data row
    number in the file) in front. Raises :class:`ManifestError` naming the
    file, and for bad rows the row, line and offending value.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = [c.strip() for c in (reader.fieldnames or [])]
            missing = [c for c in MANIFEST_COLUMNS if c not in header]
            if missing:
                raise ManifestError(
                    f"{path}: missing column(s) {', '.join(missing)} (found: {', '.join(header) or 'none'})")
            reader.fieldnames = header
            records: list[dict[str, str]] = []
            lines: list[int] = []
            for rec in reader:
                if None in rec:  # more fields than header columns
                    raise ManifestError(
                        f"{path}: row {len(records) + 1} (line {reader.line_num}): "
                        f"{len(header) + len(rec[None])} fields, header has {len(header)}")
                rec.pop(None, None)
                if not any((v or "").strip() for v in rec.values()):
                    continue  # blank line
                records.append(rec)
                lines.append(reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc})") from exc
    return _validate_records(records, str(path), lines)


def _as_manifest(manifest: pd.DataFrame | str | os.PathLike) -> pd.DataFrame:
    """A validated manifest frame from a path or an (already read) frame."""
    if isinstance(manifest, pd.DataFrame):
        missing = [c for c in MANIFEST_COLUMNS if c not in manifest.columns]
        if missing:
            raise ManifestError(f"manifest frame: missing column(s) {', '.join(missing)}")
        keep = [*MANIFEST_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in manifest.columns)]
        records = manifest[keep].astype(str).to_dict("records")
        frame = _validate_records(records, "manifest frame")
        if "row" in manifest.columns:
            frame["row"] = manifest["row"].astype(int).to_numpy()
        return frame
    return read_manifest(manifest)


def manifest_dir() -> Path:
    """Where the shipped manifests live (``helpers/resources/realbench``)."""
    return Path(str(resources.files("helpers") / "resources" / "realbench"))


def shipped_manifests() -> list[str]:
    """Names of the shipped manifests (``shared-dev``, ``dev``, ...)."""
    folder = manifest_dir()
    return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []


def resolve_manifest(value: str | os.PathLike | None = None) -> Path:
    """A manifest path from a path, a shipped name, or ``None`` (``dev`` when
    shipped, else ``shared-dev``). Raises :class:`ManifestError` listing the
    shipped names when ``value`` is neither a file nor one of them."""
    folder = manifest_dir()
    if value is None:
        value = "dev" if (folder / "dev.csv").is_file() else "shared-dev"
    path = Path(os.path.expanduser(str(value)))
    if path.is_file():
        return path
    for candidate in (folder / f"{value}.csv", folder / str(value)):
        if candidate.is_file():
            return candidate
    raise ManifestError(f"no manifest {str(value)!r}: not a file, and not a shipped name "
                        f"({', '.join(shipped_manifests()) or 'none'} in {folder})")


def _slugify(text: str) -> str:
    """Lower-case ASCII words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "track"


def track_name(package: str, path: str) -> str:
    """A recording's own name: its file name without extension or, for a stem
    pack's ``song.ogg``, the name of its folder (the song title)."""
    member = path.split("!")[-1]
    name = posixpath.splitext(posixpath.basename(member))[0]
    if package.startswith(STEM_PACKAGE_PREFIX) and posixpath.basename(member) == "song.ogg":
        name = posixpath.basename(posixpath.dirname(member)) or name
    return name


def track_slug(package: str, path: str) -> str:
    """File stem for a recording: ``<package>--<name>`` (see :func:`track_name`), slugified."""
    return f"{_slugify(package)}--{_slugify(track_name(package, path))}"


def _out_names(manifest: pd.DataFrame) -> list[str]:
    """Relative output paths ``<Label>/<slug>.flac``, made unique if slugs collide."""
    names: list[str] = []
    used: set[str] = set()
    for rec in manifest.itertuples(index=False):
        name = f"{rec.label}/{track_slug(rec.package, rec.path)}.flac"
        if name in used:
            digest = hashlib.sha1(f"{rec.package}\0{rec.path}".encode()).hexdigest()[:8]
            name = name[:-len(".flac")] + f"-{digest}.flac"
        used.add(name)
        names.append(name)
    return names
