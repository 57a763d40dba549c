"""Constants the folkkey steps share."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..keymidi.common import DEFAULT_SECONDS, TRACKS_COLUMNS  # noqa: F401  (the same tracks.csv layout)

#: the corpus (``corpus`` column)
CORPUS = "music21"


@dataclass(frozen=True)
class Collection:
    """A folder of ABC tunes in music21's corpus, and how one set is drawn from it."""

    folder: str          # the corpus folder
    book: str            # what the tunes are, for the manifest's note
    manifest: str        # the shipped manifest's file name in helpers/resources/folkkey/
    copies_by: str       # "number": a tune number in two files is one tune; "title": a title in two files is
    seed: int            # rule 5 of :mod:`.find`: the random order's seed ...
    size: int            # ... and the number of tunes kept

    def track_id(self, file: str, number: int) -> str:
        """``oneills1850--0003`` (by tune number) or ``ryansmammoth--acaciareel`` (one tune per file)."""
        if self.copies_by == "number":
            return f"{self.folder.lower()}--{number:04d}"
        return f"{self.folder.lower()}--" + re.sub(r"[^a-z0-9]+", "", PurePosixPath(file).stem.lower())


#: O'Neill's Music of Ireland (1903): the folkkey set, made after the second round's choice
ONEILLS = Collection("oneills1850", "O'Neill's Music of Ireland", "key.csv", "number", 20261204, 300)
#: Ryan's Mammoth Collection (Boston, 1883): the fiddlekey set, made after the third round's choice
RYANS = Collection("ryansMammoth", "Ryan's Mammoth Collection", "ryans.csv", "title", 20261205, 300)
COLLECTIONS = {c.folder: c for c in (ONEILLS, RYANS)}
#: the first set's, kept as names
COLLECTION, SAMPLE_SEED, SAMPLE_SIZE = ONEILLS.folder, ONEILLS.seed, ONEILLS.size

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
    """``3`` -> ``"oneills1850--0003"`` (O'Neill's)."""
    return ONEILLS.track_id("", number)
