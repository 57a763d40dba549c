"""Constants the folkkey steps share."""

from __future__ import annotations

import os
from pathlib import Path

from ..keymidi.common import DEFAULT_SECONDS, TRACKS_COLUMNS  # noqa: F401  (the same tracks.csv layout)

#: the corpus (``corpus`` column) and the folder of music21's corpus the tunes come from
CORPUS = "music21"
COLLECTION = "oneills1850"
#: rule 5 of :mod:`.find`: the random order's seed and the number of tunes kept
SAMPLE_SEED = 20261204
SAMPLE_SIZE = 300

#: columns of the shipped manifest, in order: scorekey's evidence columns, so that
#: :func:`helpers.benchmarks.scorekey.fetch.fetch_tracks` renders its rows
MANIFEST_COLUMNS: tuple[str, ...] = (
    "corpus", "version", "path", "track_id", "collection", "tune", "title", "rhythm", "key", "basis", "ks_key",
    "ks_evidence", "title_key", "title_evidence", "mode_check", "mode_trusted", "in_key", "ks_change_s",
    "duration_s", "n_notes", "score_sha1", "midi_sha1", "note",
)


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/synthmir/folkkey`` (``~/.cache`` when unset): the converted MIDI files."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthmir" / "folkkey"


def spec_of(path: str, number: int) -> str:
    """The corpus spec of tune ``number`` of the ABC file ``path`` (``<file>#<n>``)."""
    return f"{path}#{number}"


def track_id(number: int) -> str:
    """``3`` -> ``"oneills1850--0003"``."""
    return f"{COLLECTION}--{number:04d}"
