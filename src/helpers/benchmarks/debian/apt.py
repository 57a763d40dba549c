"""apt without root: private package lists under the cache, and
``apt-get download`` of a package's .deb into ``<cache>/debs`` (cached ones reused)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .common import _APT_TIMEOUT_S, FetchError

logger = logging.getLogger(__package__)  # the package's logger, as before the split


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = _APT_TIMEOUT_S
         ) -> subprocess.CompletedProcess[str]:
    """Run a command with captured text output (C locale, no prompts)."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "DEBIAN_FRONTEND": "noninteractive"}
    logger.debug("running %s", " ".join(cmd))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


def _apt_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The most telling line of a failed apt run."""
    lines = [ln.strip() for ln in (proc.stderr + "\n" + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("E:")]
    return (errors or lines or [f"exit status {proc.returncode}"])[-1]


@dataclass
class AptLists:
    """apt package lists for downloads: private under ``cache_dir`` when possible.

    The first call of :meth:`options` runs ``apt-get update`` with
    ``Dir::State::Lists`` and ``Dir::Cache`` pointing into the cache, so the
    system's lists are left alone. If that fails, the system lists are used,
    but only after a plain ``apt-get update`` succeeded (logged as a warning).
    """

    cache_dir: Path
    _options: list[str] | None = field(default=None, init=False)
    _error: str | None = field(default=None, init=False)
    private: bool = field(default=False, init=False)

    def options(self) -> list[str]:
        """The ``-o`` options for apt-get; updates the lists once per instance."""
        if self._options is not None:
            return self._options
        if self._error is not None:
            raise FetchError(self._error)
        lists = self.cache_dir / "apt" / "lists"
        cache = self.cache_dir / "apt" / "cache"
        (lists / "partial").mkdir(parents=True, exist_ok=True)
        (cache / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        private = ["-o", f"Dir::State::Lists={lists}", "-o", f"Dir::Cache={cache}"]
        logger.info("updating private apt package lists in %s", lists)
        proc = _run(["apt-get", "-q", *private, "update"])
        if proc.returncode == 0:
            self._options, self.private = private, True
            return private
        logger.warning("private apt lists failed (%s); falling back to the system lists "
                       "after a plain 'apt-get update'", _apt_error(proc))
        proc = _run(["apt-get", "-q", "update"])
        if proc.returncode == 0:
            logger.warning("using the SYSTEM apt package lists (apt-get update succeeded)")
            self._options = []
            return self._options
        self._error = (f"apt package lists unavailable: private update and system update "
                       f"both failed ({_apt_error(proc)})")
        raise FetchError(self._error)


def deb_fields(deb: str | os.PathLike) -> dict[str, str]:
    """``Package`` and ``Version`` from a .deb's control file (via dpkg-deb)."""
    proc = _run(["dpkg-deb", "--field", str(deb), "Package", "Version"], timeout=120)
    if proc.returncode != 0:
        raise FetchError(f"{deb}: not a readable .deb ({proc.stderr.strip()})")
    fields = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def _cached_debs(debs_dir: Path, package: str) -> Iterator[tuple[Path, str]]:
    """``(path, version)`` of cached .debs of ``package``, newest file first."""
    found = sorted(debs_dir.glob(f"{package}_*.deb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for deb in found:
        try:
            fields = deb_fields(deb)
        except FetchError as exc:
            logger.warning("ignoring unreadable cached %s (%s)", deb.name, exc)
            continue
        if fields.get("Package") == package:
            yield deb, fields.get("Version", "")


def _apt_download(package: str, version: str, debs_dir: Path, apt: AptLists) -> Path:
    """``apt-get download package[=version]`` into ``debs_dir``, atomically."""
    spec = f"{package}={version}" if version else package
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=debs_dir))
    try:
        proc = _run(["apt-get", "-q", *apt.options(), "download", spec], cwd=tmp)
        for line in proc.stderr.splitlines():
            if line.startswith("W:"):
                logger.debug("apt: %s", line)
        got = sorted(tmp.glob("*.deb"))
        if proc.returncode != 0 or not got:
            raise FetchError(f"apt-get download {spec} failed: {_apt_error(proc)}")
        target = debs_dir / got[0].name
        os.replace(got[0], target)
        return target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def download_deb(package: str, version: str, cache_dir: str | os.PathLike,
                 apt: AptLists | None = None) -> Path:
    """A .deb of ``package`` in ``<cache_dir>/debs``, downloading it if needed.

    Preference: the exact ``version`` already cached; ``apt-get download
    package=version``; the version apt offers (logged); any cached version.
    An empty ``version`` takes whatever is cached, else what apt offers.
    Raises :class:`FetchError` when none of these works.
    """
    debs_dir = Path(cache_dir) / "debs"
    debs_dir.mkdir(parents=True, exist_ok=True)
    cached = list(_cached_debs(debs_dir, package))
    for deb, cached_version in cached:
        if not version or cached_version == version:
            logger.debug("using cached %s", deb.name)
            return deb
    apt = apt or AptLists(Path(cache_dir))
    errors: list[str] = []
    for spec_version in ([version, ""] if version else [""]):
        try:
            deb = _apt_download(package, spec_version, debs_dir, apt)
        except FetchError as exc:
            errors.append(str(exc))
            continue
        logger.info("downloaded %s", deb.name)
        return deb
    if cached:
        logger.warning("%s=%s not downloadable (%s); using cached %s", package, version,
                       errors[-1], cached[0][0].name)
        return cached[0][0]
    raise FetchError("; ".join(dict.fromkeys(errors)))
