"""GTZAN with the community's tempo and key annotations.

The audio is GTZAN's own layout, found as the ``gtzan`` genre reader finds it
(``genres_original/<genre>/<genre>.000NN.wav``, or ``genres/`` with ``.au``); track id
``<genre>.000NN``. The annotations are looked for below the folder given (three levels
down) or below the ``?annotations=<folder>`` folders (repeatable), in these layouts:

**gtzan-tempo**

* ``gtzan_tempo_beat`` (github.com/TempoBeatDownbeat/gtzan_tempo_beat, as mirdata
  fetches it, folder ``gtzan_tempo_beat-main``): ``tempo/gtzan_<genre>_000NN.bpm`` (one
  number, e.g. ``1.258700000000000045e+02``) and ``beats/gtzan_<genre>_000NN.beats``
  (``<time><TAB><beat in bar>``); 999 tracks (no reggae.00086). Source
  ``gtzan-tempo:tempo_beat`` (``:tempo_beat-beats`` when only the beats are there:
  60 / median inter-beat interval).
* GTZAN-Rhythm v2 (Marchand & Peeters, DAFx 2015; ``GTZAN-Rhythm_v2_ismir2015_lbd``):
  ``stats.csv`` (``filename,artist,title,tempo mean,...``; ``blues.00000.wav``), ``jams/``
  and ``GTZANindex.txt`` (Sturm's artist and title list). Source ``gtzan-tempo:gtzan-rhythm``
  (``tempo mean``), or ``:gtzan-rhythm-jams`` from ``jams/<genre>.000NN(.wav).jams``.
  The gtzan_tempo_beat values are these means, so a track found in both reads the same.

**gtzan-key** (Kraft, Lerch & Zoelzer 2013; github.com/alexanderlerch/gtzan_key):
``gtzan_key/genres/<genre>/<genre>.000NN.lerch.txt``, one code a file per
``KeyEnumeration.txt``: 0..11 = A, A#, B, C, C#, D, D#, E, F, F#, G, G# major; 12..23 = the
same tonics minor; -1 = modulation or unknown (a listed skip; all of classical). The tree
mirrors GTZAN's ``genres/``, so the files may also lie beside the audio. Source
``gtzan-key:lerch``.

``group`` is the artist where a ``stats.csv`` or ``GTZANindex.txt`` is found (GTZAN-Rhythm
ships both), else "".
"""

from __future__ import annotations

import re
from pathlib import Path

from ..base import BenchmarkError, read_delimited
from ..gtzan import GTZAN_GENRES, GtzanReader, genres_folder
from .common import (Listing, Tempo, files_by_stem, jams_beat_tempo, jams_tempo, option_dirs, read_beats,
                     read_json, read_number, read_text, require_dir, tempo_from_beats, walk_dirs)

#: gtzan_key's KeyEnumeration.txt: code % 12 -> tonic (A = 0), code // 12 -> major / minor
LERCH_TONICS = ("A", "A#", "B", "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#")
_INDEX_LINE = re.compile(r"^(?P<id>[a-z]+\.\d{5})\.(?:wav|au) ::: ?(?P<artist>.*?) ?::: ?(?P<title>.*)$")


def _audio(root: Path, out: Listing) -> list[tuple[str, Path]]:
    tracks = []
    for row in GtzanReader().rows(root):
        if "skip" in row:
            out.skip(row["path"], row["skip"])
        else:
            tracks.append((row["track_id"], Path(row["path"])))
    return tracks


def _folders(root: Path, options: dict) -> list[Path]:
    roots = option_dirs(options) or [root]
    out: list[Path] = []
    for r in roots:
        for d in walk_dirs(r, 3, skip=lambda d: d.name.lower() in GTZAN_GENRES or d.name == "xml"):
            if d not in out:
                out.append(d)
    return out


def _one(found: list[Path], what: str) -> Path | None:
    if len(found) > 1:
        raise BenchmarkError(f"{len(found)} {what} folders: {', '.join(map(str, found))} "
                             f"(name one with ?annotations=)")
    return found[0] if found else None


def _artists(folders: list[Path]) -> dict[str, str]:
    """``{track id: artist}`` from GTZAN-Rhythm's stats.csv or Sturm's GTZANindex.txt."""
    artists: dict[str, str] = {}
    for d in folders:
        index = d / "GTZANindex.txt"
        if index.is_file():
            for i, line in enumerate(read_text(index).splitlines(), 1):
                if not line.strip() or line.startswith("#"):
                    continue
                m = _INDEX_LINE.match(line.rstrip("\r\n"))
                if not m:
                    raise BenchmarkError(f"{index}:{i}: not '<genre>.000NN.wav ::: artist ::: title': {line!r}")
                artists.setdefault(m["id"], m["artist"].strip())
        if _is_stats(d / "stats.csv"):
            artists.update(_stats(d / "stats.csv")[1])
    return artists


def _is_stats(path: Path) -> bool:
    """A GTZAN-Rhythm stats.csv (its header names ``filename`` and ``tempo mean``)."""
    if not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = [h.strip() for h in fh.readline().split(",")]
    return "filename" in header and "tempo mean" in header


def _stats(path: Path) -> tuple[dict[str, float], dict[str, str]]:
    tempi, artists = {}, {}
    for line, header, fields in read_delimited(path, ",", required=("filename", "tempo mean")):
        rec = dict(zip(header, (f.strip() for f in fields)))
        tid = re.sub(r"\.(wav|au)$", "", rec["filename"])
        text = rec["tempo mean"]
        try:
            value = float(text)
        except ValueError:
            raise BenchmarkError(f"{path}:{line}: tempo mean {text!r} is not a number") from None
        if value > 0:
            tempi[tid] = value
        if rec.get("artist"):
            artists[tid] = rec["artist"]
    return tempi, artists


def read_gtzan_tempo(root: Path, options: dict) -> Listing:
    require_dir(root, "gtzan-tempo")
    out = Listing("gtzan-tempo")
    genres_folder(root)  # the audio must be there
    folders = _folders(root, options)
    tb = _one([d for d in folders
               if any((d / "tempo").glob("gtzan_*.bpm")) or any((d / "beats").glob("gtzan_*.beats"))],
              "gtzan_tempo_beat")
    rhythm = _one([d for d in folders if _is_stats(d / "stats.csv")
                   or ((d / "GTZANindex.txt").is_file() and (d / "jams").is_dir())], "GTZAN-Rhythm")
    if tb is None and rhythm is None:
        raise BenchmarkError(f"{root}: no GTZAN tempo annotations (gtzan_tempo_beat's tempo/gtzan_*.bpm or "
                             f"GTZAN-Rhythm's stats.csv) in {', '.join(map(str, option_dirs(options) or [root]))} "
                             f"or below (name their folder with ?annotations=<folder>)")
    tb_bpm = files_by_stem(tb / "tempo", ".bpm") if tb else {}
    tb_beats = files_by_stem(tb / "beats", ".beats") if tb else {}
    stats, _ = _stats(rhythm / "stats.csv") if rhythm and _is_stats(rhythm / "stats.csv") else ({}, {})
    jams = {}
    if rhythm and (rhythm / "jams").is_dir():
        jams = {re.sub(r"\.(wav|au)$", "", s): p for s, p in files_by_stem(rhythm / "jams", ".jams").items()}
    artists = _artists(folders)
    for tid, path in _audio(root, out):
        name = "gtzan_" + tid.replace(".", "_")
        group = artists.get(tid, "")
        if name in tb_bpm:
            value = read_number(tb_bpm[name])
            if value > 0:
                out.add(tid, path, "tempo_beat", tempo=Tempo(value), group=group)
            else:
                out.skip(path, f"{tb_bpm[name].name}: tempo 0 (no tempo)")
        elif tid in stats:
            out.add(tid, path, "gtzan-rhythm", tempo=Tempo(stats[tid]), group=group)
        elif tid in jams:
            tempo = _rhythm_jams_tempo(jams[tid])
            if tempo is None:
                out.skip(path, f"{jams[tid].name}: no tempo and fewer than two beats")
            else:
                out.add(tid, path, "gtzan-rhythm-jams", tempo=tempo, group=group)
        elif name in tb_beats:
            value = tempo_from_beats(read_beats(tb_beats[name]))
            if value is None:
                out.skip(path, f"{tb_beats[name].name}: fewer than two beats")
            else:
                out.add(tid, path, "tempo_beat-beats", tempo=Tempo(value), group=group)
        else:
            out.skip(path, f"no tempo annotation ({name}.bpm or {tid}.wav in stats.csv)")
    return out


def _rhythm_jams_tempo(path: Path) -> Tempo | None:
    """A GTZAN-Rhythm JAMS file's tempo: a ``tempo`` annotation if it has one, else the
    ``tempo mean`` its generate.py writes in a tag_open sandbox, else from its beats."""
    doc = read_json(path)
    tempo = jams_tempo(doc, path)
    if tempo is not None:
        return tempo
    for ann in doc.get("annotations", []):
        mean = (ann.get("sandbox") or {}).get("tempo mean") if isinstance(ann, dict) else None
        if mean not in (None, ""):
            try:
                value = float(mean)
            except (TypeError, ValueError):
                raise BenchmarkError(f"{path}: tempo mean {mean!r} is not a number") from None
            if value > 0:
                return Tempo(value)
    bpm = jams_beat_tempo(doc, path)
    return Tempo(bpm) if bpm else None


def read_gtzan_key(root: Path, options: dict) -> Listing:
    require_dir(root, "gtzan-key")
    out = Listing("gtzan-key")
    audio_genres = genres_folder(root)
    folders = _folders(root, options)
    search = folders + ([audio_genres] if audio_genres not in folders and not options.get("annotations") else [])
    lerch = _one([d for d in search if any(any((d / g).glob("*.lerch.txt")) for g in GTZAN_GENRES)],
                 "gtzan_key (genres/<genre>/*.lerch.txt)")
    if lerch is None:
        raise BenchmarkError(f"{root}: no GTZAN key annotations (gtzan_key/genres/<genre>/<genre>.000NN.lerch.txt) "
                             f"in {', '.join(map(str, option_dirs(options) or [root]))} or below (name their "
                             f"folder with ?annotations=<folder>)")
    artists = _artists(folders)
    for tid, path in _audio(root, out):
        ann = lerch / tid.split(".")[0] / f"{tid}.lerch.txt"
        if not ann.is_file():
            out.skip(path, f"no key annotation ({ann.relative_to(lerch.parent).as_posix()})")
            continue
        text = read_text(ann).strip()
        try:
            code = int(text)
        except ValueError:
            code = None
        if code is None or not -1 <= code <= 23:
            raise BenchmarkError(f"{ann}: {text!r} is not a gtzan_key code (0-23, or -1)")
        if code == -1:
            out.skip(path, f"{ann.name}: -1 (modulation or unknown key)")
            continue
        key = f"{LERCH_TONICS[code % 12]} {'major' if code < 12 else 'minor'}"
        out.add(tid, path, "lerch", key=key, group=artists.get(tid, ""))
    return out
