"""The Debian-packaged development benchmark: fetch it (opt-in), and read it.

The benchmark is described by a manifest CSV; the project ships them in
``helpers/resources/realbench/<name>.csv`` (``shared-dev``: 23 recordings;
``dev`` where present). One row per recording names the Debian package, its
version and the path of the OGG file inside it. A path written
``archive.pk3!inner/path`` is a member of a zip archive shipped in the
package. Frets on Fire song packs (``fretsonfire-songs-*``) keep the lead
guitar in a sibling ``guitar.ogg`` (sometimes also ``rhythm.ogg``); those
stems are mixed with ``song.ogg``.

Nothing is installed into the system: packages are fetched with
``apt-get download`` into a cache folder (reused between runs), with apt's
package lists kept in that cache too, and only the needed members are read
out of ``dpkg-deb --fsys-tarfile``. Each recording is decoded, mixed when it
has stems, made mono, resampled to 32 kHz with soxr and written as FLAC to
``<out>/<Label>/<slug>.flac``; ``<out>/labels.csv`` lists what is there.

The fetch is idempotent and resumable: a FLAC that is already present and
valid (32 kHz, mono, provenance tag matching its manifest row) is kept, files
are written to a temporary name and renamed, and a package that cannot be
downloaded or a member that is missing becomes a listed skip, never an abort.

Command line (``--manifest`` takes a shipped name or a path; by default
``dev`` when shipped, else ``shared-dev``)::

    python -m helpers.realbench --out data/realbench-dev [--manifest shared-dev] [--cache DIR]

The fetched folder is read by :class:`DebianReader` (``real_data:
debian:<out>``, or the plain folder path): labels from ``labels.csv``,
``group`` = the package, since several tracks of one package share an artist.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import fcntl
import hashlib
import json
import logging
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from helpers.audio import load_audio, resample

from .base import BenchmarkError, Reader, read_delimited

logger = logging.getLogger(__name__)

#: Genre labels, canonical spelling. Manifest labels match case-insensitively.
LABELS: tuple[str, ...] = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")
#: Columns a manifest must have.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "package", "version", "path", "duration_s", "label", "confidence", "evidence", "license",
)
#: Columns of ``<out>/labels.csv``.
LABELS_COLUMNS: tuple[str, ...] = (
    "path", "label", "package", "version", "source_path", "duration_s", "license", "confidence",
)
#: Optional manifest columns copied into ``labels.csv`` (after :data:`LABELS_COLUMNS`)
#: when the manifest has them; ``group`` names the artist or package, for splits.
OPTIONAL_COLUMNS: tuple[str, ...] = ("group",)
#: Columns of the report returned by :func:`fetch_benchmark`.
REPORT_COLUMNS: tuple[str, ...] = (
    "row", "package", "version", "path", "label", "out_path", "status", "reason", "duration_s",
)
#: Sample rate of the written FLAC files.
TARGET_SR = 32_000
#: Peak ceiling (about -0.1 dBFS): louder audio is scaled down to it, never up.
PEAK_CEILING = 0.99
#: Packages whose ``song.ogg`` has sibling stems to mix in.
STEM_PACKAGE_PREFIX = "fretsonfire-songs-"
#: Stems mixed with a Frets on Fire ``song.ogg``; the first one is required.
STEM_NAMES: tuple[str, ...] = ("guitar.ogg", "rhythm.ogg")
#: A duration further than this from the manifest's (seconds, or fraction) is logged.
DURATION_TOLERANCE = (1.0, 0.02)

_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9.+~:-]*$")
_APT_TIMEOUT_S = 1800


class ManifestError(ValueError):
    """A manifest that cannot be used (unreadable, missing columns, bad rows)."""


class FetchError(RuntimeError):
    """A package that cannot be downloaded or read; its rows are skipped."""


class MemberMissing(FetchError):
    """A path (or zip member, or required stem) that is not in the package."""


# --- manifest -----------------------------------------------------------------


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


# --- naming and provenance ------------------------------------------------------


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


def _provenance(path: Path) -> dict[str, str] | None:
    """The provenance tag written into a FLAC's comment, or ``None``."""
    try:
        with sf.SoundFile(str(path)) as fh:
            tag = json.loads(fh.comment or "null")
    except Exception:
        return None
    return tag if isinstance(tag, dict) else None


def flac_is_valid(path: str | os.PathLike, package: str | None = None,
                  source_path: str | None = None) -> bool:
    """True when ``path`` is a readable, non-empty mono FLAC at :data:`TARGET_SR`.

    With ``package``/``source_path`` given, its provenance tag must match too,
    so a file left by another manifest row is not mistaken for this one.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        info = sf.info(str(path))
    except Exception:
        return False
    if info.format != "FLAC" or info.samplerate != TARGET_SR or info.channels != 1 or info.frames <= 0:
        return False
    if package is None and source_path is None:
        return True
    tag = _provenance(path) or {}
    return (package is None or tag.get("package") == package) and (
        source_path is None or tag.get("source_path") == source_path)


# --- apt ------------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = _APT_TIMEOUT_S
         ) -> subprocess.CompletedProcess[str]:
    """Run a command with captured text output (C locale, no prompts)."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "DEBIAN_FRONTEND": "noninteractive"}
    logger.debug("running %s", " ".join(cmd))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _apt_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The most telling line of a failed apt run."""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("E:")]
    return (errors or lines or [f"exit status {proc.returncode}"])[-1]


@dataclass
class AptLists:
    """apt package lists for downloads: private under ``cache_dir`` when possible.

    The first call of :meth:`options` runs ``apt-get update`` with
    ``Dir::State::Lists`` and ``Dir::Cache`` pointing into the cache, so the
    system's lists are left alone. If that fails, the system lists are used,
    but only after a plain ``apt-get update`` succeeded (logged as a warning).
    """

    cache_dir: Path
    _options: list[str] | None = field(default=None, init=False)
    _error: str | None = field(default=None, init=False)
    private: bool = field(default=False, init=False)

    def options(self) -> list[str]:
        """The ``-o`` options for apt-get; updates the lists once per instance."""
        if self._options is not None:
            return self._options
        if self._error is not None:
            raise FetchError(self._error)
        lists = self.cache_dir / "apt" / "lists"
        cache = self.cache_dir / "apt" / "cache"
        (lists / "partial").mkdir(parents=True, exist_ok=True)
        (cache / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        private = ["-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache={cache}"]
        logger.info("updating private apt package lists in %s", lists)
        proc = _run(["apt-get", "-q", *private, "update"])
        if proc.returncode == 0:
            self._options, self.private = private, True
            return private
        logger.warning("private apt lists failed (%s); falling back to the system lists "
                       "after a plain 'apt-get update'", _apt_error(proc))
        proc = _run(["apt-get", "-q", "update"])
        if proc.returncode == 0:
            logger.warning("using the SYSTEM apt package lists (apt-get update succeeded)")
            self._options = []
            return self._options
        self._error = (f"apt package lists unavailable: private update and system update "
                       f"both failed ({_apt_error(proc)})")
        raise FetchError(self._error)


def deb_fields(deb: str | os.PathLike) -> dict[str, str]:
    """``Package`` and ``Version`` from a .deb's control file (via dpkg-deb)."""
    proc = _run(["dpkg-deb", "--field", str(deb), "Package", "Version"], timeout=120)
    if proc.returncode != 0:
        raise FetchError(f"{deb}: not a readable .deb ({proc.stderr.strip()})")
    fields = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _cached_debs(debs_dir: Path, package: str) -> Iterator[tuple[Path, str]]:
    """``(path, version)`` of cached .debs of ``package``, newest file first."""
    found = sorted(debs_dir.glob(f"{package}_*.deb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for deb in found:
        try:
            fields = deb_fields(deb)
        except FetchError as exc:
            logger.warning("ignoring unreadable cached %s (%s)", deb.name, exc)
            continue
        if fields.get("Package") == package:
            yield deb, fields.get("Version", "")


def _apt_download(package: str, version: str, debs_dir: Path, apt: AptLists) -> Path:
    """``apt-get download package[=version]`` into ``debs_dir``, atomically."""
    spec = f"{package}={version}" if version else package
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=debs_dir))
    try:
        proc = _run(["apt-get", "-q", *apt.options(), "download", spec], cwd=tmp)
        for line in proc.stderr.splitlines():
            if line.startswith("W:"):
                logger.debug("apt: %s", line)
        got = sorted(tmp.glob("*.deb"))
        if proc.returncode != 0 or not got:
            raise FetchError(f"apt-get download {spec} failed: {_apt_error(proc)}")
        target = debs_dir / got[0].name
        os.replace(got[0], target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def download_deb(package: str, version: str, cache_dir: str | os.PathLike,
                 apt: AptLists | None = None) -> Path:
    """A .deb of ``package`` in ``<cache_dir>/debs``, downloading it if needed.

    Preference: the exact ``version`` already cached; ``apt-get download
    package=version``; the version apt offers (logged); any cached version.
    An empty ``version`` takes whatever is cached, else what apt offers.
    Raises :class:`FetchError` when none of these works.
    """
    debs_dir = Path(cache_dir) / "debs"
    debs_dir.mkdir(parents=True, exist_ok=True)
    cached = list(_cached_debs(debs_dir, package))
    for deb, cached_version in cached:
        if not version or cached_version == version:
            logger.debug("using cached %s", deb.name)
            return deb
    apt = apt or AptLists(Path(cache_dir))
    errors: list[str] = []
    for spec_version in ([version, ""] if version else [""]):
        try:
            deb = _apt_download(package, spec_version, debs_dir, apt)
        except FetchError as exc:
            errors.append(str(exc))
            continue
        logger.info("downloaded %s", deb.name)
        return deb
    if cached:
        logger.warning("%s=%s not downloadable (%s); using cached %s", package, version,
                       errors[-1], cached[0][0].name)
        return cached[0][0]
    raise FetchError("; ".join(dict.fromkeys(errors)))


# --- extraction -------------------------------------------------------------------


def _norm_member(name: str) -> str:
    """A tar member name (``./usr/x``) or package path (``/usr/x``) as ``/usr/x``."""
    if name.startswith("./"):
        name = name[2:]
    return posixpath.normpath("/" + name.lstrip("/"))


def _member_file(dest: Path, member: str) -> Path:
    """Where an extracted member is stored under ``dest``."""
    return dest.joinpath(*[p for p in member.split("/") if p])


def extract_members(deb: str | os.PathLike, members: Iterable[str], dest: str | os.PathLike
                    ) -> dict[str, Path]:
    """Extract the regular files ``members`` (paths inside the package) from ``deb``.

    Streams ``dpkg-deb --fsys-tarfile`` through :mod:`tarfile`, writing only
    the wanted members under ``dest`` (symbolic and hard links inside the
    package are followed). Returns ``{member: extracted file}`` for the
    members found; missing ones are simply absent. Raises :class:`FetchError`
    when the package cannot be read.
    """
    dest = Path(dest)
    wanted = {_norm_member(m) for m in members}
    found: dict[str, Path] = {}
    aliases: dict[str, str] = {}  # link -> target, both normalised
    pending = set(wanted)
    for _ in range(8):  # passes; more than one only when links point to other members
        if not pending:
            break
        links = _extract_pass(Path(deb), pending, dest, found)
        aliases.update(links)
        pending = {t for t in links.values() if t not in found and t not in aliases}
    result: dict[str, Path] = {}
    for member in wanted:
        name, hops = member, 0
        while name in aliases and hops < 16:
            name, hops = aliases[name], hops + 1
        if name in found:
            result[member] = found[name]
    return result


def _extract_pass(deb: Path, pending: set[str], dest: Path, found: dict[str, Path]
                  ) -> dict[str, str]:
    """One streaming pass over the data tarball; returns links met ``{link: target}``."""
    links: dict[str, str] = {}
    remaining = set(pending)
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                                stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        consumed = False  # whole stream read: dpkg-deb's exit status then counts
        failure: Exception | None = None
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for info in tar:
                    name = _norm_member(info.name)
                    if name not in remaining:
                        continue
                    remaining.discard(name)
                    if info.isreg():
                        target = _member_file(dest, name)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        src = tar.extractfile(info)
                        assert src is not None
                        with src, open(target, "wb") as out:
                            shutil.copyfileobj(src, out, 1 << 20)
                        found[name] = target
                    elif info.issym():
                        base = posixpath.dirname(name)
                        links[name] = _norm_member(info.linkname if info.linkname.startswith("/")
                                                   else posixpath.join(base, info.linkname))
                    elif info.islnk():
                        links[name] = _norm_member(info.linkname)
                    if not remaining:
                        break  # all found: stop reading, dpkg-deb is killed below
                else:
                    while proc.stdout.read(1 << 16):  # drain trailing padding
                        pass
                    consumed = True
        except tarfile.TarError as exc:
            failure = exc
        finally:
            if not consumed:
                proc.stdout.close()
                proc.kill()
            proc.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if failure is not None:
        raise FetchError(f"{deb.name}: cannot read data archive ({message or failure})") from failure
    if consumed and proc.returncode != 0:
        raise FetchError(f"{deb.name}: dpkg-deb --fsys-tarfile failed ({message})")
    return links


def _extract_zip_member(archive: Path, member: str, dest: Path) -> Path:
    """Copy ``member`` of the zip ``archive`` to a file under ``dest``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            try:
                info = zf.getinfo(member)
            except KeyError:
                raise MemberMissing(f"{member} not found in {archive.name}") from None
            target = _member_file(dest / f"{archive.name}.d", member)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            return target
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{archive.name}: not a readable zip archive ({exc})") from exc


def _stem_members(package: str, path: str) -> list[str]:
    """Sibling stems to extract with a stem pack's ``song.ogg`` (else none)."""
    if "!" in path or not package.startswith(STEM_PACKAGE_PREFIX):
        return []
    if posixpath.basename(path) != "song.ogg":
        return []
    folder = posixpath.dirname(path)
    return [posixpath.join(folder, name) for name in STEM_NAMES]


# --- audio ------------------------------------------------------------------------


def peak_limit(audio: np.ndarray, ceiling: float = PEAK_CEILING) -> np.ndarray:
    """Scale ``audio`` down so its peak is ``ceiling`` if it is above it (never up)."""
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > ceiling:
        audio = audio * np.float32(ceiling / peak)
    return audio.astype(np.float32)


def mix_stems(stems: list[tuple[np.ndarray, int]], sr: int = TARGET_SR) -> np.ndarray:
    """Mix mono stems ``[(audio, rate), ...]`` at ``sr``: resample, zero-pad, sum, peak-limit."""
    if not stems:
        raise ValueError("no stems to mix")
    parts = [resample(audio, rate, sr) for audio, rate in stems]
    n = max(len(p) for p in parts)
    mix = np.zeros(n, dtype=np.float64)
    for part in parts:
        mix[:len(part)] += part
    return peak_limit(mix.astype(np.float32))


def _publish(tmp: str | os.PathLike, target: Path) -> None:
    """Give ``tmp`` the usual permissions (0666 less umask; mkstemp makes 0600), rename it."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)


def write_flac_atomic(path: str | os.PathLike, audio: np.ndarray, sr: int,
                      tags: dict[str, str] | None = None) -> Path:
    """Write 16-bit FLAC so ``path`` is either absent or complete.

    Data goes to a hidden ``.flac.part`` file in the same folder (not matched
    by ``*.flac``), is flushed, then renamed over ``path``. ``tags`` may set
    ``title``, ``artist``, ``genre``, ``comment`` (Vorbis comments).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".flac.part", dir=path.parent)
    os.close(fd)
    try:
        with sf.SoundFile(tmp, "w", samplerate=sr, channels=1, subtype="PCM_16", format="FLAC") as fh:
            for key, value in (tags or {}).items():
                setattr(fh, key, value)
            fh.write(np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _render(files: list[Path]) -> np.ndarray:
    """Decode the files (soundfile, librosa fallback), mix, mono, 32 kHz, peak-limited."""
    stems = [load_audio(f) for f in files]
    return mix_stems(stems, TARGET_SR)


# --- fetch ------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (one fetch at a time per folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".realbench.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"{folder} is in use by another realbench fetch") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/synthmir/realbench`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthmir" / "realbench"


def _write_labels(out_dir: Path, rows: list[dict[str, object]],
                  columns: Iterable[str] = LABELS_COLUMNS) -> Path:
    """Write ``labels.csv`` atomically."""
    target = out_dir / "labels.csv"
    fd, tmp = tempfile.mkstemp(prefix=".labels.", suffix=".csv.part", dir=out_dir)
    os.close(fd)
    try:
        pd.DataFrame(rows, columns=list(columns)).to_csv(tmp, index=False)
        _publish(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _duration_note(duration: float, expected: float) -> str:
    """A note when ``duration`` is far from the manifest's ``expected``, else ''."""
    abs_tol, rel_tol = DURATION_TOLERANCE
    if np.isfinite(expected) and abs(duration - expected) > max(abs_tol, rel_tol * expected):
        return f"; duration {duration:.1f} s differs from manifest {expected:.1f} s"
    return ""


def _process_package(package: str, rows: pd.DataFrame, out_dir: Path, cache_dir: Path,
                     apt: AptLists, report: dict[int, dict[str, object]], bar: tqdm) -> None:
    """Download one package, extract its rows' members and write their FLACs."""
    requested = str(rows["version"].iloc[0])  # one version per package (validated)
    try:
        deb = download_deb(package, requested, cache_dir, apt)
        used = deb_fields(deb).get("Version", requested)
    except FetchError as exc:
        for rec in rows.itertuples(index=False):
            report[rec.row].update(status="skipped", reason=f"package not downloaded: {exc}")
            logger.warning("skip row %d %s %s: package not downloaded: %s",
                           rec.row, package, rec.path, exc)
            bar.update(1)
        return
    if requested and used != requested:
        logger.warning("%s: version %s not available, used %s", package, requested, used)
    members: set[str] = set()
    for rec in rows.itertuples(index=False):
        members.add(rec.path.partition("!")[0])
        members.update(_stem_members(package, rec.path))
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=cache_dir) as tmp:
        work = Path(tmp)
        try:
            files = extract_members(deb, members, work)
        except FetchError as exc:
            exc = FetchError(f"{exc}; delete {deb} to download it again")
            for rec in rows.itertuples(index=False):
                report[rec.row].update(status="failed", version=used, reason=str(exc))
                logger.error("row %d %s %s: %s", rec.row, package, rec.path, exc)
                bar.update(1)
            return
        for rec in rows.itertuples(index=False):
            entry = report[rec.row]
            entry["version"] = used
            note = "" if used == rec.version or not rec.version else \
                f"; version {used} used instead of {rec.version}"
            try:
                sources = _sources_for(package, rec.path, files, work, deb.name)
                audio = _render(sources)
                duration = len(audio) / TARGET_SR
                tags = {
                    "title": track_name(package, rec.path),
                    "genre": rec.label,
                    "comment": json.dumps({"package": package, "version": used,
                                           "source_path": rec.path, "license": rec.license}),
                }
                write_flac_atomic(out_dir / entry["out_path"], audio, TARGET_SR, tags)
                stems = f" (mixed {len(sources)} stems)" if len(sources) > 1 else ""
                extra = _duration_note(duration, rec.duration_s)
                if extra:
                    logger.warning("row %d %s%s", rec.row, rec.path, extra)
                entry.update(status="ok", reason=f"fetched{stems}{note}{extra}",
                             duration_s=round(duration, 3))
            except MemberMissing as exc:
                entry.update(status="skipped", reason=f"member missing: {exc}")
                logger.warning("skip row %d %s %s: member missing: %s", rec.row, package, rec.path, exc)
            except Exception as exc:  # one bad recording must not stop the fetch
                entry.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
                logger.error("row %d %s %s failed: %s", rec.row, package, rec.path, exc,
                             exc_info=logger.isEnabledFor(logging.DEBUG))
            bar.update(1)


def _sources_for(package: str, path: str, files: dict[str, Path], work: Path, deb_name: str
                 ) -> list[Path]:
    """The extracted audio file(s) of one manifest path; raises :class:`MemberMissing`."""
    outer, _, inner = path.partition("!")
    outer = _norm_member(outer)
    if outer not in files:
        raise MemberMissing(f"{outer} not found in {deb_name}")
    if inner:
        return [_extract_zip_member(files[outer], inner, work)]
    sources = [files[outer]]
    for i, stem in enumerate(_stem_members(package, path)):
        if _norm_member(stem) in files:
            sources.append(files[_norm_member(stem)])
        elif i == 0:  # the lead-guitar stem is part of the recording
            raise MemberMissing(f"stem {stem} (to mix with song.ogg) not found in {deb_name}")
    return sources


def fetch_benchmark(manifest: pd.DataFrame | str | os.PathLike, out_dir: str | os.PathLike,
                    cache_dir: str | os.PathLike | None = None, progress: bool = True
                    ) -> pd.DataFrame:
    """Fetch the recordings of ``manifest`` into ``out_dir`` as 32 kHz mono FLAC.

    ``manifest`` is a path (read with :func:`read_manifest`) or a frame it
    returned. Files go to ``<out_dir>/<Label>/<slug>.flac`` and
    ``<out_dir>/labels.csv`` lists every recording present (columns
    :data:`LABELS_COLUMNS`, then those of :data:`OPTIONAL_COLUMNS` the
    manifest has, ``path`` relative to ``out_dir``). Downloaded
    .debs and apt's private lists are kept in ``cache_dir`` (default
    :func:`default_cache_dir`) for later runs.

    Files already present and valid are kept (reason "already present");
    packages that cannot be downloaded and missing members are skipped, and a
    recording that cannot be decoded fails, without stopping the others.

    Returns a report, one row per manifest row (columns :data:`REPORT_COLUMNS`;
    ``status`` is ok, skipped or failed, ``reason`` says why).
    """
    started = time.monotonic()
    frame = _as_manifest(manifest)
    out_dir = Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    names = _out_names(frame)
    report: dict[int, dict[str, object]] = {}
    for rec, name in zip(frame.itertuples(index=False), names):
        report[rec.row] = {"row": rec.row, "package": rec.package, "version": rec.version,
                           "path": rec.path, "label": rec.label, "out_path": name,
                           "status": "", "reason": "", "duration_s": float("nan")}
    with _locked(out_dir), _locked(cache_dir):
        for stale in [*out_dir.glob("*/.*.flac.part"), *out_dir.glob(".labels.*.csv.part")]:
            stale.unlink(missing_ok=True)  # left by an interrupted run
        for stale in [*cache_dir.glob(".extract-*"), *cache_dir.glob("debs/.download-*")]:
            shutil.rmtree(stale, ignore_errors=True)
        todo = []
        for rec in frame.itertuples(index=False):
            entry = report[rec.row]
            target = out_dir / str(entry["out_path"])
            if flac_is_valid(target, rec.package, rec.path):
                tag = _provenance(target) or {}
                entry.update(status="ok", reason="already present",
                             version=tag.get("version") or rec.version,
                             duration_s=round(sf.info(str(target)).frames / TARGET_SR, 3))
            else:
                todo.append(rec.row)
        logger.info("%d recording(s) in manifest, %d already present, %d to fetch",
                    len(frame), len(frame) - len(todo), len(todo))
        apt = AptLists(cache_dir)
        pending = frame[frame["row"].isin(todo)]
        with tqdm(total=len(pending), desc="realbench", unit="track", disable=not progress) as bar:
            for package, rows in pending.groupby("package", sort=False):
                bar.set_postfix_str(str(package))
                _process_package(str(package), rows, out_dir, cache_dir, apt, report, bar)
        labels = []
        optional = [c for c in OPTIONAL_COLUMNS if c in frame.columns]
        for rec in frame.itertuples(index=False):
            entry = report[rec.row]
            if entry["status"] == "ok":
                labels.append({"path": entry["out_path"], "label": rec.label, "package": rec.package,
                               "version": entry["version"], "source_path": rec.path,
                               "duration_s": entry["duration_s"], "license": rec.license,
                               "confidence": rec.confidence,
                               **{c: getattr(rec, c) for c in optional}})
        _write_labels(out_dir, labels, [*LABELS_COLUMNS, *optional])
        listed = {str(e["out_path"]) for e in report.values() if e["status"] == "ok"}
        for extra in sorted(out_dir.glob("*/*.flac")):
            rel = extra.relative_to(out_dir).as_posix()
            if rel not in listed:
                logger.warning("%s is not from this manifest (not in labels.csv)", rel)
    result = pd.DataFrame([report[r] for r in frame["row"]], columns=list(REPORT_COLUMNS))
    _log_summary(result, out_dir, time.monotonic() - started)
    return result


def _log_summary(report: pd.DataFrame, out_dir: Path, elapsed: float) -> None:
    """Log counts per status and label, size on disk, time, and every skip/failure."""
    ok = report[report["status"] == "ok"]
    counts = report["status"].value_counts().to_dict()
    size = sum((out_dir / p).stat().st_size for p in ok["out_path"] if (out_dir / p).is_file())
    fetched = int(ok["reason"].str.startswith("fetched").sum())
    logger.info("realbench: %d ok (%d fetched, %d already present), %d skipped, %d failed "
                "in %.1f s; %.1f MB, %.1f min of audio in %s",
                counts.get("ok", 0), fetched, len(ok) - fetched, counts.get("skipped", 0),
                counts.get("failed", 0), elapsed, size / 1e6,
                float(ok["duration_s"].sum()) / 60, out_dir)
    for label in LABELS:
        sub = ok[ok["label"] == label]
        logger.info("  %-11s %2d track(s), %6.1f min", label, len(sub), float(sub["duration_s"].sum()) / 60)
    for rec in report[report["status"] != "ok"].itertuples(index=False):
        logger.warning("  %s: row %d, %s, %s: %s", rec.status, rec.row, rec.package, rec.path, rec.reason)


# --- command line -------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns 0 unless a recording failed (skips are fine)."""
    parser = argparse.ArgumentParser(
        prog="python -m helpers.realbench",
        description="Fetch the real-music development benchmark from Debian packages "
                    "(apt-get download; nothing is installed).")
    parser.add_argument("--manifest", default=None,
                        help="a shipped manifest name (%s) or a manifest CSV; default: dev when shipped, "
                             "else shared-dev" % (", ".join(shipped_manifests()) or "none"))
    parser.add_argument("--out", required=True, type=Path, help="output folder (<Label>/<slug>.flac)")
    parser.add_argument("--cache", type=Path, default=None,
                        help=f"cache for .debs and apt lists (default {default_cache_dir()})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from tqdm.contrib.logging import logging_redirect_tqdm

    try:
        manifest = resolve_manifest(args.manifest)
        logger.info("manifest %s", manifest)
        with logging_redirect_tqdm():
            report = fetch_benchmark(manifest, args.out, args.cache, progress=not args.no_progress)
    except (ManifestError, RuntimeError, OSError) as exc:
        logger.error("%s", exc)
        return 2
    return 1 if (report["status"] == "failed").any() else 0


# --- reading a fetched folder -----------------------------------------------------


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


if __name__ == "__main__":
    sys.exit(main())
