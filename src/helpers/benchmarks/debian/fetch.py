"""The fetch driver: lock the folders, keep what is valid, download, extract
and render the rest package by package, write ``labels.csv``, log a summary;
and the command line (:func:`main`)."""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from .apt import AptLists, deb_fields, download_deb
from .audio import _provenance, _render, flac_is_valid, write_flac_atomic
from .common import (
    DURATION_TOLERANCE,
    LABELS,
    LABELS_COLUMNS,
    OPTIONAL_COLUMNS,
    REPORT_COLUMNS,
    TARGET_SR,
    FetchError,
    ManifestError,
    MemberMissing,
)
from .extract import _extract_zip_member, _norm_member, _stem_members, extract_members
from .manifest import _as_manifest, _out_names, resolve_manifest, shipped_manifests, track_name

logger = logging.getLogger(__package__)  # the package's logger, as before the split


@contextlib.contextmanager
def _locked(folder: Path, name: str = "realbench") -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (one ``name`` fetch at a time per folder; the module
    and key-MIDI fetchers use it too)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{name}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RuntimeError(f"{folder} is in use by another {name} fetch") from None
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
    from ...data import write_csv

    return write_csv(pd.DataFrame(rows, columns=list(columns)), out_dir / "labels.csv")


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
