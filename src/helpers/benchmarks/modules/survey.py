"""Build a manifest: look through Debian packages for tracker modules, play each through
libopenmpt, and keep those with one stated tempo (:mod:`.tempo`).

Every file looked at gets a line in the report (kept, or why not), so the manifest's
choices can be checked: ``python -m helpers.benchmarks.modules survey PACKAGE ...``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..debian.apt import AptLists, deb_fields, download_deb
from ..debian.common import FetchError
from ..debian.extract import extract_members
from .manifest import MANIFEST_COLUMNS, RESERVED_PACKAGES, ManifestError, is_module_path, track_id_for
from .openmpt import LibOpenMPT, Module, ModuleError, deb_members, default_cache_dir, load_library
from .tempo import (BEAT_RANGE, BPM_TOLERANCE, TEMPO_RANGE, TERNARY_RATIO, TempoSummary, bpm_from,
                    grid_concentration, module_timeline, summarise, verdict)

logger = logging.getLogger(__package__)

#: Columns of a survey report.
REPORT_COLUMNS: tuple[str, ...] = ("package", "version", "path", "status", "reason", "format", "duration_s",
                                   "tempo_bpm", "constant_share", "sha1")


def it_highlight(data: bytes) -> tuple[int, int] | None:
    """The row highlight (rows per beat, rows per measure) of an IT/MPTM file header, else None."""
    if len(data) >= 0x20 and data[:4] == b"IMPM":
        return data[0x1E], data[0x1F]
    return None


@dataclass(frozen=True)
class BeatLevel:
    rows_per_beat: int
    bpm: float
    stated: int
    how: str


def beat_level(summary: TempoSummary, fmt: str, highlight: tuple[int, int] | None,
               c4: float = float("nan"), c6: float = float("nan"),
               beat_range: tuple[float, float] = BEAT_RANGE) -> BeatLevel:
    """The beat level used, and how it was found (``how``, for the manifest's note).

    Start from the rows per beat libopenmpt applies (an IT/MPTM highlight, a pattern time
    signature, else 4). Where that is only a default (4; Impulse Tracker's 4/16 counts as
    one), notes concentrated on every 6th row (``c6 >= 1.5 * c4``) make it 6. Then double
    or halve it while the BPM is outside ``beat_range``.
    """
    stated = summary.rows_per_beat
    deliberate = False
    if highlight is not None and not highlight[0]:
        highlight = None  # 0: no highlight stored
    if highlight is not None and highlight[0] == stated:
        default = tuple(highlight) == (4, 16)
        deliberate = not default
        how = (f"rows/beat {stated} stated by the {fmt.upper()} row highlight {highlight[0]}/{highlight[1]}"
               + (" (Impulse Tracker's default)" if default else ""))
    elif highlight is not None:
        deliberate = True
        how = (f"rows/beat {stated} as libopenmpt applies it (header highlight {highlight[0]}/{highlight[1]}; "
               f"a pattern time signature)")
    else:
        how = f"rows/beat {stated}: {fmt.upper()} states none, 4 assumed"
    rpb = stated
    if math.isfinite(c4) and math.isfinite(c6):
        how += f"; notes on every 4th row {c4:.2f}x, every 6th {c6:.2f}x their average"
        if not deliberate and stated == 4 and c6 >= TERNARY_RATIO * c4:
            rpb = 6
            how += f" (>= {TERNARY_RATIO:g}: ternary, 6 rows a beat)"
    start_bpm = bpm_from(summary.tempo, summary.speed, rpb)
    bpm = start_bpm
    low, high = beat_range
    while bpm > high and rpb * 2 <= 64:
        rpb, bpm = rpb * 2, bpm / 2
    while bpm < low and rpb % 2 == 0:
        rpb, bpm = rpb // 2, bpm * 2
    if bpm != start_bpm:
        how += (f"; {start_bpm:.2f} BPM is outside {low:.0f}-{high:.0f}, so the beat is taken at "
                f"{rpb} rows")
    return BeatLevel(rpb, bpm, stated, how)


def analyse_bytes(data: bytes, name: str, lib: LibOpenMPT | None = None) -> dict[str, object]:
    """Everything the manifest states about one module file (raises :class:`ModuleError`)."""
    with Module(data, name, lib=lib) as mod:
        duration = mod.duration_s
        fmt = mod.metadata("type") or "?"
        title = " ".join(mod.metadata("title").split())
        subsongs = mod.num_subsongs
        timeline = module_timeline(mod)
        summary = summarise(timeline)
        c4 = c6 = float("nan")
        if math.isfinite(summary.bpm):
            in_main = np.abs(timeline.bpm - summary.bpm) <= BPM_TOLERANCE * summary.bpm
            orders = [int(o) for o in dict.fromkeys(timeline.order[in_main])]
            rows, counts = mod.note_onsets(orders)
            c4, c6 = grid_concentration(rows, counts, 4), grid_concentration(rows, counts, 6)
    reason = verdict(summary, duration, tempo_range=(0.0, math.inf))
    level = None
    if math.isfinite(summary.bpm):
        level = beat_level(summary, fmt, it_highlight(data), c4, c6)
        if reason is None and not TEMPO_RANGE[0] <= level.bpm <= TEMPO_RANGE[1]:
            reason = f"tempo {level.bpm:.2f} BPM outside {TEMPO_RANGE[0]:.0f}-{TEMPO_RANGE[1]:.0f}"
    return {"path": name.rpartition(":")[2], "summary": summary, "level": level, "reason": reason,
            "duration_s": duration, "format": fmt, "title": title, "subsongs": subsongs, "timeline": timeline,
            "sha1": hashlib.sha1(data).hexdigest(), "c4": c4, "c6": c6}


def evidence_note(info: dict[str, object]) -> str:
    """The manifest's ``note``: how the tempo was read, in one line."""
    s: TempoSummary = info["summary"]  # type: ignore[assignment]
    lvl: BeatLevel = info["level"]  # type: ignore[assignment]
    note = (f"tempo {s.tempo:g}, speed {s.speed}: {s.tempo:g}*6/{s.speed}*4/{lvl.rows_per_beat} = {lvl.bpm:.2f} BPM; "
            f"{lvl.how}; held {s.constant_share:.1%} of {info['duration_s']:.1f} s "
            f"({s.distinct} tempo{'s' if s.distinct > 1 else ''} met), {s.clip_share:.1%} of the first 30 s; "
            f"rows played at {s.row_rate_bpm * s.rows_per_beat / lvl.rows_per_beat:.2f} BPM")
    ext = str(info.get("path", "")).rpartition(".")[2].lower()
    if ext and ext != str(info["format"]).lower() and not str(info.get("path", "")).lower().rpartition("/")[2].startswith("mod."):
        note += f"; the file is named .{ext} but is {str(info['format']).upper()}"
    if int(info.get("subsongs", 1)) > 1:
        note += f"; first of {info['subsongs']} subsongs"
    return note


def manifest_row(package: str, version: str, path: str, info: dict[str, object]) -> dict[str, object]:
    s: TempoSummary = info["summary"]  # type: ignore[assignment]
    lvl: BeatLevel = info["level"]  # type: ignore[assignment]
    return {"package": package, "version": version, "path": path, "track_id": track_id_for(package, path),
            "tempo_bpm": round(lvl.bpm, 3), "tempo_value": s.tempo, "speed": s.speed,
            "rows_per_beat": lvl.rows_per_beat, "rows_per_beat_stated": lvl.stated,
            "constant_share": round(s.constant_share, 4), "clip_share": round(s.clip_share, 4),
            "row_rate_bpm": round(s.row_rate_bpm * s.rows_per_beat / lvl.rows_per_beat, 2),
            "duration_s": round(float(info["duration_s"]), 2), "format": info["format"],
            "title": info["title"], "sha1": info["sha1"], "note": evidence_note(info)}


def survey(packages: list[str], cache_dir: str | os.PathLike | None = None, progress: bool = True
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Look through ``packages`` (downloaded into ``cache_dir``) and return ``(manifest,
    report)``: the kept modules as manifest rows, and one report line per file looked at."""
    cache = Path(cache_dir or default_cache_dir())
    lib = load_library(cache)
    apt = AptLists(cache)
    rows: list[dict[str, object]] = []
    report: list[dict[str, object]] = []
    seen: dict[str, str] = {}
    for package in tqdm(packages, desc="survey", unit="package", disable=not progress):
        if package in RESERVED_PACKAGES:
            raise ManifestError(f"{package} is reserved and must not be used")
        try:
            deb = download_deb(package, "", cache, apt)
            version = deb_fields(deb).get("Version", "")
            members = deb_members(deb)
        except FetchError as exc:
            report.append({"package": package, "status": "failed", "reason": f"package not read: {exc}"})
            logger.warning("%s: %s", package, exc)
            continue
        wanted = sorted(m for m, (kind, _, _) in members.items() if kind in ("file", "link") and is_module_path(m))
        if not wanted:
            report.append({"package": package, "version": version, "status": "none",
                           "reason": "no tracker module in the package"})
            continue
        with tempfile.TemporaryDirectory(prefix=".survey-", dir=cache) as tmp:
            files = extract_members(deb, [m for m in wanted if members[m][0] == "file"], tmp)
            for member in wanted:
                entry = {"package": package, "version": version, "path": member}
                if members[member][0] == "link":
                    report.append({**entry, "status": "dropped", "reason": f"a link to {members[member][2]}"})
                    continue
                if member not in files:
                    report.append({**entry, "status": "failed", "reason": f"could not be extracted from {deb.name}"})
                    continue
                data = Path(files[member]).read_bytes()
                sha1 = hashlib.sha1(data).hexdigest()
                if sha1 in seen:
                    report.append({**entry, "status": "dropped", "sha1": sha1,
                                   "reason": f"same file as {seen[sha1]}"})
                    continue
                seen[sha1] = f"{package} {member}"
                try:
                    info = analyse_bytes(data, f"{package}:{member}", lib)
                except ModuleError as exc:
                    report.append({**entry, "status": "dropped", "sha1": sha1, "reason": f"not a module: {exc}"})
                    continue
                s: TempoSummary = info["summary"]  # type: ignore[assignment]
                lvl = info["level"]
                common = {**entry, "format": info["format"], "duration_s": round(float(info["duration_s"]), 2),
                          "tempo_bpm": round(lvl.bpm, 3) if lvl else float("nan"),
                          "constant_share": round(s.constant_share, 4), "sha1": sha1}
                if info["reason"]:
                    report.append({**common, "status": "dropped", "reason": info["reason"]})
                    continue
                row = manifest_row(package, version, member, info)
                rows.append(row)
                report.append({**common, "status": "kept", "reason": row["note"]})
    manifest = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
    if len(manifest):
        dup = manifest["track_id"].duplicated(keep=False)
        for i in manifest.index[dup]:
            digest = hashlib.sha1(f"{manifest.at[i, 'package']}\0{manifest.at[i, 'path']}".encode()).hexdigest()[:6]
            manifest.at[i, "track_id"] = f"{manifest.at[i, 'track_id']}-{digest}"
    return manifest, pd.DataFrame(report, columns=list(REPORT_COLUMNS))
