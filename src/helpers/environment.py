"""What a run ran with: the Python, the platform, the lock file and the versions of the packages.

:func:`environment_record` goes into every ``metrics.json`` (``"environment"``), so a
figure carries the exact versions that made it. The lock file's checksum ties it to
``requirements/lock.txt`` (which ``scripts/setup_env.sh`` installs from, and
``scripts/lock.sh`` refreshes). Nothing in it depends on the time or the machine's
name, so two clones set up from one lock write the same record.
"""

from __future__ import annotations

import hashlib
import platform
import sys
from importlib import metadata
from pathlib import Path

#: the packages whose versions can move a figure (the lock holds every other one)
RECORDED_PACKAGES = (
    "numpy", "scipy", "pandas", "scikit-learn", "torch", "torchvision", "librosa", "soundfile", "soxr",
    "pedalboard", "pyloudnorm", "pretty_midi", "tinysoundfont", "musicnn", "transformers", "hear21passt",
    "timm", "jams", "mir_eval", "papermill",
)

LOCK_FILES = ("requirements/lock.txt", "requirements/nodeps.lock")


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def package_versions(names=RECORDED_PACKAGES) -> dict[str, str | None]:
    """``{name: installed version or None}``."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def locked_versions(lock: str | Path | None = None) -> dict[str, str]:
    """``{normalised name: version}`` pinned by a lock file (``name==version`` lines)."""
    path = Path(lock) if lock else _project_root() / LOCK_FILES[0]
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip().rstrip("\\").strip()
        if "==" in line and not line.startswith("-"):
            name, version = line.split("==", 1)
            pins[_normalise(name)] = version.split(";")[0].strip()
    return pins


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def lock_digest(root: str | Path | None = None) -> str | None:
    """sha256 over the lock files (as the venv's cache key), or None when they are absent."""
    root = Path(root) if root else _project_root()
    digest = hashlib.sha256()
    for rel in LOCK_FILES:
        path = root / rel
        if not path.is_file():
            return None
        digest.update(path.read_bytes())
    return digest.hexdigest()


def off_lock(installed: dict[str, str | None] | None = None, lock: str | Path | None = None) -> dict[str, tuple]:
    """Packages whose installed version is not the locked one: ``{name: (installed, locked)}``."""
    installed = package_versions() if installed is None else installed
    try:
        pins = locked_versions(lock)
    except OSError:
        return {}
    if lock is None:
        nodeps = _project_root() / LOCK_FILES[1]
        if nodeps.is_file():
            pins.update(locked_versions(nodeps))
    out = {}
    for name, version in installed.items():
        want = pins.get(_normalise(name))
        if want is not None and version is not None and version != want:
            out[name] = (version, want)
    return out


def environment_record() -> dict:
    """The run's environment, for ``metrics.json``: Python, platform, lock digest, versions."""
    versions = package_versions()
    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": f"{platform.system()}-{platform.machine()}",
        "lock_sha256": lock_digest(),
        "packages": versions,
        "off_lock": {k: {"installed": a, "locked": b} for k, (a, b) in off_lock(versions).items()},
    }
