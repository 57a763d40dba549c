"""Constants the steps share: refused packages, columns, defaults."""

from __future__ import annotations

import os
import re
from pathlib import Path

# re-exported; RESERVED_PACKAGES: the one list of packages every fetcher refuses
from ..debian.common import PEAK_CEILING, RESERVED_PACKAGES, TARGET_SR, FetchError  # noqa: F401

#: music21's corpus of Bach chorales is never used (path fragments, lower case)
_MUSIC21_BACH = re.compile(r"music21.*(bach|bwv|chorale)", re.IGNORECASE)

#: SoundFonts the project's training data was rendered with (file names, lower case), and
#: their other packagings: the evaluation SoundFont must be none of them.
TRAINING_SOUNDFONTS: frozenset[str] = frozenset({
    "timgm6mb.sf2", "fluidr3_gm.sf2", "fluidr3_gs.sf2", "fluidr3_gm.sf3", "fluidr3mono_gm.sf3",
    "musescore_general.sf2", "musescore_general.sf3", "musescore_general_full.sf2", "musescore_general-lite.sf3",
    "black_pearl_4_lv2.sf2", "red_zeppelin_4_lv2.sf2",
})
#: their Debian packages (never a source of the evaluation SoundFont)
TRAINING_SOUNDFONT_PACKAGES: frozenset[str] = frozenset({
    "fluid-soundfont-gm", "fluid-soundfont-gs", "fluidr3mono-gm-soundfont", "musescore-general-soundfont",
    "musescore-general-soundfont-lossless", "musescore-general-soundfont-small", "timgm6mb-soundfont",
    "avldrums.lv2-soundfont",
})

#: columns of the shipped manifest (``helpers/resources/keymidi/key.csv``), in order
MANIFEST_COLUMNS: tuple[str, ...] = (
    "package", "version", "path", "track_id", "key", "basis", "ks_key", "ks_evidence", "title_key",
    "title_evidence", "mode_check", "mode_trusted", "in_key", "ks_change_s", "duration_s", "n_notes",
    "midi_sha1", "note",
)
#: the evidence columns copied from the manifest into ``tracks.csv``
EVIDENCE_COLUMNS: tuple[str, ...] = (
    "basis", "ks_evidence", "title_evidence", "mode_check", "mode_trusted",
)
#: columns of ``<out>/tracks.csv``: the annotated benchmarks' table, then the evidence
TRACKS_COLUMNS: tuple[str, ...] = (
    "track_id", "path", "tempo_bpm", "tempo2_bpm", "tempo_weight", "key", "group", "source",
    *EVIDENCE_COLUMNS, "renderer", "soundfont", "excerpt_start_s", "excerpt_s",
)
#: columns of ``<out>/skipped.csv``
SKIPPED_COLUMNS: tuple[str, ...] = ("track_id", "package", "path", "reason")
#: suffixes of MIDI files looked for in packages (and inside zip archives)
MIDI_SUFFIXES: tuple[str, ...] = (".mid", ".midi", ".kar", ".rmi")
#: default excerpt length (seconds from the first note)
DEFAULT_SECONDS = 30.0

_TRACK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9+._-]*$")


class ReservedPackage(ValueError):
    """A package (or corpus) this benchmark must not touch."""


def refuse_reserved(package: str, path: str = "") -> None:
    """Raise :class:`ReservedPackage` for a reserved package or music21's Bach chorales."""
    if package in RESERVED_PACKAGES:
        raise ReservedPackage(f"{package} is reserved: the key MIDI benchmark never uses it")
    if _MUSIC21_BACH.search(f"{package}:{path}"):
        raise ReservedPackage(f"{package}:{path}: music21's Bach chorales are never used")


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/synthmir/keymidi`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthmir" / "keymidi"
