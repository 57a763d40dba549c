"""The fetch driver: download the manifest's packages (cached), render each module's first
seconds through libopenmpt as 32 kHz mono FLAC, and write ``tracks.csv``.

Idempotent and resumable as the realbench fetch: a FLAC already there whose provenance
tag matches its manifest row (package, path, sha1, seconds) is kept; files are written to
a temporary name and renamed; a package that cannot be downloaded, a member that is
missing or a file that differs from the manifest's sha1 is a listed skip, not an abort.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm.auto import tqdm

from ..debian.apt import AptLists, deb_fields, download_deb
from ..debian.audio import _provenance, flac_is_valid, write_flac_atomic
from ..debian.common import FetchError
from ..debian.extract import extract_members
from .manifest import MANIFEST_COLUMNS, read_manifest
from .openmpt import RENDER_SR, LibOpenMPT, Module, default_cache_dir, load_library

logger = logging.getLogger(__package__)

#: Peak level of the rendered clips: -1 dBFS.
PEAK_DBFS = -1.0
#: Default clip length (seconds from the start).
DEFAULT_SECONDS = 30.0
#: Evidence columns copied from the manifest into ``tracks.csv``.
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "tempo_value", "speed", "rows_per_beat", "rows_per_beat_stated", "constant_share", "clip_share",
    "row_rate_bpm", "duration_s", "format", "title", "note",
)
#: Columns of ``<out>/tracks.csv``: what the ``csv:`` reader of :mod:`helpers.benchmarks.annotated`
#: reads, then the evidence.
TRACKS_COLUMNS: tuple[str, ...] = (
    "track_id", "path", "tempo_bpm", "tempo2_bpm", "tempo_weight", "key", "group", "source", *EVIDENCE_COLUMNS,
)
#: Columns of the report :func:`fetch_modules` returns.
REPORT_COLUMNS: tuple[str, ...] = ("row", "track_id", "package", "path", "status", "reason", "seconds")


def _locked(folder: Path):
    """One modules fetch at a time per folder (the realbench fetch's lock)."""
    from ..debian.fetch import _locked as fetch_lock

    return fetch_lock(folder, "modules")


def peak_normalise(audio: np.ndarray, dbfs: float = PEAK_DBFS) -> np.ndarray:
    """Scale ``audio`` so its peak is ``dbfs`` (up or down); silence raises ValueError."""
    audio = np.asarray(audio, dtype=np.float64)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if not np.isfinite(peak) or peak <= 1e-6:
        raise ValueError("the rendered audio is silent")
    return (audio * (10 ** (dbfs / 20) / peak)).astype(np.float32)


def render_clip(data: bytes, seconds: float, name: str = "<memory>", lib: LibOpenMPT | None = None
                ) -> np.ndarray:
    """The first ``seconds`` of a module (played once, from the start), mono 32 kHz,
    peak-normalised to -1 dBFS."""
    with Module(data, name, lib=lib) as mod:
        audio = mod.render(seconds, RENDER_SR)
    return peak_normalise(audio)


def _tag_matches(path: Path, rec, seconds: float) -> bool:
    if not flac_is_valid(path, rec.package, rec.path):
        return False
    tag = _provenance(path) or {}
    return tag.get("sha1") == rec.sha1 and abs(float(tag.get("seconds", -1)) - seconds) < 1e-6


def _process_package(package: str, rows: pd.DataFrame, out_dir: Path, cache_dir: Path, apt: AptLists,
                     lib: LibOpenMPT, seconds: float, report: dict[int, dict], bar: tqdm) -> None:
    version = str(rows["version"].iloc[0])
    try:
        deb = download_deb(package, version, cache_dir, apt)
        used = deb_fields(deb).get("Version", version)
    except FetchError as exc:
        for rec in rows.itertuples(index=False):
            report[rec.row].update(status="skipped", reason=f"package not downloaded: {exc}")
            logger.warning("skip row %d %s %s: package not downloaded: %s", rec.row, package, rec.path, exc)
            bar.update(1)
        return
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=cache_dir) as tmp:
        try:
            files = extract_members(deb, list(rows["path"]), tmp)
        except FetchError as exc:
            for rec in rows.itertuples(index=False):
                report[rec.row].update(status="failed", reason=f"{exc}; delete {deb} to download it again")
                bar.update(1)
            return
        for rec in rows.itertuples(index=False):
            entry = report[rec.row]
            try:
                if rec.path not in files:
                    raise FetchError(f"{rec.path} not found in {deb.name}")
                data = Path(files[rec.path]).read_bytes()
                sha1 = hashlib.sha1(data).hexdigest()
                if rec.sha1 and sha1 != rec.sha1:
                    raise FetchError(f"{rec.path} in {deb.name} (version {used}) is not the file the manifest "
                                     f"measured (sha1 {sha1[:12]} != {rec.sha1[:12]})")
                audio = render_clip(data, seconds, f"{package}:{rec.path}", lib)
                tags = {"title": rec.title or rec.track_id, "comment": json.dumps({
                    "package": package, "version": used, "source_path": rec.path, "sha1": sha1,
                    "seconds": seconds})}
                write_flac_atomic(out_dir / f"{rec.track_id}.flac", audio, RENDER_SR, tags)
                note = "" if used == version else f" (version {used} used instead of {version})"
                entry.update(status="ok", reason="rendered" + note, version=used,
                             seconds=round(len(audio) / RENDER_SR, 3))
            except FetchError as exc:
                entry.update(status="skipped", reason=str(exc))
                logger.warning("skip row %d %s: %s", rec.row, rec.track_id, exc)
            except Exception as exc:  # one bad module must not stop the others
                entry.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
                logger.error("row %d %s failed: %s", rec.row, rec.track_id, exc)
            bar.update(1)


def _write_tracks(out_dir: Path, rows: list[dict]) -> Path:
    from ...data import write_csv

    return write_csv(pd.DataFrame(rows, columns=list(TRACKS_COLUMNS)), out_dir / "tracks.csv")


def fetch_modules(manifest: str | os.PathLike | pd.DataFrame, out_dir: str | os.PathLike,
                  cache_dir: str | os.PathLike | None = None, seconds: float = DEFAULT_SECONDS,
                  progress: bool = True, lib: LibOpenMPT | None = None) -> pd.DataFrame:
    """Render the manifest's modules into ``out_dir`` (``<track_id>.flac`` + ``tracks.csv``).

    Returns a report, one row per manifest row (:data:`REPORT_COLUMNS`; ``status`` ok,
    skipped or failed). ``tracks.csv`` lists the files present for this manifest.
    """
    started = time.monotonic()
    frame = manifest if isinstance(manifest, pd.DataFrame) else read_manifest(manifest)
    if not seconds > 0:
        raise ValueError(f"--seconds must be positive, not {seconds}")
    out_dir, cache_dir = Path(out_dir), Path(cache_dir or default_cache_dir())
    lib = lib or load_library(cache_dir)
    report = {rec.row: {"row": rec.row, "track_id": rec.track_id, "package": rec.package, "path": rec.path,
                        "status": "", "reason": "", "seconds": float("nan"), "version": rec.version}
              for rec in frame.itertuples(index=False)}
    with _locked(out_dir), _locked(cache_dir):
        for stale in [*out_dir.glob(".*.flac.part"), *out_dir.glob(".tracks.*.csv.part")]:
            stale.unlink(missing_ok=True)
        for stale in cache_dir.glob(".extract-*"):
            shutil.rmtree(stale, ignore_errors=True)
        todo = []
        for rec in frame.itertuples(index=False):
            target = out_dir / f"{rec.track_id}.flac"
            if _tag_matches(target, rec, seconds):
                tag = _provenance(target) or {}
                report[rec.row].update(status="ok", reason="already present", version=tag.get("version", rec.version),
                                       seconds=round(sf.info(str(target)).frames / RENDER_SR, 3))
            else:
                todo.append(rec.row)
        logger.info("%d module(s) in the manifest, %d already present, %d to render",
                    len(frame), len(frame) - len(todo), len(todo))
        pending = frame[frame["row"].isin(todo)]
        apt = AptLists(cache_dir)
        with tqdm(total=len(pending), desc="modules", unit="module", disable=not progress) as bar:
            for package, rows in pending.groupby("package", sort=False):
                bar.set_postfix_str(str(package))
                _process_package(str(package), rows, out_dir, cache_dir, apt, lib, seconds, report, bar)
        tracks = []
        for rec in frame.itertuples(index=False):
            entry = report[rec.row]
            if entry["status"] != "ok":
                continue
            tracks.append({"track_id": rec.track_id, "path": f"{rec.track_id}.flac", "tempo_bpm": rec.tempo_bpm,
                           "tempo2_bpm": "", "tempo_weight": "", "key": "", "group": rec.package,
                           "source": f"{rec.package} {entry['version']}:{rec.path}",
                           **{c: getattr(rec, c) for c in EVIDENCE_COLUMNS}})
        _write_tracks(out_dir, tracks)
    result = pd.DataFrame([report[r] for r in frame["row"]], columns=list(REPORT_COLUMNS))
    counts = result["status"].value_counts().to_dict()
    logger.info("modules: %d ok, %d skipped, %d failed in %.1f s; %d FLAC files, %.1f min in %s",
                counts.get("ok", 0), counts.get("skipped", 0), counts.get("failed", 0),
                time.monotonic() - started, len(tracks), float(result["seconds"].sum(skipna=True)) / 60, out_dir)
    for rec in result[result["status"] != "ok"].itertuples(index=False):
        logger.warning("  %s: row %d %s (%s %s): %s", rec.status, rec.row, rec.track_id, rec.package, rec.path,
                       rec.reason)
    return result


__all__ = ["DEFAULT_SECONDS", "EVIDENCE_COLUMNS", "MANIFEST_COLUMNS", "PEAK_DBFS", "REPORT_COLUMNS",
           "TRACKS_COLUMNS", "fetch_modules", "peak_normalise", "render_clip"]
