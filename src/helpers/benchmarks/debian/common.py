"""Constants and exceptions shared by the steps of the Debian benchmark."""

from __future__ import annotations

import re

from ...errors import SynthMIRError

#: Genre labels, canonical spelling. Manifest labels match case-insensitively.
LABELS: tuple[str, ...] = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")
#: Columns a manifest must have.
MANIFEST_COLUMNS: tuple[str, ...] = (
    "package", "version", "path", "duration_s", "label", "confidence", "evidence", "license",
)
#: Columns of ``<out>/labels.csv``.
LABELS_COLUMNS: tuple[str, ...] = (
    "path", "label", "package", "version", "source_path", "duration_s", "license", "confidence",
)
#: Optional manifest columns copied into ``labels.csv`` (after :data:`LABELS_COLUMNS`)
#: when the manifest has them; ``group`` names the artist or package, for splits.
OPTIONAL_COLUMNS: tuple[str, ...] = ("group",)
#: Columns of the report returned by :func:`fetch_benchmark`.
REPORT_COLUMNS: tuple[str, ...] = (
    "row", "package", "version", "path", "label", "out_path", "status", "reason", "duration_s",
)
#: Sample rate of the written FLAC files.
TARGET_SR = 32_000
#: Peak ceiling (about -0.1 dBFS): louder audio is scaled down to it, never up.
PEAK_CEILING = 0.99
#: Packages whose ``song.ogg`` has sibling stems to mix in.
STEM_PACKAGE_PREFIX = "fretsonfire-songs-"
#: Stems mixed with a Frets on Fire ``song.ogg``; the first one is required.
STEM_NAMES: tuple[str, ...] = ("guitar.ogg", "rhythm.ogg")
#: A duration further than this from the manifest's (seconds, or fraction) is logged.
DURATION_TOLERANCE = (1.0, 0.02)

_PACKAGE_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")
_VERSION_RE = re.compile(r"^[A-Za-z0-9.+~:-]*$")
_APT_TIMEOUT_S = 1800


class ManifestError(SynthMIRError, ValueError):
    """A manifest that cannot be used (unreadable, missing columns, bad rows)."""


class FetchError(RuntimeError):
    """A package that cannot be downloaded or read; its rows are skipped."""


class MemberMissing(FetchError):
    """A path (or zip member, or required stem) that is not in the package."""


#: Debian packages that no benchmark or training set of this project uses, for any purpose:
#: their recordings are reserved for a held-out check. The module and key-MIDI fetchers
#: refuse them (asking for one is an error, not a skip).
RESERVED_PACKAGES: frozenset[str] = frozenset({
    "freedroidrpg-data", "fretsonfire-songs-muldjord", "gl-117-data", "heroes-sound-tracks",
    "marsshooter-data", "miceamaze", "naev-data", "openclonk-data", "pekka-kana-2-data",
    "starfighter-data", "tecnoballz-data", "unknown-horizons", "wesnoth-1.16-music", "wizznic-data",
    "zaz-data",
})
