"""Ballroom (Gouyon et al. 2006; the ISMIR 2004 tempo contest): 698 excerpts of 30 s in
ten dance styles, with the contest's tempi and Krebs' beat annotations.

Layout (``data1.tar.gz`` and ``data2.tar.gz`` from mtg.upf.edu/ismir2004/contest/tempoContest,
and github.com/CPJKU/BallroomAnnotations)::

    BallroomData/<Style>/<name>.wav                       e.g. Waltz/Media-105901.wav
    BallroomAnnotations/ballroomGroundTruth/<name>.bpm    the contest's tempo: "84"
    BallroomAnnotations-master/<name>.beats               Krebs: "<time> <beat in bar>" a line

The ``.bpm`` and ``.beats`` files are found by name anywhere below the folder given (four
levels down), or below the ``?annotations=<folder>`` folders when given (the option may be
repeated: ``?annotations=/a&annotations=/b``). mirdata's ``B_1.0/audio/<Style>/`` and
``B_1.0/annotations/{tempo,beats}/`` read the same way. A track's tempo is its ``.bpm``
(source ``ballroom:bpm``), else 60 / the median inter-beat interval of its ``.beats``
(``ballroom:beats``); group = the style folder.
"""

from __future__ import annotations

from pathlib import Path

from ..base import BenchmarkError
from .common import (Listing, Tempo, audio_by_stem, option_dirs, read_beats, read_number, require_dir,
                     tempo_from_beats, walk_dirs)


def _audio_root(root: Path) -> Path:
    candidates = [root / "BallroomData", root, root / "B_1.0" / "audio", root / "audio"]
    for c in candidates:
        if c.is_dir() and any(audio_by_stem(d) for d in c.iterdir() if d.is_dir() and not d.name.startswith(".")):
            return c
    raise BenchmarkError(f"{root}: no Ballroom audio (BallroomData/<Style>/<name>.wav) in "
                         f"{', '.join(str(c) for c in candidates)}")


def _index(roots: list[Path], suffix: str, audio_root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for r in roots:
        for d in walk_dirs(r, 4, skip=lambda d: d == audio_root):
            for f in sorted(d.glob(f"*{suffix}")):
                stem = f.name[: -len(suffix)]
                if stem in found and found[stem] != f:
                    raise BenchmarkError(f"two {suffix} annotations for {stem}: {found[stem]} and {f} "
                                         f"(name one folder with ?annotations=)")
                found[stem] = f
    return found


def read_ballroom(root: Path, options: dict) -> Listing:
    require_dir(root, "ballroom")
    audio_root = _audio_root(root)
    roots = option_dirs(options) or [root]
    bpm, beats = _index(roots, ".bpm", audio_root), _index(roots, ".beats", audio_root)
    out = Listing("ballroom")
    seen = set()
    for style in sorted(d for d in audio_root.iterdir() if d.is_dir() and not d.name.startswith(".")):
        for stem, path in audio_by_stem(style).items():
            seen.add(stem)
            if stem in bpm:
                value = read_number(bpm[stem])
                if value > 0:
                    out.add(stem, path, "bpm", tempo=Tempo(value), group=style.name)
                else:
                    out.skip(path, f"{bpm[stem].name}: tempo 0 (no tempo)")
            elif stem in beats:
                value = tempo_from_beats(read_beats(beats[stem]))
                if value is None:
                    out.skip(path, f"{beats[stem].name}: fewer than two beats")
                else:
                    out.add(stem, path, "beats", tempo=Tempo(value), group=style.name)
            else:
                out.skip(path, f"no tempo annotation ({stem}.bpm or {stem}.beats)")
    for stem in sorted((set(bpm) | set(beats)) - seen):
        out.skip(bpm.get(stem) or beats[stem], f"annotated, but no audio file {stem}.wav under {audio_root.name}/")
    return out
