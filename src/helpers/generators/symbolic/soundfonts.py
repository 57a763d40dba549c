"""The SoundFonts the symbolic generator plays its parts through: finding and fetching them.

Three kinds of file, all SoundFont 2 (tinysoundfont reads no ``.sf3``):

* General MIDI sets (every GM program, plus drum kits in bank 128):
  TimGM6mb (6 MB, ships inside the pretty_midi wheel: the floor that always
  works), FluidR3_GM (Debian ``fluid-soundfont-gm``) and MuseScore General
  (Debian ``musescore-general-soundfont-lossless``).
* Acoustic drum kits: the AVL Drumkits (Debian ``avldrums.lv2-soundfont``),
  real multi-sampled kits (Black Pearl, Red Zeppelin) with GM drum keys on
  bank 0, preset 0.

Debian packages are fetched without root into the project's cache
(``$XDG_CACHE_HOME/synthmir/soundfonts``, or ``SYNTHMIR_SOUNDFONTS``) with the
same private-apt machinery as the real benchmark (:mod:`helpers.realbench`);
only the ``.sf2`` members are extracted. Files installed system-wide
(``/usr/share/sounds/sf2``) are used as they are. Set-up runs the fetch once
(``python -m helpers.generators.symbolic.soundfonts fetch``); without apt the
study goes on with what it has, and says so once.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

log = logging.getLogger(__name__)

#: Debian package -> the SoundFont files it ships (paths inside the package)
PACKAGES: dict[str, tuple[str, ...]] = {
    "fluid-soundfont-gm": ("/usr/share/sounds/sf2/FluidR3_GM.sf2",),
    "musescore-general-soundfont-lossless": ("/usr/share/sounds/sf2/MuseScore_General_Full.sf2",),
    "avldrums.lv2-soundfont": ("/usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
                               "/usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2"),
}
#: file name -> kind ("gm": a General MIDI set; "kit": an acoustic drum kit on bank 0 preset 0)
KINDS: dict[str, str] = {
    "TimGM6mb.sf2": "gm",
    "FluidR3_GM.sf2": "gm",
    "MuseScore_General_Full.sf2": "gm",
    "Black_Pearl_4_LV2.sf2": "kit",
    "Red_Zeppelin_4_LV2.sf2": "kit",
}
_SYSTEM_DIRS = ("/usr/share/sounds/sf2", "/usr/share/soundfonts", "/usr/local/share/soundfonts",
                "/opt/homebrew/share/soundfonts")


def cache_dir() -> Path:
    """Where fetched SoundFonts live (``SYNTHMIR_SOUNDFONTS`` or ``$XDG_CACHE_HOME/synthmir/soundfonts``)."""
    env = os.environ.get("SYNTHMIR_SOUNDFONTS")
    if env:
        return Path(env).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "synthmir" / "soundfonts"


def timgm6mb() -> str:
    """Path of pretty_midi's TimGM6mb.sf2 (always there)."""
    import pretty_midi

    path = Path(pretty_midi.__file__).resolve().parent / "TimGM6mb.sf2"
    if not path.is_file():  # pragma: no cover - pretty_midi always ships it
        raise FileNotFoundError(f"pretty_midi's TimGM6mb.sf2 is missing ({path}); reinstall pretty_midi")
    return str(path)


@dataclass(frozen=True)
class SoundFontSet:
    """The SoundFonts one clip's parts are drawn from: General MIDI sets and drum kits (absolute paths)."""

    gm: tuple[str, ...]
    kits: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.gm + self.kits


def _find(name: str) -> str | None:
    for folder in (cache_dir(), *_SYSTEM_DIRS):
        path = Path(folder) / name
        if path.is_file():
            return str(path.resolve())
    return None


def find_soundfonts() -> list[str]:
    """Every known SoundFont available here: TimGM6mb first, then fetched or installed ones."""
    found = [timgm6mb()]
    for name in KINDS:
        if name != "TimGM6mb.sf2":
            path = _find(name)
            if path:
                found.append(path)
    return list(dict.fromkeys(found))


def kind_of(path: str | os.PathLike) -> str:
    """``"gm"`` or ``"kit"`` for a SoundFont file (unknown files count as General MIDI sets)."""
    return KINDS.get(Path(path).name, "gm")


def resolve_soundfonts(spec: str | os.PathLike | Sequence[str | os.PathLike]) -> tuple[str, ...]:
    """Turn the ``soundfonts`` option into existing file paths.

    ``"auto"`` is every SoundFont :func:`find_soundfonts` sees; ``"timgm6mb"``
    the floor alone; otherwise a path or a list of paths (items may also be
    ``"auto"``/``"timgm6mb"`` or a bare file name of :data:`KINDS`, looked up
    in the cache and system folders). Raises ``FileNotFoundError`` naming a
    missing file, ``ValueError`` when none is left.
    """
    items = [spec] if isinstance(spec, (str, os.PathLike)) else list(spec)
    out: list[str] = []
    for item in items:
        text = str(item)
        if text == "auto":
            out.extend(find_soundfonts())
        elif text.lower() == "timgm6mb":
            out.append(timgm6mb())
        elif text in KINDS and not Path(text).expanduser().is_file():
            path = timgm6mb() if text == "TimGM6mb.sf2" else _find(text)
            if path is None:
                raise FileNotFoundError(f"SoundFont {text} not found in {cache_dir()} or {', '.join(_SYSTEM_DIRS)}; "
                                        "fetch it with: python -m helpers.generators.symbolic.soundfonts fetch")
            out.append(path)
        else:
            path = Path(text).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"SoundFont not found: {path}")
            out.append(str(path.resolve()))
    out = list(dict.fromkeys(out))
    if not out:
        raise ValueError("soundfonts must name at least one SoundFont file")
    if not any(kind_of(p) == "gm" for p in out):
        raise ValueError(f"soundfonts {[Path(p).name for p in out]} hold no General MIDI set (drum kits alone "
                         "cannot play the melodic parts); add 'timgm6mb'")
    return tuple(out)


def soundfont_set(paths: Sequence[str]) -> SoundFontSet:
    """Split resolved paths into General MIDI sets and drum kits."""
    return SoundFontSet(gm=tuple(p for p in paths if kind_of(p) == "gm"),
                        kits=tuple(p for p in paths if kind_of(p) == "kit"))


def soundfont_identity(paths: Sequence[str]) -> list[dict]:
    """Names and sizes of SoundFont files: what tells one set of them from another."""
    return [{"name": os.path.basename(p), "bytes": os.path.getsize(p)} for p in paths]


def fetch_soundfonts(packages: Sequence[str] = tuple(PACKAGES), dest: str | os.PathLike | None = None,
                     progress: bool = True) -> dict[str, str]:
    """Download the Debian packages of :data:`PACKAGES` (no root) and extract their SoundFonts into ``dest``.

    Idempotent: files already in ``dest`` (or installed system-wide) are kept.
    Returns ``{package: status}`` where status is ``"cached"``, ``"system"``,
    ``"fetched"`` or ``"skipped: <reason>"``; a package that cannot be had is a
    skip, never an error.
    """
    from tqdm.auto import tqdm

    from helpers import realbench

    dest = Path(dest) if dest is not None else cache_dir()
    dest.mkdir(parents=True, exist_ok=True)
    status: dict[str, str] = {}
    for package in tqdm(list(packages), desc="SoundFonts", unit="pkg", disable=not progress):
        members = PACKAGES.get(package)
        if members is None:
            raise ValueError(f"unknown SoundFont package {package!r}; known: {', '.join(PACKAGES)}")
        names = [Path(m).name for m in members]
        if all((dest / n).is_file() for n in names):
            status[package] = "cached"
            continue
        if all(any((Path(d) / n).is_file() for d in _SYSTEM_DIRS) for n in names):
            status[package] = "system"
            continue
        try:
            deb = realbench.download_deb(package, "", dest / ".apt")
            found = realbench.extract_members(deb, list(members), dest / ".extract")
            for member, path in found.items():
                os.replace(path, dest / Path(member).name)
            for n in names:
                if not (dest / n).is_file():
                    raise realbench.MemberMissing(f"{n} not in {deb.name}")
            deb.unlink(missing_ok=True)  # the .sf2 is what we keep
            shutil.rmtree(dest / ".extract", ignore_errors=True)  # the package's emptied folders
            status[package] = "fetched"
        except (realbench.FetchError, OSError) as exc:
            status[package] = f"skipped: {exc}"
    return status


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``./synthmir soundfonts``."""
    parser = argparse.ArgumentParser(prog="python -m helpers.generators.symbolic.soundfonts",
                                     description="Fetch the symbolic generator's SoundFonts from Debian packages "
                                                 "into the cache (no root), or list what is available.")
    parser.add_argument("action", choices=["fetch", "list"])
    parser.add_argument("--dest", help=f"folder (default {cache_dir()})")
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.action == "fetch":
        status = fetch_soundfonts(dest=args.dest, progress=not args.quiet)
        missing = {p: s for p, s in status.items() if s.startswith("skipped")}
        if missing:
            print("SoundFonts: could not fetch " + "; ".join(f"{p} ({s})" for p, s in missing.items())
                  + " -- the symbolic generator goes on with what it has", file=sys.stderr)
    for path in find_soundfonts():
        print(f"{kind_of(path):4s} {os.path.getsize(path) / 2 ** 20:7.1f} MB  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
