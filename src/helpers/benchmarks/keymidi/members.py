"""MIDI files inside packages: plain members, members of zip archives, and music lumps of
Doom WAD files (``archive!member``, as the Debian benchmark writes zip members)."""

from __future__ import annotations

import os
import posixpath
import struct
import subprocess
import tarfile
import zipfile
from pathlib import Path

from ..debian.common import FetchError, MemberMissing
from ..debian.extract import _norm_member
from .common import MIDI_SUFFIXES

#: container suffixes whose members are looked into
ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip", ".wad")


def split_path(path: str) -> tuple[str, str | None]:
    """``"/usr/x.zip!a/b.mid"`` -> ``("/usr/x.zip", "a/b.mid")``; a plain path -> ``(path, None)``."""
    outer, sep, inner = path.partition("!")
    return outer, (inner if sep else None)


def is_midi_name(name: str) -> bool:
    return name.lower().endswith(MIDI_SUFFIXES)


def list_deb(deb: str | os.PathLike) -> list[str]:
    """Paths (``/usr/...``) of the regular files and links in a .deb's data archive."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    names: list[str] = []
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for info in tar:
                if info.isreg() or info.issym() or info.islnk():
                    names.append(_norm_member(info.name))
    except tarfile.TarError as exc:
        raise FetchError(f"{Path(deb).name}: cannot list data archive ({exc})") from exc
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        rc = proc.wait()
    if rc != 0:
        raise FetchError(f"{Path(deb).name}: dpkg-deb --fsys-tarfile failed ({err})")
    return names


def wad_midi_lumps(data: bytes) -> dict[str, bytes]:
    """``{lump name: bytes}`` of the lumps of a Doom WAD that are Standard MIDI Files."""
    if len(data) < 12 or data[:4] not in (b"IWAD", b"PWAD"):
        raise ValueError("not a WAD file")
    _, count, offset = struct.unpack("<4sii", data[:12])
    out: dict[str, bytes] = {}
    for i in range(count):
        entry = data[offset + 16 * i: offset + 16 * i + 16]
        if len(entry) < 16:
            break
        pos, size, raw = struct.unpack("<ii8s", entry)
        name = raw.split(b"\0", 1)[0].decode("ascii", errors="replace")
        lump = data[pos:pos + size]
        if lump[:4] == b"MThd" and name not in out:
            out[name] = lump
    return out


def inner_midis(container: Path) -> dict[str, bytes]:
    """The MIDI members of a zip archive or WAD file: ``{inner name: bytes}``."""
    suffix = container.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(container) as zf:
                return {i.filename: zf.read(i) for i in zf.infolist()
                        if not i.is_dir() and is_midi_name(i.filename)}
        except zipfile.BadZipFile as exc:
            raise FetchError(f"{container.name}: not a readable zip archive ({exc})") from exc
    if suffix == ".wad":
        try:
            return wad_midi_lumps(container.read_bytes())
        except ValueError as exc:
            raise FetchError(f"{container.name}: {exc}") from exc
    raise ValueError(f"{container}: not a container this benchmark reads")


def read_inner(container: Path, inner: str) -> bytes:
    """One MIDI member of a zip archive or WAD file; :class:`MemberMissing` when absent."""
    suffix = container.suffix.lower()
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(container) as zf:
                return zf.read(inner)
        except KeyError:
            raise MemberMissing(f"{inner} not found in {container.name}") from None
        except zipfile.BadZipFile as exc:
            raise FetchError(f"{container.name}: not a readable zip archive ({exc})") from exc
    lumps = inner_midis(container)
    if inner not in lumps:
        raise MemberMissing(f"{inner} not found in {container.name}")
    return lumps[inner]


def member_stem(path: str) -> str:
    """The name a track id is made from: the inner member's, else the file's (no suffix)."""
    outer, inner = split_path(path)
    name = posixpath.basename(inner if inner is not None else outer)
    if inner is not None and outer.lower().endswith(".wad"):
        return f"{posixpath.splitext(posixpath.basename(outer))[0]}-{name}"
    return posixpath.splitext(name)[0]
