"""The fetch: manifest rows -> MIDI (music21, in the side venv) -> rendered FLAC excerpts and
``tracks.csv``.

    python -m helpers.benchmarks.scorekey fetch --out data/scorekey [--cache DIR] [--seconds 30]
        [--manifest PATH] [--python SIDE_PYTHON] [--renderer auto|fluidsynth|tinysoundfont]

Each row's score is converted again by :mod:`.convert` in the side venv (music21 from
``requirements/scorekey.lock``); the score's bytes and the MIDI bytes must have the sha1s
the manifest records, else the row is refused (listed in ``skipped.csv``, never rendered):
its key evidence was read from other notes. The MIDI is then rendered by keymidi's renderer
(:func:`helpers.benchmarks.keymidi.render_excerpt`: FluidSynth and the GeneralUser GS
SoundFont, from the keymidi cache) into ``<out>/<track_id>.flac`` (the first 30 s from the
first note; mono, 32 kHz, peak-normalised, 16-bit) and listed in ``<out>/tracks.csv``, whose
columns are keymidi's (:data:`~..keymidi.common.TRACKS_COLUMNS`; ``group`` is the corpus
folder, ``source`` is ``"music21 <version>:<corpus path>"``), so
``csv:<out>/tracks.csv`` is read by :func:`helpers.benchmarks.annotated.read_annotated`.

Deterministic and resumable: the converted MIDI files are kept in ``<cache>/midi`` (reused
when their sha1 matches), a FLAC whose provenance tag matches its row, the renderer, the
SoundFont and the excerpt length is kept, files are written under a temporary name and
renamed, and one fetch runs at a time per folder (a lock).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import logging
import sys
from pathlib import Path
from typing import Callable

from ..debian.common import ManifestError
from ..keymidi.common import default_cache_dir as keymidi_cache_dir
from ..keymidi.fetch import change_inside, tag_matches, write_excerpt
from ...data import write_rows
from ..keymidi.render import DEFAULT_SOUNDFONT, Renderer, RendererUnavailable, add_render_arguments, ready_renderer
from .common import (CORPUS, DEFAULT_SECONDS, SKIPPED_COLUMNS, TRACKS_COLUMNS, RefusedPath, SideVenvUnavailable,
                     convert_paths, default_cache_dir, refuse_path, side_python)
from .convert import split_spec
from .manifest import read_manifest, shipped_manifest

log = logging.getLogger(__name__)

_EVIDENCE = ("basis", "ks_evidence", "title_evidence", "mode_check", "mode_trusted")


def _locked(folder: Path, name: str = "scorekey"):
    from ..debian.fetch import _locked as fetch_lock

    return fetch_lock(folder, name)


def _tag(row: dict, renderer: Renderer, seconds: float) -> dict:
    """The provenance a FLAC carries; a FLAC is kept only when it matches."""
    return {"corpus": CORPUS, "source_path": row["path"], "midi_sha1": row["midi_sha1"], "key": row["key"],
            "renderer": renderer.kind, "soundfont": renderer.soundfont.name, "seconds": float(seconds)}


def flac_matches(path: Path, row: dict, renderer: Renderer, seconds: float) -> dict | None:
    """The full tag of a valid FLAC made from ``row`` this way, else None."""
    return tag_matches(path, _tag(row, renderer, seconds))


def track_row(row: dict, tag: dict) -> dict:
    """The ``tracks.csv`` row (keymidi's layout) of a rendered manifest row."""
    return {"track_id": row["track_id"], "path": f"{row['track_id']}.flac", "tempo_bpm": "", "tempo2_bpm": "",
            "tempo_weight": "", "key": row["key"], "group": row["path"].split("/")[0],
            "source": f"{CORPUS} {tag.get('version', row['version'])}:{row['path']}",
            **{c: row.get(c, "") for c in _EVIDENCE},
            "renderer": tag.get("renderer_label", ""), "soundfont": tag.get("soundfont_label", ""),
            "excerpt_start_s": tag.get("excerpt_start_s", ""), "excerpt_s": tag.get("excerpt_s", "")}


def _skip(row: dict, reason: str) -> dict:
    return {"track_id": row["track_id"], "path": row["path"], "reason": reason}


def checked_midi(row: dict, info: dict | None) -> bytes:
    """The MIDI bytes of a conversion, refused (``ValueError``) unless the score's and the
    MIDI's sha1 are the manifest's."""
    where = f"{row['track_id']} ({row['path']})"
    if info is None:
        raise ValueError(f"{where}: not converted")
    if "error" in info:
        raise ValueError(f"{where}: music21 cannot convert it: {info['error']}")
    if info["score_sha1"] != row["score_sha1"]:
        raise ValueError(f"{where}: the corpus holds another score (sha1 {info['score_sha1'][:12]} != "
                         f"{row['score_sha1'][:12]}); refused")
    data = Path(info["midi"]).read_bytes()
    sha = hashlib.sha1(data).hexdigest()
    if sha != row["midi_sha1"]:
        raise ValueError(f"{where}: MIDI bytes differ from the manifest's (sha1 {sha[:12]} != "
                         f"{row['midi_sha1'][:12]}); the key evidence was read from other notes; refused")
    return data


def convert_rows(rows: list[dict], cache_dir: Path, python: Path | None) -> tuple[dict[str, dict], str]:
    """``({path: conversion}, music21 version)`` of the rows (conversions of an earlier run
    reused when nothing changed: :func:`~.common.convert_paths`)."""
    return convert_paths(python or side_python(), [r["path"] for r in rows], Path(cache_dir) / "midi")


def fetch_tracks(out_dir: Path, cache_dir: Path | None = None, seconds: float = DEFAULT_SECONDS,
                 manifest: Path | None = None, python: Path | None = None, renderer: str = "auto",
                 soundfont: str = DEFAULT_SOUNDFONT, renderer_cache: Path | None = None,
                 ready: Renderer | None = None, tool: "Tool | None" = None) -> tuple[list[dict], list[dict]]:
    """Render the manifest's rows into ``out_dir``; returns ``(tracks, skipped)`` rows.

    ``tool`` is the set whose manifest is read (default :data:`SCOREKEY`; the folk tunes'
    is :data:`helpers.benchmarks.folkkey.FOLKKEY`): its manifest reader, cache and lock name."""
    if not seconds > 0:
        raise ValueError("seconds must be positive")
    tool = tool or SCOREKEY
    out_dir = Path(out_dir)
    cache_dir = Path(cache_dir) if cache_dir else tool.default_cache_dir()
    rows = tool.read_manifest(manifest)
    for row in rows:
        refuse_path(split_spec(row["path"])[0])  # (the reader checked it; said again where the files are made)
    with _locked(out_dir, tool.name):
        for stale in out_dir.glob(".*.flac.part"):
            stale.unlink(missing_ok=True)
        rend = ready or ready_renderer(Path(renderer_cache) if renderer_cache else keymidi_cache_dir(), renderer,
                                       soundfont)
        if rend.kind != "fluidsynth":
            log.warning("rendering with tinysoundfont: the TRAINING renderer (the SoundFont %s is unseen)",
                        rend.soundfont_label)
        skipped: list[dict] = []
        done: dict[str, dict] = {}
        todo: list[dict] = []
        for row in rows:
            why = change_inside(row, seconds)
            if why:
                skipped.append(_skip(row, why))
                continue
            tag = flac_matches(out_dir / f"{row['track_id']}.flac", row, rend, seconds)
            if tag is not None:
                done[row["track_id"]] = tag
            else:
                todo.append(row)
        log.info("%d kept from an earlier fetch, %d to render", len(done), len(todo))
        if todo:
            conversions, version = convert_rows(todo, cache_dir, python)
            for row in todo:
                try:
                    write_excerpt(out_dir, row, checked_midi(row, conversions.get(row["path"])), rend, seconds,
                                  {**_tag(row, rend, seconds), "version": version or row["version"]}, done)
                except (ValueError, RuntimeError, OSError) as exc:
                    skipped.append(_skip(row, str(exc)))
                    log.warning("skip %s: %s", row["track_id"], exc)
        tracks = [track_row(row, done[row["track_id"]]) for row in rows if row["track_id"] in done]
        write_rows(out_dir / "tracks.csv", tracks, TRACKS_COLUMNS)
        write_rows(out_dir / "skipped.csv", skipped, SKIPPED_COLUMNS)
    return tracks, skipped


@dataclasses.dataclass(frozen=True)
class Tool:
    """A key set made from music21's corpus: what its command line and its fetch need."""

    name: str
    description: str
    read_manifest: Callable[..., list[dict]]
    default_cache_dir: Callable[[], Path]
    shipped_manifest: Callable[[], Path]
    find: str            # "module:function" (imported only by ``find``), returning the report rows
    summary: str         # "module:function" of those rows
    module: str = ""     # the command line's module (default helpers.benchmarks.<name>)


SCOREKEY = Tool("scorekey", "Key benchmark of scores from music21's corpus (never its Bach) with the key each "
                            "piece states, rendered with FluidSynth and an unseen SoundFont (real compositions, "
                            "synthetic audio).",
                read_manifest, default_cache_dir, shipped_manifest, "helpers.benchmarks.scorekey.find:find",
                "helpers.benchmarks.scorekey.find:summary")


def _load(target: str):
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def main(argv: list[str] | None = None, tool: Tool | None = None) -> int:
    tool = tool or SCOREKEY
    parser = argparse.ArgumentParser(prog=f"python -m {tool.module or 'helpers.benchmarks.' + tool.name}",
                                     description=tool.description)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fetch", help="convert and render the manifest's scores into a folder")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--cache", type=Path, default=None, help=f"MIDI cache (default {tool.default_cache_dir()})")
    p.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    p.add_argument("--manifest", type=Path, default=None, help="a manifest CSV (default: the shipped key.csv)")
    p.add_argument("--python", type=Path, default=None,
                   help="the side venv's python with music21 (default: scripts/setup_env.sh scorekey)")
    add_render_arguments(p)
    p.add_argument("--renderer-cache", type=Path, default=None,
                   help=f"where keymidi keeps FluidSynth and the SoundFont (default {keymidi_cache_dir()})")
    f = sub.add_parser("find", help="repeat the search that built the manifest")
    f.add_argument("--cache", type=Path, default=None)
    f.add_argument("--manifest", type=Path, default=None, help="where to write it (default: the shipped key.csv)")
    f.add_argument("--report", type=Path, default=None, help="report of every corpus path "
                                                             "(default <cache>/candidates.csv)")
    f.add_argument("--python", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    cache = args.cache or tool.default_cache_dir()
    try:
        if args.command == "find":
            rows = _load(tool.find)(cache, args.manifest or tool.shipped_manifest(),
                                    args.report or cache / "candidates.csv", args.python)
            print(_load(tool.summary)(rows))
            return 0
        tracks, skipped = fetch_tracks(args.out, cache, args.seconds, args.manifest, args.python, args.renderer,
                                       args.soundfont, args.renderer_cache, tool=tool)
    except (RendererUnavailable, SideVenvUnavailable, ManifestError, RefusedPath, RuntimeError, ValueError) as exc:
        print(f"{tool.name}: {exc}", file=sys.stderr)
        return 2
    print(f"{tool.name}: {len(tracks)} tracks in {args.out}/tracks.csv, {len(skipped)} skipped "
          f"(listed in {args.out}/skipped.csv)")
    return 0
