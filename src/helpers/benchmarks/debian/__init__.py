"""The Debian-packaged development benchmark: fetch it (opt-in), and read it.

The benchmark is described by a manifest CSV; the project ships them in
``helpers/resources/realbench/<name>.csv`` (``shared-dev``: 23 recordings;
``dev`` where present). One row per recording names the Debian package, its
version and the path of the OGG file inside it. A path written
``archive.pk3!inner/path`` is a member of a zip archive shipped in the
package. Frets on Fire song packs (``fretsonfire-songs-*``) keep the lead
guitar in a sibling ``guitar.ogg`` (sometimes also ``rhythm.ogg``); those
stems are mixed with ``song.ogg``.

Nothing is installed into the system: packages are fetched with
``apt-get download`` into a cache folder (reused between runs), with apt's
package lists kept in that cache too, and only the needed members are read
out of ``dpkg-deb --fsys-tarfile``. Each recording is decoded, mixed when it
has stems, made mono, resampled to 32 kHz with soxr and written as FLAC to
``<out>/<Label>/<slug>.flac``; ``<out>/labels.csv`` lists what is there.

The fetch is idempotent and resumable: a FLAC that is already present and
valid (32 kHz, mono, provenance tag matching its manifest row) is kept, files
are written to a temporary name and renamed, and a package that cannot be
downloaded or a member that is missing becomes a listed skip, never an abort.

Command line (``--manifest`` takes a shipped name or a path; by default
``dev`` when shipped, else ``shared-dev``)::

    python -m helpers.realbench --out data/realbench-dev [--manifest shared-dev] [--cache DIR]

The fetched folder is read by :class:`DebianReader` (``real_data:
debian:<out>``, or the plain folder path): labels from ``labels.csv``,
``group`` = the package, since several tracks of one package share an artist.
"""

import logging

from .apt import AptLists, deb_fields, download_deb
from .audio import flac_is_valid, mix_stems, peak_limit, write_flac_atomic
from .common import (
    DURATION_TOLERANCE,
    LABELS,
    LABELS_COLUMNS,
    MANIFEST_COLUMNS,
    OPTIONAL_COLUMNS,
    PEAK_CEILING,
    REPORT_COLUMNS,
    STEM_NAMES,
    STEM_PACKAGE_PREFIX,
    TARGET_SR,
    FetchError,
    ManifestError,
    MemberMissing,
)
from .extract import extract_members
from .fetch import default_cache_dir, fetch_benchmark, main
from .manifest import manifest_dir, read_manifest, resolve_manifest, shipped_manifests, track_name, track_slug
from .reader import DebianReader

#: The logger every step logs to (the submodules use this package's name, as before the split).
logger = logging.getLogger(__name__)

# Code in the submodules looks names up in its own module: monkeypatch the submodule that
# calls a function (``debian.fetch.download_deb``, ``debian.apt._run``), not this package.
__all__ = [
    "LABELS", "MANIFEST_COLUMNS", "LABELS_COLUMNS", "OPTIONAL_COLUMNS", "REPORT_COLUMNS", "TARGET_SR",
    "PEAK_CEILING", "STEM_PACKAGE_PREFIX", "STEM_NAMES", "DURATION_TOLERANCE", "ManifestError", "FetchError",
    "MemberMissing", "read_manifest", "manifest_dir", "shipped_manifests", "resolve_manifest", "track_name",
    "track_slug", "flac_is_valid", "AptLists", "deb_fields", "download_deb", "extract_members", "peak_limit",
    "mix_stems", "write_flac_atomic", "default_cache_dir", "fetch_benchmark", "main", "DebianReader",
]
