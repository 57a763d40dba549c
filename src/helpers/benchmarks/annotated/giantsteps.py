"""GiantSteps Key and GiantSteps Tempo (Knees et al., ISMIR 2015), in the layouts their
repositories and mirdata use.

**giantsteps-key** (github.com/GiantSteps/giantsteps-key-dataset, 604 Beatport previews;
also giantsteps-mtg-key-dataset, 1,486, same layout)::

    audio/<id>.LOFI.mp3                  audio_dl.sh; convert_audio.sh adds <id>.LOFI.wav
    annotations/key/<id>.LOFI.key        "Eb minor" (no newline); the MTG set: "d# minor\\t2\\t<comment>"
    annotations/jams/<id>.LOFI.jams      key_mode "Eb:minor"
    annotations/giantsteps/<id>.LOFI.key GiantSteps format: "#@format: ..." then "key 0 Eb minor"

and GiantSteps+ (Faraldo's revision, zenodo.org/record/1095691, mirdata's default
``giantsteps_key``)::

    audio/<beatport id> <artist> - <title>.mp3
    keys_gs+/<same name>.txt             "D major"
    meta/<same name>.json                Beatport metadata: "artists" -> group

Per track the first of keys_gs+, annotations/key, annotations/jams, annotations/giantsteps
that exists is used (source ``giantsteps-key:<that folder>``). ``"-"``, two keys
(``"d major / b minor"``) and modal labels are listed skips.

**giantsteps-tempo** (github.com/GiantSteps/giantsteps-tempo-dataset, 664 previews)::

    audio/<id>.LOFI.mp3
    annotations/tempo/<id>.LOFI.bpm        v1 (Knees et al. 2015): "126"
    annotations/jams/<id>.LOFI.jams        v1 as JAMS
    annotations/giantsteps/<id>.LOFI.bpm   v1, GiantSteps format: "tempo 0 126"
    annotations_v2/tempo/<id>.LOFI.bpm     v2 (Schreiber & Mueller 2018): "127.0"
    annotations_v2/mirex/<id>.LOFI.mirex   v2, MIREX style: "T1<TAB>T2<TAB>ST1" (ST1: salience of T1)
    annotations_v2/jams/<id>.LOFI.jams     v2 as JAMS (both tempi, confidences = saliences)

v2 is used where a track has it (source ``giantsteps-tempo:v2``), else v1
(``giantsteps-tempo:v1``); ``?version=v1`` uses v1 only, ``?version=v2`` v2 only. From v2,
``tempo_bpm`` is the tempo of annotations_v2/tempo (the more salient of the MIREX pair),
``tempo2_bpm`` the other MIREX tempo (NaN where the file gives 0: one tempo only) and
``tempo_weight`` the salience of ``tempo_bpm``. The three tracks v2 marks 0.0 (no tempo
found: 3041381, 3041383, 1327052) are listed skips, not read from v1.

The folder given may be the repository clone with ``audio/`` inside, or mirdata's
``GiantSteps_tempo/`` holding ``audio/`` and ``giantsteps-tempo-dataset-<commit>/``;
``?annotations=<folder>`` names the clone when it lies elsewhere.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..base import BenchmarkError
from .common import (NAN, Listing, Tempo, audio_by_stem, files_by_stem, jams_keys, jams_tempo, key_label,
                     option_dirs, read_json, read_number, read_numbers, read_text, require_dir, single_key)


def _base(root: Path, options: dict, prefixes: tuple[str, ...], marks: tuple[str, ...]) -> Path:
    """The folder that holds the annotation folders ``marks``."""
    named = option_dirs(options)
    if len(named) > 1:
        raise BenchmarkError(f"{root}: give one annotations= folder, not {len(named)}")
    candidates = named or [root, *sorted(d for d in root.iterdir() if d.is_dir() and d.name.startswith(prefixes))]
    for c in candidates:
        if any((c / m).is_dir() for m in marks):
            return c
    looked = ", ".join(str(c) for c in candidates)
    raise BenchmarkError(f"{root}: no GiantSteps annotation folder ({' or '.join(marks)}) in {looked}")


def _audio(root: Path, base: Path) -> dict[str, Path]:
    for folder in (root / "audio", base / "audio", root):
        found = audio_by_stem(folder)
        if found:
            return found
    raise BenchmarkError(f"{root}: no audio files in {root / 'audio'} (the dataset's audio_dl.sh puts the "
                         f"previews there)")


def _giantsteps_format(path: Path, tag: str) -> str:
    """The value of a GiantSteps-format file (``#@format: ...`` header, then ``<tag> 0 <value>``)."""
    text = read_text(path)
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) != 3 or parts[0] != tag:
            raise BenchmarkError(f"{path}:{i}: expected '{tag} <time> <value>', found {line.strip()!r}")
        return parts[2].strip()
    raise BenchmarkError(f"{path}: no '{tag}' line")


# --- key ---------------------------------------------------------------------------------

def read_giantsteps_key(root: Path, options: dict) -> Listing:
    require_dir(root, "giantsteps-key")
    base = _base(root, options, ("giantsteps-key-dataset", "giantsteps-mtg-key-dataset", "GiantSteps"),
                 ("annotations", "keys_gs+"))
    audio = _audio(root, base)
    sets = [("gs+", files_by_stem(base / "keys_gs+", ".txt")),
            ("key", files_by_stem(base / "annotations" / "key", ".key")),
            ("jams", files_by_stem(base / "annotations" / "jams", ".jams")),
            ("giantsteps", files_by_stem(base / "annotations" / "giantsteps", ".key"))]
    out = Listing("giantsteps-key")
    for stem, path in audio.items():
        variant, ann = next(((v, files[stem]) for v, files in sets if stem in files), (None, None))
        if ann is None:
            out.skip(path, f"no key annotation (keys_gs+/{stem}.txt or annotations/key/{stem}.key)")
            continue
        if variant == "jams":
            key, reason = single_key([v for v, _ in jams_keys(read_json(ann), ann)], ann)
        elif variant == "giantsteps":
            key, reason = key_label(_giantsteps_format(ann, "key"), ann)
        else:  # one line; the MTG set adds "<TAB>confidence<TAB>comment"
            text = read_text(ann)
            first = text.splitlines()[0] if text.strip() else ""
            key, reason = key_label(first.split("\t")[0], ann, 1)
        if key is None:
            out.skip(path, f"{ann.name}: {reason}")
            continue
        group = _artists(base / "meta" / f"{stem}.json") if variant == "gs+" else ""
        out.add(stem, path, variant, key=key, group=group)
    annotated = set().union(*(files for _, files in sets))
    for stem in sorted(annotated - set(audio)):
        ann = next(files[stem] for _, files in sets if stem in files)
        out.skip(ann, f"annotated, but no audio file {stem}.mp3 (or .wav) in audio/")
    return out


def _artists(meta: Path) -> str:
    if not meta.is_file():
        return ""
    doc = read_json(meta)
    names = [a.get("name", "") for a in doc.get("artists") or [] if isinstance(a, dict)]
    return ", ".join(n for n in names if n)


# --- tempo -------------------------------------------------------------------------------

def _v2(base: Path, stem: str) -> tuple[Tempo | None, Path | None]:
    """``(tempo, file)`` from annotations_v2, ``(None, file)`` where v2 says there is no tempo,
    ``(None, None)`` where the track has no v2 annotation."""
    v2 = base / "annotations_v2"
    single, mirex, jams = (v2 / "tempo" / f"{stem}.bpm", v2 / "mirex" / f"{stem}.mirex", v2 / "jams" / f"{stem}.jams")
    if mirex.is_file():
        t1, t2, s1 = read_numbers(mirex, 3, "MIREX tempo line 'T1 T2 ST1'")
        if s1 > 1:
            raise BenchmarkError(f"{mirex}: salience ST1 {s1} is not in [0, 1]")
        main = read_number(single) if single.is_file() else (t1 if s1 >= 0.5 or t2 == 0 else t2)
        if main == 0:
            return None, single if single.is_file() else mirex
        first = abs(main - t1) <= abs(main - t2)
        other, weight = (t2, s1) if first else (t1, 1.0 - s1)
        return Tempo(main, other if other > 0 else NAN, weight), mirex
    if single.is_file():
        value = read_number(single)
        return (Tempo(value) if value > 0 else None), single
    if jams.is_file():
        return jams_tempo(read_json(jams), jams), jams
    return None, None


def _v1(base: Path, stem: str) -> tuple[Tempo | None, Path | None]:
    v1 = base / "annotations"
    single, jams, gs = (v1 / "tempo" / f"{stem}.bpm", v1 / "jams" / f"{stem}.jams",
                        v1 / "giantsteps" / f"{stem}.bpm")
    if single.is_file():
        value = read_number(single)
        return (Tempo(value) if value > 0 else None), single
    if jams.is_file():
        return jams_tempo(read_json(jams), jams), jams
    if gs.is_file():
        text = _giantsteps_format(gs, "tempo")
        try:
            value = float(text)
        except ValueError:
            raise BenchmarkError(f"{gs}: {text!r} is not a tempo in BPM") from None
        if not math.isfinite(value) or value < 0:
            raise BenchmarkError(f"{gs}: {text!r} is not a tempo in BPM")
        return (Tempo(value) if value > 0 else None), gs
    return None, None


def read_giantsteps_tempo(root: Path, options: dict) -> Listing:
    require_dir(root, "giantsteps-tempo")
    version = (options.get("version") or ["prefer-v2"])[-1]
    if version not in ("prefer-v2", "v1", "v2"):
        raise BenchmarkError(f"giantsteps-tempo: version={version!r}: use v1 or v2")
    base = _base(root, options, ("giantsteps-tempo-dataset", "GiantSteps"), ("annotations", "annotations_v2"))
    audio = _audio(root, base)
    out = Listing("giantsteps-tempo")
    for stem, path in audio.items():
        tempo, ann, variant = None, None, None
        if version != "v1":
            tempo, ann = _v2(base, stem)
            variant = "v2"
        if ann is None and version != "v2":
            tempo, ann = _v1(base, stem)
            variant = "v1"
        if ann is None:
            where = {"v1": "annotations/tempo", "v2": "annotations_v2/tempo"}.get(version,
                                                                                "annotations_v2/ or annotations/tempo")
            out.skip(path, f"no tempo annotation ({where}/{stem}.bpm)")
        elif tempo is None:
            out.skip(path, f"{ann.relative_to(base).as_posix()}: no tempo (0.0 or none given: the annotators found none)")
        else:
            out.add(stem, path, variant, tempo=tempo)
    annotated: dict[str, Path] = {}
    for folder, suffix in (("annotations/tempo", ".bpm"), ("annotations_v2/mirex", ".mirex"),
                           ("annotations_v2/tempo", ".bpm")):
        annotated.update(files_by_stem(base / folder, suffix))
    for stem in sorted(set(annotated) - set(audio)):
        out.skip(annotated[stem], f"annotated, but no audio file {stem}.mp3 (or .wav) in audio/")
    return out
