"""Extraction: the wanted members of a .deb (streamed from ``dpkg-deb
--fsys-tarfile``, links followed), members of zip archives, and the stems
that go with a Frets on Fire ``song.ogg``."""

from __future__ import annotations

import os
import posixpath
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Iterable

from .common import STEM_NAMES, STEM_PACKAGE_PREFIX, FetchError, MemberMissing


def _norm_member(name: str) -> str:
    """A tar member name (``./usr/x``) or package path (``/usr/x``) as ``/usr/x``."""
    if name.startswith("./"):
        name = name[2:]
    return posixpath.normpath("/" + name.lstrip("/"))


def _member_file(dest: Path, member: str) -> Path:
    """Where an extracted member is stored under ``dest``."""
    return dest.joinpath(*[p for p in member.split("/") if p])


def extract_members(deb: str | os.PathLike, members: Iterable[str], dest: str | os.PathLike
                    ) -> dict[str, Path]:
    """Extract the regular files ``members`` (paths inside the package) from ``deb``.

    Streams ``dpkg-deb --fsys-tarfile`` through :mod:`tarfile`, writing only
    the wanted members under ``dest`` (symbolic and hard links inside the
    package are followed). Returns ``{member: extracted file}`` for the
    members found; missing ones are simply absent. Raises :class:`FetchError`
    when the package cannot be read.
    """
    dest = Path(dest)
    wanted = {_norm_member(m) for m in members}
    found: dict[str, Path] = {}
    aliases: dict[str, str] = {}  # link -> target, both normalised
    pending = set(wanted)
    for _ in range(8):  # passes; more than one only when links point to other members
        if not pending:
            break
        links = _extract_pass(Path(deb), pending, dest, found)
        aliases.update(links)
        pending = {t for t in links.values() if t not in found and t not in aliases}
    result: dict[str, Path] = {}
    for member in wanted:
        name, hops = member, 0
        while name in aliases and hops < 16:
            name, hops = aliases[name], hops + 1
        if name in found:
            result[member] = found[name]
    return result


def _extract_pass(deb: Path, pending: set[str], dest: Path, found: dict[str, Path]
                  ) -> dict[str, str]:
    """One streaming pass over the data tarball; returns links met ``{link: target}``."""
    links: dict[str, str] = {}
    remaining = set(pending)
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)],
                                stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        consumed = False  # whole stream read: dpkg-deb's exit status then counts
        failure: Exception | None = None
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
                for info in tar:
                    name = _norm_member(info.name)
                    if name not in remaining:
                        continue
                    remaining.discard(name)
                    if info.isreg():
                        target = _member_file(dest, name)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        src = tar.extractfile(info)
                        assert src is not None
                        with src, open(target, "wb") as out:
                            shutil.copyfileobj(src, out, 1 << 20)
                        found[name] = target
                    elif info.issym():
                        base = posixpath.dirname(name)
                        links[name] = _norm_member(info.linkname if info.linkname.startswith("/")
                                                   else posixpath.join(base, info.linkname))
                    elif info.islnk():
                        links[name] = _norm_member(info.linkname)
                    if not remaining:
                        break  # all found: stop reading, dpkg-deb is killed below
                else:
                    while proc.stdout.read(1 << 16):  # drain trailing padding
                        pass
                    consumed = True
        except tarfile.TarError as exc:
            failure = exc
        finally:
            if not consumed:
                proc.stdout.close()
                proc.kill()
            proc.wait()
        errors.seek(0)
        message = errors.read().decode(errors="replace").strip()
    if failure is not None:
        raise FetchError(f"{deb.name}: cannot read data archive ({message or failure})") from failure
    if consumed and proc.returncode != 0:
        raise FetchError(f"{deb.name}: dpkg-deb --fsys-tarfile failed ({message})")
    return links


def _extract_zip_member(archive: Path, member: str, dest: Path) -> Path:
    """Copy ``member`` of the zip ``archive`` to a file under ``dest``."""
    try:
        with zipfile.ZipFile(archive) as zf:
            try:
                info = zf.getinfo(member)
            except KeyError:
                raise MemberMissing(f"{member} not found in {archive.name}") from None
            target = _member_file(dest / f"{archive.name}.d", member)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
            return target
    except zipfile.BadZipFile as exc:
        raise FetchError(f"{archive.name}: not a readable zip archive ({exc})") from exc


def _stem_members(package: str, path: str) -> list[str]:
    """Sibling stems to extract with a stem pack's ``song.ogg`` (else none)."""
    if "!" in path or not package.startswith(STEM_PACKAGE_PREFIX):
        return []
    if posixpath.basename(path) != "song.ogg":
        return []
    folder = posixpath.dirname(path)
    return [posixpath.join(folder, name) for name in STEM_NAMES]
