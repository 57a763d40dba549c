"""A real-music tempo benchmark: human-composed tracker modules (.mod, .xm, .it, .s3m) from
Debian main game packages, rendered with libopenmpt, each with the tempo the file states.

* :mod:`.openmpt`: libopenmpt found on the system or fetched from Debian into the cache
  (no root, nothing installed), and a ctypes binding (render, tempo, speed, metadata);
* :mod:`.tempo`: ``BPM = T * 6 / S * (4 / rows_per_beat)`` and the constant-tempo rule
  (one BPM, within 1 %, for at least 90 % of the module and of its first 30 s);
* :mod:`.manifest`: the shipped manifest ``helpers/resources/modules/tempo.csv``, its
  checks, and the packages that must never be used (:data:`RESERVED_PACKAGES`);
* :mod:`.survey`: how the manifest is built (every file looked at, kept or why not);
* :mod:`.fetch`: render the first N seconds of each kept module as FLAC + ``tracks.csv``.

Command line::

    python -m helpers.benchmarks.modules fetch --out data/modules-tempo [--manifest tempo] [--cache DIR] [--seconds 30]
    python -m helpers.benchmarks.modules analyse FILE          # the tempo/speed timeline of one module
    python -m helpers.benchmarks.modules survey PKG ... --out manifest.csv --report report.csv
    python -m helpers.benchmarks.modules library               # which libopenmpt is used (fetches it if needed)

The fetched folder is read by the annotated benchmarks' CSV reader:
``csv:data/modules-tempo/tracks.csv``.
"""

from .fetch import DEFAULT_SECONDS, TRACKS_COLUMNS, fetch_modules, peak_normalise, render_clip
from .manifest import (MANIFEST_COLUMNS, MODULE_EXTENSIONS, RESERVED_PACKAGES, ManifestError, check_rows,
                       read_manifest, resolve_manifest, shipped_manifests, track_id_for)
from .openmpt import LibraryUnavailable, Module, ModuleError, default_cache_dir, fetch_library, load_library
from .tempo import (BPM_TOLERANCE, MIN_CONSTANT_SHARE, TEMPO_RANGE, Timeline, TempoSummary, bpm_from,
                    module_timeline, summarise, verdict)

__all__ = [
    "BPM_TOLERANCE", "DEFAULT_SECONDS", "LibraryUnavailable", "MANIFEST_COLUMNS", "MIN_CONSTANT_SHARE",
    "MODULE_EXTENSIONS", "ManifestError", "Module", "ModuleError", "RESERVED_PACKAGES", "TEMPO_RANGE",
    "TRACKS_COLUMNS", "Timeline", "TempoSummary", "bpm_from", "check_rows", "default_cache_dir",
    "fetch_library", "fetch_modules", "load_library", "module_timeline", "peak_normalise", "read_manifest",
    "render_clip", "resolve_manifest", "shipped_manifests", "summarise", "track_id_for", "verdict",
]
