"""The fetch: manifest rows -> rendered FLAC excerpts and ``tracks.csv``.

    python -m helpers.benchmarks.keymidi fetch --out data/keymidi [--cache DIR] [--seconds 30]
        [--manifest PATH] [--renderer auto|fluidsynth|tinysoundfont] [--soundfont generaluser]

Writes ``<out>/<track_id>.flac`` (mono, 32 kHz, peak-normalised, 16-bit), ``<out>/tracks.csv``
(:data:`~.common.TRACKS_COLUMNS`: the annotated benchmarks' table, path relative to
``<out>``, tempo columns empty, ``group`` the package, ``source`` ``"<package>
<version>:<path>"``, then the key evidence and the renderer) and ``<out>/skipped.csv``.

Idempotent and resumable: a FLAC whose provenance tag matches its row, the renderer, the
SoundFont and the excerpt length is kept; files are written under a temporary name and
renamed; one fetch at a time per folder (a lock). A package that cannot be downloaded, a
member that is missing or whose bytes differ from the manifest's sha1, or a rendering
that fails becomes a listed skip, never an abort.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import soundfile as sf

from ..debian.apt import AptLists, deb_fields, download_deb
from ..debian.audio import write_flac_atomic
from ..debian.common import FetchError, ManifestError
from ..debian.extract import extract_members
from .common import (DEFAULT_SECONDS, SKIPPED_COLUMNS, TARGET_SR, TRACKS_COLUMNS, ReservedPackage,
                     default_cache_dir, refuse_reserved)
from ...data import write_rows
from .manifest import read_manifest
from .members import read_inner, split_path
from .render import (DEFAULT_SOUNDFONT, Renderer, RendererUnavailable, add_render_arguments, ready_renderer,
                     render_excerpt)

log = logging.getLogger(__name__)


def _locked(folder: Path):
    """One keymidi fetch at a time per folder (the realbench fetch's lock)."""
    from ..debian.fetch import _locked as fetch_lock

    return fetch_lock(folder, "keymidi")


def _tag(row: dict, renderer: Renderer, seconds: float) -> dict:
    """The provenance a FLAC carries; a FLAC is kept only when it matches."""
    return {"package": row["package"], "source_path": row["path"], "midi_sha1": row["midi_sha1"],
            "key": row["key"], "renderer": renderer.kind, "soundfont": renderer.soundfont.name,
            "seconds": float(seconds)}


def _read_tag(path: Path) -> dict | None:
    try:
        with sf.SoundFile(str(path)) as fh:
            if fh.format != "FLAC" or fh.samplerate != TARGET_SR or fh.channels != 1 or fh.frames <= 0:
                return None
            tag = json.loads(fh.comment or "null")
    except Exception:
        return None
    return tag if isinstance(tag, dict) else None


def flac_matches(path: Path, row: dict, renderer: Renderer, seconds: float) -> dict | None:
    """The full tag of a valid FLAC made from ``row`` this way, else None."""
    return tag_matches(path, _tag(row, renderer, seconds))


# --- shared with the scorekey fetch ------------------------------------------------------------

def tag_matches(path: Path, want: dict) -> dict | None:
    """The full tag of a valid FLAC at ``path`` whose provenance has every item of ``want``, else None."""
    tag = _read_tag(path)
    if tag is None:
        return None
    return tag if all(tag.get(k) == v for k, v in want.items()) else None


def change_inside(row: dict, seconds: float) -> str | None:
    """Why ``row`` is skipped when its key signature changes inside the excerpt, else None."""
    change = float(row["ks_change_s"]) if row.get("ks_change_s") else math.nan
    if math.isfinite(change) and change < seconds:
        return f"the key signature changes at {change:.1f} s, inside the {seconds:g} s excerpt"
    return None


def write_excerpt(out_dir: Path, row: dict, data: bytes, rend: Renderer, seconds: float, tag: dict,
                  done: dict) -> None:
    """Render the excerpt of MIDI ``data`` to ``<out_dir>/<track_id>.flac``, its provenance ``tag``
    (with the renderer's labels and the excerpt's place) in the FLAC and in ``done``."""
    audio, start_s, length_s = render_excerpt(data, rend, seconds)
    tag = {**tag, "renderer_label": rend.label, "soundfont_label": rend.soundfont_label,
           "excerpt_start_s": round(start_s, 3), "excerpt_s": round(length_s, 3)}
    write_flac_atomic(out_dir / f"{row['track_id']}.flac", audio, TARGET_SR,
                      {"title": row["track_id"], "comment": json.dumps(tag, sort_keys=True)})
    done[row["track_id"]] = tag
    log.info("%s: %.1f s from %.1f s", row["track_id"], length_s, start_s)


def _track_row(row: dict, renderer: Renderer, tag: dict) -> dict:
    return {"track_id": row["track_id"], "path": f"{row['track_id']}.flac", "tempo_bpm": "", "tempo2_bpm": "",
            "tempo_weight": "", "key": row["key"], "group": row["package"],
            "source": f"{row['package']} {tag.get('version', row['version'])}:{row['path']}",
            **{c: row.get(c, "") for c in ("basis", "ks_evidence", "title_evidence", "mode_check", "mode_trusted")},
            "renderer": tag.get("renderer_label", renderer.label), "soundfont": tag.get("soundfont_label", ""),
            "excerpt_start_s": tag.get("excerpt_start_s", ""), "excerpt_s": tag.get("excerpt_s", "")}


def _midi_bytes(row: dict, files: dict[str, Path]) -> bytes:
    outer, inner = split_path(row["path"])
    if outer not in files:
        raise FetchError(f"{outer} not in the package")
    data = files[outer].read_bytes() if inner is None else read_inner(files[outer], inner)
    sha = hashlib.sha1(data).hexdigest()
    if sha != row["midi_sha1"]:
        raise FetchError(f"{row['path']}: bytes differ from the manifest's (sha1 {sha[:12]} != "
                         f"{row['midi_sha1'][:12]}); the key evidence was read from another file")
    return data


def fetch_tracks(out_dir: Path, cache_dir: Path | None = None, seconds: float = DEFAULT_SECONDS,
          manifest: Path | None = None, renderer: str = "auto", soundfont: str = DEFAULT_SOUNDFONT,
          apt: AptLists | None = None, ready: Renderer | None = None) -> tuple[list[dict], list[dict]]:
    """Render the manifest's rows into ``out_dir``; returns ``(tracks, skipped)`` rows."""
    if not seconds > 0:
        raise ValueError("seconds must be positive")
    out_dir, cache_dir = Path(out_dir), Path(cache_dir) if cache_dir else default_cache_dir()
    rows = read_manifest(manifest)
    apt = apt or AptLists(cache_dir)
    with _locked(out_dir):
        for stale in out_dir.glob(".*.flac.part"):  # left by an interrupted fetch (we hold the lock)
            stale.unlink(missing_ok=True)
        tracks: list[dict] = []
        skipped: list[dict] = []
        try:
            rend = ready or ready_renderer(cache_dir, renderer, soundfont, apt)
        except (RendererUnavailable, FetchError) as exc:
            skipped = [{"track_id": r["track_id"], "package": r["package"], "path": r["path"],
                        "reason": f"no renderer: {exc}"} for r in rows]
            _write_outputs(out_dir, tracks, skipped)
            raise RendererUnavailable(str(exc)) from exc
        if rend.kind != "fluidsynth":
            log.warning("rendering with tinysoundfont: the TRAINING renderer (the SoundFont %s is unseen)",
                        rend.soundfont_label)
        todo: dict[str, list[dict]] = defaultdict(list)
        done: dict[str, dict] = {}
        for row in rows:
            why = change_inside(row, seconds)
            if why:
                skipped.append({**_skip(row), "reason": why})
                continue
            tag = flac_matches(out_dir / f"{row['track_id']}.flac", row, rend, seconds)
            if tag is not None:
                done[row["track_id"]] = tag
            else:
                todo[row["package"]].append(row)
        log.info("%d kept from an earlier fetch, %d to render", len(done), sum(map(len, todo.values())))
        for package, prow in todo.items():
            _fetch_package(package, prow, out_dir, cache_dir, apt, rend, seconds, done, skipped)
        for row in rows:
            if row["track_id"] in done:
                tracks.append(_track_row(row, rend, done[row["track_id"]]))
        _write_outputs(out_dir, tracks, skipped)
    return tracks, skipped


def _skip(row: dict) -> dict:
    return {"track_id": row["track_id"], "package": row["package"], "path": row["path"]}


def _fetch_package(package: str, rows: list[dict], out_dir: Path, cache_dir: Path, apt: AptLists,
                   rend: Renderer, seconds: float, done: dict, skipped: list[dict]) -> None:
    try:
        refuse_reserved(package)
        deb = download_deb(package, rows[0]["version"], cache_dir, apt)
        version = deb_fields(deb).get("Version", "")
    except (FetchError, ReservedPackage) as exc:
        skipped += [{**_skip(r), "reason": f"package not downloaded: {exc}"} for r in rows]
        log.warning("skip %d rows of %s: %s", len(rows), package, exc)
        return
    if version != rows[0]["version"]:
        log.warning("%s: manifest has %s, using %s (the sha1 check guards the files)", package,
                    rows[0]["version"], version)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".extract-", dir=cache_dir) as tmp:
        try:
            files = extract_members(deb, sorted({split_path(r["path"])[0] for r in rows}), tmp)
        except FetchError as exc:
            skipped += [{**_skip(r), "reason": str(exc)} for r in rows]
            return
        for row in rows:
            try:
                write_excerpt(out_dir, row, _midi_bytes(row, files), rend, seconds,
                              {**_tag(row, rend, seconds), "version": version}, done)
            except (FetchError, ValueError, RuntimeError, OSError) as exc:
                skipped.append({**_skip(row), "reason": str(exc)})
                log.warning("skip %s: %s", row["track_id"], exc)


def _write_outputs(out_dir: Path, tracks: list[dict], skipped: list[dict]) -> None:
    write_rows(out_dir / "tracks.csv", tracks, TRACKS_COLUMNS)
    write_rows(out_dir / "skipped.csv", skipped, SKIPPED_COLUMNS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.benchmarks.keymidi",
                                     description="Key benchmark of human-composed MIDI files from Debian packages, "
                                                 "rendered with FluidSynth and an unseen SoundFont "
                                                 "(real compositions, synthetic audio).")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch", help="render the manifest's files into a folder")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--cache", type=Path, default=None, help=f"download cache (default {default_cache_dir()})")
    p.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    p.add_argument("--manifest", type=Path, default=None, help="a manifest CSV (default: the shipped key.csv)")
    add_render_arguments(p)
    r = sub.add_parser("renderer", help="make FluidSynth and the SoundFont ready in the cache; say what runs")
    r.add_argument("--cache", type=Path, default=None)
    add_render_arguments(r)
    f = sub.add_parser("find", help="repeat the search that built the manifest")
    f.add_argument("--cache", type=Path, default=None)
    f.add_argument("--manifest", type=Path, default=None, help="where to write it (default: the shipped key.csv)")
    f.add_argument("--report", type=Path, default=None, help="candidate report (default <cache>/candidates.csv)")
    f.add_argument("--packages", nargs="*", default=None, help="only these packages (default: all searched)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cache = args.cache or default_cache_dir()
    try:
        if args.command == "renderer":
            rend = ready_renderer(cache, args.renderer, args.soundfont)
            print(f"renderer: {rend.label}\nsoundfont: {rend.soundfont_label} at {rend.soundfont}")
            return 0
        if args.command == "find":
            from .find import SEARCHED, find, summary
            from .manifest import shipped_manifest

            packages = args.packages or [p for p, _ in SEARCHED]
            rows = find(packages, cache, args.manifest or shipped_manifest(),
                        args.report or cache / "candidates.csv")
            print(summary(rows))
            return 0
        tracks, skipped = fetch_tracks(args.out, cache, args.seconds, args.manifest, args.renderer, args.soundfont)
    except (RendererUnavailable, ManifestError, ReservedPackage, RuntimeError, ValueError) as exc:
        print(f"keymidi: {exc}", file=sys.stderr)
        return 2
    print(f"keymidi: {len(tracks)} tracks in {args.out}/tracks.csv, {len(skipped)} skipped "
          f"(listed in {args.out}/skipped.csv)")
    return 0
