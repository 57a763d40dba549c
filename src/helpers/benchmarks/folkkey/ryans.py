"""The fiddlekey set: :mod:`helpers.benchmarks.folkkey`'s rules on music21's copy of Ryan's
Mammoth Collection (Boston, 1883; ``ryansMammoth/``, one tune per file), drawn with its own
seed. It was made after the third round's choice of the key model (docs/tempo_key.md).

    python -m helpers.benchmarks.folkkey.ryans fetch --out data/fiddlekey
    python -m helpers.benchmarks.folkkey.ryans find
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..scorekey.fetch import Tool, main
from . import find as _find
from . import manifest as _manifest
from .common import RYANS, default_cache_dir


def read_manifest(path: str | Path | None = None) -> list[dict[str, str]]:
    """The fiddlekey manifest's rows, validated (:func:`.manifest.read_manifest`)."""
    return _manifest.read_manifest(path, RYANS)


def shipped_manifest() -> Path:
    return _manifest.shipped_manifest(RYANS)


def find(cache_dir: Path | None = None, manifest: Path | None = None, report: Path | None = None,
         python: Path | None = None) -> list[dict]:
    """:func:`.find.find` on Ryan's collection (its report in ``<cache>/ryans-candidates.csv``)."""
    cache = Path(cache_dir) if cache_dir else default_cache_dir()
    if report is None or Path(report).name == "candidates.csv":
        report = cache / "ryans-candidates.csv"
    return _find.find(cache, manifest, report, python, collection=RYANS)


FIDDLEKEY = Tool("fiddlekey", "Key benchmark of fiddle tunes from music21's Ryan's Mammoth Collection whose ABC K: "
                              "field states a major or minor key, rendered with FluidSynth and an unseen SoundFont "
                              "(real compositions, synthetic audio, melody only).",
                 read_manifest, default_cache_dir, shipped_manifest, "helpers.benchmarks.folkkey.ryans:find",
                 "helpers.benchmarks.folkkey.find:summary", module="helpers.benchmarks.folkkey.ryans")

if __name__ == "__main__":
    sys.exit(main(tool=FIDDLEKEY))
