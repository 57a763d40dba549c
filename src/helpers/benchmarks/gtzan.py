"""GTZAN (Tzanetakis and Cook, 2002): 1,000 clips of 30 s, ten genres.

Layout: ``genres_original/<genre>/<genre>.000NN.wav`` (the common WAV
copy) or ``genres/<genre>/<genre>.000NN.au`` (the original tarball). The
root given may be the folder that holds ``genres_original`` or ``genres``
(also ``Data/genres_original``), or that folder itself.

Why not mirdata's ``gtzan_genre`` loader: mirdata 1.0.0 ships no track
index in its wheel (the index is downloaded from Zenodo at first use, so
offline it raises "This dataset's index must be downloaded"), imports
``smart_open`` at import time and pulls ``smart_open[all]`` (S3, GCS, Azure,
SSH, HTTP clients) into the environment. Listing ten folders needs none of it.

GTZAN has no artist or album metadata, so ``group`` is None: a study that
splits GTZAN cannot keep an artist on one side (the fault-filtered split of
Sturm and of Kereliuk et al. does that; its lists are not shipped here).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from .base import AUDIO_EXTENSIONS, BenchmarkError, Reader

#: GTZAN's ten genres as its folders spell them.
GTZAN_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
_FILE = re.compile(r"^(?P<genre>[A-Za-z-]+)\.(?P<number>\d{5})$")


def genres_folder(root: Path) -> Path:
    """The folder whose subfolders are GTZAN's genres, found from ``root``."""
    candidates = [root, root / "genres_original", root / "genres", root / "Data" / "genres_original"]
    for c in candidates:
        if c.is_dir() and any((c / g).is_dir() for g in GTZAN_GENRES):
            return c
    looked = ", ".join(str(c) for c in candidates)
    raise BenchmarkError(f"{root}: no GTZAN genre folders ({', '.join(GTZAN_GENRES)}) in {looked}")


class GtzanReader(Reader):
    """GTZAN: label = the genre folder; track id = ``<genre>.000NN``."""

    kind = "gtzan"
    paper_preset = "gtzan-paper"

    def rows(self, root: Path) -> Iterator[dict]:
        base = genres_folder(root)
        for folder in sorted(d for d in base.iterdir() if d.is_dir() and not d.name.startswith(".")):
            for f in sorted(folder.iterdir()):
                if not f.is_file() or f.name.startswith(".") or f.suffix.lower() not in AUDIO_EXTENSIONS:
                    continue
                rel = f"{folder.name}/{f.name}"
                m = _FILE.match(f.stem)
                if not m or m["genre"].lower() != folder.name.lower():
                    yield {"skip": f"name does not follow GTZAN's {folder.name}.NNNNN{f.suffix}",
                           "source": rel, "path": str(f)}
                    continue
                yield {"track_id": f.stem, "path": str(f), "labels": (folder.name,), "group": None, "source": rel}
