"""The module tempo manifest: its columns, the packages it must never use, reading and
validating it, and the shipped ones (``helpers/resources/modules/<name>.csv``)."""

from __future__ import annotations

import csv
import math
import os
import posixpath
import re
from importlib import resources
from pathlib import Path

import pandas as pd

from ...errors import SynthMIRError
# RESERVED_PACKAGES: the one list of packages every fetcher refuses (re-exported)
from ..debian.common import _PACKAGE_RE, _VERSION_RE, RESERVED_PACKAGES  # noqa: F401

#: File name endings looked at as tracker modules (what libopenmpt reads; the benchmark's
#: are .mod, .xm, .it and .s3m).
MODULE_EXTENSIONS: tuple[str, ...] = (
    "mod", "xm", "it", "s3m", "mptm", "stm", "669", "mtm", "med", "okt", "far", "ult", "amf",
    "dsm", "umx", "mo3", "ptm", "psm", "mdl", "dbm", "gdm", "imf", "j2b", "mt2", "ams",
)
#: Columns of a manifest, in order.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "package", "version", "path", "track_id", "tempo_bpm", "tempo_value", "speed", "rows_per_beat",
    "rows_per_beat_stated", "constant_share", "clip_share", "row_rate_bpm", "duration_s", "format",
    "title", "sha1", "note",
)
#: The columns that must hold numbers, with their allowed range.
NUMERIC_COLUMNS: dict[str, tuple[float, float]] = {
    "tempo_bpm": (40.0, 250.0), "tempo_value": (1.0, 1000.0), "speed": (1.0, 255.0),
    "rows_per_beat": (1.0, 64.0), "rows_per_beat_stated": (1.0, 64.0), "constant_share": (0.0, 1.0),
    "clip_share": (0.0, 1.0), "row_rate_bpm": (0.0, 2000.0), "duration_s": (0.0, 36000.0),
}
_TRACK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")


class ManifestError(SynthMIRError, ValueError):
    """A manifest that cannot be used; the message names the file, row and value."""


def is_module_path(path: str) -> bool:
    """True for a file name ending in one of :data:`MODULE_EXTENSIONS` (any case), or an
    Amiga-style ``mod.<name>``."""
    name = posixpath.basename(path).lower()
    ext = name.rpartition(".")[2] if "." in name else ""
    return ext in MODULE_EXTENSIONS or name.startswith("mod.")


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "track"


def track_id_for(package: str, path: str) -> str:
    """``<package>--<file name without extension>``, slugified."""
    stem = posixpath.basename(path)
    if "." in stem and not stem.lower().startswith("mod."):
        stem = stem.rsplit(".", 1)[0]
    return f"{slugify(package)}--{slugify(stem)}"


def check_rows(records: list[dict[str, str]], source: str, lines: list[int] | None = None) -> pd.DataFrame:
    """Validate manifest rows; return a typed frame (a 1-based ``row`` column in front).

    Raises :class:`ManifestError` listing every problem with its row, line and value: a
    reserved package, a malformed package, version or path, a number out of range, a
    duplicate track id or (package, path), two versions of one package.
    """
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_paths: dict[tuple[str, str], int] = {}
    versions: dict[str, tuple[str, int]] = {}
    out = []
    for i, raw in enumerate(records, start=1):
        where = f"row {i}" + (f" (line {lines[i - 1]})" if lines else "")
        rec = {k: ("" if v is None else str(v).strip()) for k, v in raw.items()}
        bad: list[str] = []
        pkg = rec.get("package", "")
        if pkg in RESERVED_PACKAGES:
            bad.append(f"package {pkg!r} is reserved and must not be used")
        if not _PACKAGE_RE.match(pkg):
            bad.append(f"package {pkg!r} is not a Debian package name")
        if not _VERSION_RE.match(rec.get("version", "")) or not rec.get("version"):
            bad.append(f"version {rec.get('version')!r} is not a Debian version")
        path = rec.get("path", "")
        if not path.startswith("/") or ".." in path.split("/"):
            bad.append(f"path {path!r} must be absolute, without '..'")
        elif not is_module_path(path):
            bad.append(f"path {path!r} does not name a tracker module ({', '.join(MODULE_EXTENSIONS[:4])}, ...)")
        tid = rec.get("track_id", "")
        if not _TRACK_ID_RE.match(tid):
            bad.append(f"track_id {tid!r} is not a slug (a-z, 0-9, '-')")
        elif tid in seen_ids:
            bad.append(f"track_id {tid!r} repeats row {seen_ids[tid]}")
        seen_ids.setdefault(tid, i)
        if (pkg, path) in seen_paths:
            bad.append(f"{pkg} {path} repeats row {seen_paths[(pkg, path)]}")
        seen_paths.setdefault((pkg, path), i)
        first = versions.setdefault(pkg, (rec.get("version", ""), i))
        if first[0] != rec.get("version", ""):
            bad.append(f"version {rec.get('version')!r} differs from {first[0]!r} given for {pkg} in row {first[1]}")
        values: dict[str, float] = {}
        for col, (low, high) in NUMERIC_COLUMNS.items():
            try:
                v = float(rec.get(col, ""))
            except ValueError:
                bad.append(f"{col} {rec.get(col)!r} is not a number")
                continue
            if not math.isfinite(v) or not low <= v <= high:
                bad.append(f"{col} {rec.get(col)!r} is outside {low:g} to {high:g}")
            values[col] = v
        if rec.get("sha1") and not _SHA1_RE.match(rec["sha1"]):
            bad.append(f"sha1 {rec['sha1']!r} is not 40 hex digits")
        if {"tempo_bpm", "tempo_value", "speed", "rows_per_beat"} <= values.keys():
            expect = values["tempo_value"] * 6 / values["speed"] * 4 / values["rows_per_beat"]
            if abs(expect - values["tempo_bpm"]) > 0.005 * expect:
                bad.append(f"tempo_bpm {values['tempo_bpm']:g} is not tempo_value*6/speed*4/rows_per_beat "
                           f"= {expect:.3f}")
        problems.extend(f"{where}: {p}" for p in bad)
        out.append({**rec, **values, "row": i})
    if problems:
        raise ManifestError(f"{source}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))
    if not out:
        raise ManifestError(f"{source}: no rows")
    frame = pd.DataFrame(out)
    return frame[["row", *MANIFEST_COLUMNS, *(c for c in frame.columns if c not in MANIFEST_COLUMNS and c != "row")]]


def read_manifest(path: str | os.PathLike) -> pd.DataFrame:
    """Read and validate a module tempo manifest CSV (see :func:`check_rows`)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = [c.strip() for c in (reader.fieldnames or [])]
            missing = [c for c in MANIFEST_COLUMNS if c not in header]
            if missing:
                raise ManifestError(f"{path}: missing column(s) {', '.join(missing)} "
                                    f"(found: {', '.join(header) or 'none'})")
            reader.fieldnames = header
            records, lines = [], []
            for rec in reader:
                if None in rec:
                    raise ManifestError(f"{path}: row {len(records) + 1} (line {reader.line_num}): "
                                        f"{len(header) + len(rec[None])} fields, header has {len(header)}")
                if not any((v or "").strip() for v in rec.values()):
                    continue
                records.append(rec)
                lines.append(reader.line_num)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"{path}: cannot read manifest ({exc})") from exc
    return check_rows(records, str(path), lines)


def manifest_dir() -> Path:
    """Where the shipped manifests live (``helpers/resources/modules``)."""
    return Path(str(resources.files("helpers") / "resources" / "modules"))


def shipped_manifests() -> list[str]:
    folder = manifest_dir()
    return sorted(p.stem for p in folder.glob("*.csv")) if folder.is_dir() else []


def resolve_manifest(value: str | os.PathLike | None = None) -> Path:
    """A manifest path from a path or a shipped name (default ``tempo``)."""
    value = "tempo" if value is None else value
    path = Path(os.path.expanduser(str(value)))
    if path.is_file():
        return path
    candidate = manifest_dir() / f"{value}.csv"
    if candidate.is_file():
        return candidate
    raise ManifestError(f"no manifest {str(value)!r}: not a file, and not a shipped name "
                        f"({', '.join(shipped_manifests()) or 'none'} in {manifest_dir()})")
