"""libopenmpt through ctypes: find (or fetch from Debian) the shared library, and a small
binding for rendering a tracker module and reading its tempo state.

Where the library comes from, first that works:

1. ``$SYNTHMIR_LIBOPENMPT``: the path of a ``libopenmpt.so``;
2. the system's ``libopenmpt.so.0`` (``apt-get install libopenmpt0`` puts it there);
3. the project cache, ``<cache>/lib/<arch>/`` (default ``~/.cache/synthmir/modules``),
   where step 4 leaves it;
4. with ``fetch=True``: Debian's ``libopenmpt0`` and those of its library dependencies
   the machine lacks (``libogg0``, ``libvorbis0a``, ``libvorbisfile3``, ``libmpg123-0``)
   are downloaded as .debs with private apt lists (:mod:`helpers.benchmarks.debian`:
   ``apt-get download``, nothing installed) and their ``.so`` files extracted into the
   cache. The dependencies are loaded first with ``RTLD_GLOBAL``, so the dynamic linker
   resolves libopenmpt's ``DT_NEEDED`` entries by their sonames.

The C signatures bound (libopenmpt.h; Debian bookworm ships 0.6.9, API 0.3)::

    uint32_t openmpt_get_library_version(void);
    const char * openmpt_get_string(const char * key);             /* free with openmpt_free_string */
    void openmpt_free_string(const char * str);
    void openmpt_log_func_silent(const char * message, void * user);       /* passed as logfunc */
    int openmpt_error_func_store(int error, void * user);                   /* passed as errfunc */
    openmpt_module * openmpt_module_create_from_memory2(
        const void * filedata, size_t filesize,
        openmpt_log_func logfunc, void * loguser,
        openmpt_error_func errfunc, void * erruser,
        int * error, const char ** error_message,                  /* message: free it */
        const openmpt_module_initial_ctl * ctls);                  /* {ctl, value} ..., {NULL, NULL} */
    void openmpt_module_destroy(openmpt_module * mod);
    int openmpt_module_select_subsong(openmpt_module * mod, int32_t subsong);
    int32_t openmpt_module_get_num_subsongs(openmpt_module * mod);
    int openmpt_module_set_repeat_count(openmpt_module * mod, int32_t repeat_count);
    size_t openmpt_module_read_float_mono(openmpt_module * mod, int32_t samplerate,
                                          size_t count, float * mono);   /* 0 at the end */
    double openmpt_module_get_duration_seconds(openmpt_module * mod);
    double openmpt_module_get_position_seconds(openmpt_module * mod);
    int32_t openmpt_module_get_current_tempo(openmpt_module * mod);     /* tempo2 (double) is 0.7+ */
    int32_t openmpt_module_get_current_speed(openmpt_module * mod);
    double openmpt_module_get_current_estimated_bpm(openmpt_module * mod);
    int32_t openmpt_module_get_current_order(openmpt_module * mod);
    int32_t openmpt_module_get_current_pattern(openmpt_module * mod);
    int32_t openmpt_module_get_current_row(openmpt_module * mod);
    int32_t openmpt_module_get_num_channels(openmpt_module * mod);
    int32_t openmpt_module_get_num_orders(openmpt_module * mod);
    int32_t openmpt_module_get_num_patterns(openmpt_module * mod);
    int32_t openmpt_module_get_order_pattern(openmpt_module * mod, int32_t order);
    int32_t openmpt_module_get_pattern_num_rows(openmpt_module * mod, int32_t pattern);
    uint8_t openmpt_module_get_pattern_row_channel_command(openmpt_module * mod, int32_t pattern,
        int32_t row, int32_t channel, int command);          /* command 0: note (1-120 a note) */
    const char * openmpt_module_get_metadata(openmpt_module * mod, const char * key);  /* free it */
    const char * openmpt_module_error_get_last_message(openmpt_module * mod);          /* free it */
    const char * openmpt_module_get_ctls(openmpt_module * mod);     /* ';'-separated; free it */
    int openmpt_module_ctl_set_boolean(openmpt_module * mod, const char * ctl, int value);
    int openmpt_module_ctl_set_text(openmpt_module * mod, const char * ctl, const char * value);

``openmpt_module_get_current_tempo2`` (a fractional tempo) exists from libopenmpt 0.7 on;
it is used when the loaded library has it, else ``get_current_tempo``. Floating-point
output is not clipped by libopenmpt (it may overshoot +-1); callers normalise.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import platform
import posixpath
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..debian.apt import AptLists, deb_fields, download_deb
from ..debian.common import FetchError
from ..debian.extract import extract_members
from ...errors import SynthMIRError

logger = logging.getLogger(__package__)

#: Debian packages providing libopenmpt and its dependencies, in load order, with sonames.
LIBRARY_PACKAGES: tuple[tuple[str, str], ...] = (
    ("libogg0", "libogg.so.0"),
    ("libvorbis0a", "libvorbis.so.0"),
    ("libvorbisfile3", "libvorbisfile.so.3"),
    ("libmpg123-0", "libmpg123.so.0"),
    ("libopenmpt0", "libopenmpt.so.0"),
)
#: Environment variable naming a libopenmpt shared library to use instead.
ENV_LIBRARY = "SYNTHMIR_LIBOPENMPT"
#: Sample rate of rendered audio.
RENDER_SR = 32_000


class LibraryUnavailable(SynthMIRError):
    """libopenmpt could not be found, fetched or loaded; the message says which step failed."""


class ModuleError(SynthMIRError, ValueError):
    """A file libopenmpt cannot open as a module (or a call on it failed)."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/synthmir/modules`` (``~/.cache`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthmir" / "modules"


def _debian_arch() -> str:
    """The dpkg architecture (``amd64``), else the machine name."""
    try:
        out = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                             timeout=30, check=False)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return platform.machine()


def library_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Where fetched ``.so`` files are kept: ``<cache>/lib/<arch>``."""
    return Path(cache_dir or default_cache_dir()) / "lib" / _debian_arch()


def deb_members(deb: Path) -> dict[str, tuple[str, int, str]]:
    """The members of a .deb's data archive: ``{"/usr/...": (kind, size, link target)}``
    with kind ``file``, ``link`` (symbolic or hard), ``dir`` or ``other``."""
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    members: dict[str, tuple[str, int, str]] = {}
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for info in tar:
                name = info.name[2:] if info.name.startswith("./") else info.name
                name = posixpath.normpath("/" + name.lstrip("/"))
                kind = ("file" if info.isreg() else "link" if info.issym() or info.islnk()
                        else "dir" if info.isdir() else "other")
                members[name] = (kind, int(info.size), info.linkname)
    except tarfile.TarError as exc:
        raise FetchError(f"{deb.name}: cannot list its data archive ({exc})") from exc
    finally:
        proc.stdout.close()
        proc.wait()
    return members


def _system_has(soname: str) -> bool:
    """True when the dynamic linker finds ``soname`` without help."""
    try:
        ctypes.CDLL(soname, mode=ctypes.RTLD_GLOBAL)
        return True
    except OSError:
        return False


def fetch_library(cache_dir: str | os.PathLike | None = None, apt: AptLists | None = None) -> Path:
    """Download libopenmpt0 (and the dependencies the system lacks), extract their ``.so``
    files into :func:`library_dir`; returns that folder. Raises :class:`LibraryUnavailable`."""
    cache = Path(cache_dir or default_cache_dir())
    target = library_dir(cache)
    target.mkdir(parents=True, exist_ok=True)
    apt = apt or AptLists(cache)
    versions: dict[str, str] = {}
    for package, soname in LIBRARY_PACKAGES:
        if (target / soname).is_file():
            continue
        if package != "libopenmpt0" and _system_has(soname):
            continue
        try:
            deb = download_deb(package, "", cache, apt)
            version = deb_fields(deb).get("Version", "")
            member = next((m for m in deb_members(deb)
                           if re.fullmatch(r"/usr/lib/[^/]+/" + re.escape(soname), m)), None)
            if member is None:
                raise FetchError(f"{deb.name} has no /usr/lib/*/{soname}")
            with tempfile.TemporaryDirectory(prefix=".lib-", dir=cache) as tmp:
                got = extract_members(deb, [member], tmp)
                if member not in got:
                    raise FetchError(f"{member} could not be extracted from {deb.name}")
                part = target / f".{soname}.part"
                shutil.copyfile(got[member], part)
                os.replace(part, target / soname)
        except FetchError as exc:
            raise LibraryUnavailable(
                f"libopenmpt: cannot fetch {package} ({soname}) into {target}: {exc}") from exc
        versions[package] = version
        logger.info("extracted %s from %s %s into %s", soname, package, version, target)
    if versions:
        stamp = target / "packages.json"
        old = json.loads(stamp.read_text()) if stamp.is_file() else {}
        stamp.write_text(json.dumps({**old, **versions}, indent=1, sort_keys=True) + "\n")
    return target


def _load_from(folder: Path) -> ctypes.CDLL:
    """Load the dependencies found in ``folder`` (RTLD_GLOBAL), then libopenmpt from it."""
    for package, soname in LIBRARY_PACKAGES[:-1]:
        path = folder / soname
        if path.is_file():
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
        elif not _system_has(soname):
            raise OSError(f"{soname} (Debian {package}) is neither in {folder} nor on the system")
    return ctypes.CDLL(str(folder / LIBRARY_PACKAGES[-1][1]), mode=ctypes.RTLD_GLOBAL)


_LIB: "LibOpenMPT | None" = None


def load_library(cache_dir: str | os.PathLike | None = None, fetch: bool = True) -> "LibOpenMPT":
    """The libopenmpt binding (loaded once per process); see the module docstring for the
    search order. Raises :class:`LibraryUnavailable` saying what was tried."""
    global _LIB
    if _LIB is not None:
        return _LIB
    tried = []
    env = os.environ.get(ENV_LIBRARY)
    if env:
        try:
            _LIB = LibOpenMPT(ctypes.CDLL(env, mode=ctypes.RTLD_GLOBAL), f"${ENV_LIBRARY}={env}")
            return _LIB
        except OSError as exc:
            raise LibraryUnavailable(f"${ENV_LIBRARY}={env}: cannot load it ({exc})") from exc
    found = ctypes.util.find_library("openmpt")
    if found:
        try:
            _LIB = LibOpenMPT(ctypes.CDLL(found, mode=ctypes.RTLD_GLOBAL), f"system {found}")
            return _LIB
        except OSError as exc:
            tried.append(f"system {found}: {exc}")
    else:
        tried.append("no system libopenmpt")
    folder = library_dir(cache_dir)
    if (folder / "libopenmpt.so.0").is_file():
        try:
            _LIB = LibOpenMPT(_load_from(folder), str(folder))
            return _LIB
        except OSError as exc:
            tried.append(f"{folder}: {exc}")
    else:
        tried.append(f"nothing in {folder}")
    if not fetch:
        raise LibraryUnavailable("libopenmpt not available (" + "; ".join(tried) + "); "
                                 "fetch it with: python -m helpers.benchmarks.modules library")
    folder = fetch_library(cache_dir)
    try:
        _LIB = LibOpenMPT(_load_from(folder), str(folder))
    except OSError as exc:
        raise LibraryUnavailable(f"libopenmpt fetched into {folder} but cannot be loaded ({exc})") from exc
    return _LIB


class _InitialCtl(ctypes.Structure):
    _fields_ = [("ctl", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class LibOpenMPT:
    """The loaded library with its function prototypes declared."""

    def __init__(self, lib: ctypes.CDLL, origin: str):
        self.lib, self.origin = lib, origin
        c = ctypes
        vp, i32, dbl, cp = c.c_void_p, c.c_int32, c.c_double, c.c_char_p
        protos = {
            "openmpt_get_library_version": (c.c_uint32, []),
            "openmpt_get_string": (vp, [cp]),
            "openmpt_free_string": (None, [vp]),
            "openmpt_module_create_from_memory2": (
                vp, [vp, c.c_size_t, vp, vp, vp, vp, c.POINTER(c.c_int), c.POINTER(vp),
                     c.POINTER(_InitialCtl)]),
            "openmpt_module_destroy": (None, [vp]),
            "openmpt_module_select_subsong": (c.c_int, [vp, i32]),
            "openmpt_module_get_num_subsongs": (i32, [vp]),
            "openmpt_module_set_repeat_count": (c.c_int, [vp, i32]),
            "openmpt_module_read_float_mono": (c.c_size_t, [vp, i32, c.c_size_t, c.POINTER(c.c_float)]),
            "openmpt_module_get_duration_seconds": (dbl, [vp]),
            "openmpt_module_get_position_seconds": (dbl, [vp]),
            "openmpt_module_get_current_tempo": (i32, [vp]),
            "openmpt_module_get_current_speed": (i32, [vp]),
            "openmpt_module_get_current_estimated_bpm": (dbl, [vp]),
            "openmpt_module_get_current_order": (i32, [vp]),
            "openmpt_module_get_current_pattern": (i32, [vp]),
            "openmpt_module_get_current_row": (i32, [vp]),
            "openmpt_module_get_num_channels": (i32, [vp]),
            "openmpt_module_get_num_orders": (i32, [vp]),
            "openmpt_module_get_num_patterns": (i32, [vp]),
            "openmpt_module_get_order_pattern": (i32, [vp, i32]),
            "openmpt_module_get_pattern_num_rows": (i32, [vp, i32]),
            "openmpt_module_get_pattern_row_channel_command": (c.c_uint8, [vp, i32, i32, i32, c.c_int]),
            "openmpt_module_get_metadata": (vp, [vp, cp]),
            "openmpt_module_error_get_last_message": (vp, [vp]),
            "openmpt_module_get_ctls": (vp, [vp]),
            "openmpt_module_ctl_set_boolean": (c.c_int, [vp, cp, c.c_int]),
            "openmpt_module_ctl_set_text": (c.c_int, [vp, cp, cp]),
        }
        for name, (restype, argtypes) in protos.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                raise LibraryUnavailable(f"{origin}: libopenmpt lacks {name} (too old?)") from None
            fn.restype, fn.argtypes = restype, argtypes
        self.tempo2 = getattr(lib, "openmpt_module_get_current_tempo2", None)
        if self.tempo2 is not None:
            self.tempo2.restype, self.tempo2.argtypes = dbl, [vp]
        self.log_silent = c.cast(lib.openmpt_log_func_silent, vp)
        self.error_store = c.cast(lib.openmpt_error_func_store, vp)

    def take_string(self, ptr: int | None) -> str:
        """A string libopenmpt allocated, decoded, and freed."""
        if not ptr:
            return ""
        try:
            return ctypes.string_at(ptr).decode("utf-8", errors="replace")
        finally:
            self.lib.openmpt_free_string(ptr)

    @property
    def version(self) -> str:
        """libopenmpt's library version string (``0.6.9``)."""
        return self.take_string(self.lib.openmpt_get_string(b"library_version"))


@dataclass(frozen=True)
class TempoState:
    """What libopenmpt reports at one moment of playback."""

    position_s: float
    tempo: float
    speed: int
    estimated_bpm: float
    order: int
    pattern: int
    row: int


class Module:
    """One tracker module loaded into libopenmpt (use as a context manager).

    ``ctls`` are initial ctl settings (``{"render.resampler.emulate_amiga": "1"}``);
    ``subsong`` is selected (0: the first; -1: all, one after another); ``repeat`` is
    libopenmpt's repeat count (0: play once, -1: loop for ever).
    """

    def __init__(self, data: bytes, name: str = "<memory>", lib: LibOpenMPT | None = None,
                 ctls: dict[str, str] | None = None, subsong: int = 0, repeat: int = 0):
        self.lib = lib or load_library()
        self.name = name
        self._data = ctypes.create_string_buffer(bytes(data), len(data))
        items = list((ctls or {}).items())
        arr = (_InitialCtl * (len(items) + 1))(
            *[_InitialCtl(k.encode(), str(v).encode()) for k, v in items], _InitialCtl(None, None))
        error = ctypes.c_int(0)
        message = ctypes.c_void_p(None)
        L = self.lib.lib
        self._mod = L.openmpt_module_create_from_memory2(
            ctypes.cast(self._data, ctypes.c_void_p), len(data), self.lib.log_silent, None,
            self.lib.error_store, None, ctypes.byref(error), ctypes.byref(message), arr)
        text = self.lib.take_string(message.value)
        if not self._mod:
            raise ModuleError(f"{name}: libopenmpt cannot open it as a module "
                              f"({text or 'error ' + str(error.value)})")
        unknown = [k for k, _ in items if k not in self.ctls()]
        if unknown:  # libopenmpt 0.6 ignores unknown initial ctls without a word
            self.close()
            raise ModuleError(f"{name}: unknown libopenmpt ctl(s) {', '.join(unknown)}")
        self.num_subsongs = int(L.openmpt_module_get_num_subsongs(self._mod))
        if subsong != 0 and not L.openmpt_module_select_subsong(self._mod, subsong):
            self.close()
            raise ModuleError(f"{name}: cannot select subsong {subsong} of {self.num_subsongs}")
        L.openmpt_module_set_repeat_count(self._mod, repeat)

    def __enter__(self) -> "Module":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_mod", None):
            self.lib.lib.openmpt_module_destroy(self._mod)
            self._mod = None

    def __del__(self):
        self.close()

    def _handle(self) -> int:
        if not self._mod:
            raise ModuleError(f"{self.name}: module already closed")
        return self._mod

    def metadata(self, key: str) -> str:
        """A metadata value (``type``, ``type_long``, ``title``, ``artist``, ``tracker``, ...)."""
        return self.lib.take_string(self.lib.lib.openmpt_module_get_metadata(self._handle(), key.encode()))

    @property
    def duration_s(self) -> float:
        """Length of the selected subsong, played once (libopenmpt's estimate)."""
        return float(self.lib.lib.openmpt_module_get_duration_seconds(self._handle()))

    @property
    def num_channels(self) -> int:
        return int(self.lib.lib.openmpt_module_get_num_channels(self._handle()))

    def note_onsets(self, orders: "list[int] | None" = None) -> tuple[np.ndarray, np.ndarray]:
        """Notes struck per pattern row: ``(row within its pattern, number of notes)`` for
        every row of the patterns at ``orders`` (default: the whole order list), in order."""
        L, m = self.lib.lib, self._handle()
        n_orders, n_patterns = L.openmpt_module_get_num_orders(m), L.openmpt_module_get_num_patterns(m)
        channels = self.num_channels
        rows, counts = [], []
        for order in (range(n_orders) if orders is None else orders):
            if not 0 <= order < n_orders:
                continue
            pattern = L.openmpt_module_get_order_pattern(m, order)
            if not 0 <= pattern < n_patterns:
                continue  # separator or end marker
            for row in range(max(0, L.openmpt_module_get_pattern_num_rows(m, pattern))):
                notes = sum(1 for ch in range(channels)
                            if 1 <= L.openmpt_module_get_pattern_row_channel_command(m, pattern, row, ch, 0) <= 120)
                rows.append(row)
                counts.append(notes)
        return np.asarray(rows, dtype=int), np.asarray(counts, dtype=float)

    def ctls(self) -> list[str]:
        """The ctl names this libopenmpt knows (``play.at_end``, ``render.resampler.emulate_amiga``, ...)."""
        return [c for c in self.lib.take_string(self.lib.lib.openmpt_module_get_ctls(self._handle())).split(";") if c]

    def set_ctl(self, ctl: str, value: bool | str) -> None:
        """Set a ctl (boolean or text); raises :class:`ModuleError` when libopenmpt refuses."""
        L = self.lib.lib
        ok = (L.openmpt_module_ctl_set_boolean(self._handle(), ctl.encode(), int(value))
              if isinstance(value, bool) else
              L.openmpt_module_ctl_set_text(self._handle(), ctl.encode(), str(value).encode()))
        if not ok:
            raise ModuleError(f"{self.name}: libopenmpt refused ctl {ctl}={value!r} "
                              f"({self.lib.take_string(L.openmpt_module_error_get_last_message(self._mod))})")

    def state(self) -> TempoState:
        """Tempo, speed, estimated BPM and position now."""
        L, m = self.lib.lib, self._handle()
        tempo = self.lib.tempo2(m) if self.lib.tempo2 is not None else L.openmpt_module_get_current_tempo(m)
        return TempoState(float(L.openmpt_module_get_position_seconds(m)), float(tempo),
                          int(L.openmpt_module_get_current_speed(m)),
                          float(L.openmpt_module_get_current_estimated_bpm(m)),
                          int(L.openmpt_module_get_current_order(m)),
                          int(L.openmpt_module_get_current_pattern(m)),
                          int(L.openmpt_module_get_current_row(m)))

    def read(self, frames: int, samplerate: int = RENDER_SR) -> np.ndarray:
        """Render up to ``frames`` mono float32 frames (fewer, or none, at the end)."""
        buf = np.zeros(int(frames), dtype=np.float32)
        got = self.lib.lib.openmpt_module_read_float_mono(
            self._handle(), int(samplerate), buf.size, buf.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return buf[:got]

    def render(self, seconds: float | None = None, samplerate: int = RENDER_SR,
               block: int = 4096) -> np.ndarray:
        """Render from the current position: ``seconds`` of audio, or to the end (``None``)."""
        limit = None if seconds is None else int(round(seconds * samplerate))
        parts, total = [], 0
        while limit is None or total < limit:
            want = block if limit is None else min(block, limit - total)
            chunk = self.read(want, samplerate)
            if chunk.size == 0:
                break
            parts.append(chunk)
            total += chunk.size
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
