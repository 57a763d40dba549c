"""One error type for user mistakes, and the handler every entry point shares.

A :class:`SynthMIRError` is something the user can fix: a bad setting, a
missing input or weight file, a benchmark with no usable track, a busy run
folder, a full disk. Every entry point (``./synthmir``, ``python -m
helpers.pipeline``, the notebooks' first cell, ``run_all.sh``) prints it as one
line (or a short list) and exits with status 2. Anything else is a bug or a
fault: its traceback is written to the run folder's ``logs/`` and the line
names that file (exit status 1).

Standard library only: the command line imports this before anything heavy.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Callable

#: exit status of a user error (argparse uses 2 for bad arguments too)
USER_ERROR = 2
#: exit status of an unexpected error (traceback in the run folder's logs/)
CRASH = 1
#: the first line of a short error a notebook cell shows (run_all.sh looks for it)
NOTEBOOK_MARK = "SynthMIR error:"

#: errno values of a full disk or a file-size limit
DISK_FULL = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


class SynthMIRError(Exception):
    """A mistake the user can fix; the message says what, where, and how."""


class StageError(SynthMIRError):
    """A stage could not make what it was asked to make, or found its input
    not what the stage before it recorded."""


class VerificationError(StageError):
    """A stage's output differs from what its ``.done`` marker recorded."""


class SettingsMismatch(StageError, RuntimeError):
    """A stage folder holds work made with other settings than those asked for now."""


class MissingInput(StageError, FileNotFoundError):
    """A stage's input is not there: the stage before it has not run (or not finished)."""


class RunFolderBusy(SynthMIRError):
    """Another process holds the run folder's lock (and we were told not to wait)."""


class DiskFullError(SynthMIRError, OSError):
    """A write failed for want of space (or a file-size limit); names the path and the space needed."""

    def __init__(self, path: str | os.PathLike, needed: int | None, cause: OSError):
        self.path, self.needed = Path(path), needed
        free = _free_bytes(self.path)
        need = f"about {_mb(needed)} needed, " if needed else ""
        have = f"{_mb(free)} free there" if free is not None else "free space unknown"
        why = "a file-size limit" if cause.errno == errno.EFBIG else "no space left on the device"
        super().__init__(f"cannot write {self.path}: {why} ({need}{have}). Free some space (or raise the limit) "
                         "and run the same command again: everything written before is kept")
        self.errno = cause.errno


def _mb(n: int | None) -> str:
    return "?" if n is None else f"{n / 2 ** 20:.1f} MB"


def _free_bytes(path: Path) -> int | None:
    for folder in (path.parent, *path.parents):
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            continue
    return None


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


def disk_full_error(exc: OSError, path: str | os.PathLike | None = None, needed: int | None = None) -> DiskFullError:
    """``exc`` (ENOSPC, EFBIG) as a :class:`DiskFullError` naming ``path`` (else the one the error names)."""
    return DiskFullError(path or exc.filename or "?", needed, exc)


# --- the entry points' handler -----------------------------------------------------------

def _logs_dir(run_path: Path | None) -> Path:
    if run_path is not None:
        return Path(run_path) / "logs"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "synthmir" / "logs"


def write_crash_log(exc: BaseException, what: str, run_path: Path | None = None) -> Path:
    """The traceback of ``exc`` in ``<run>/logs/<time>-<what>.log`` (the cache's logs/ without a run folder)."""
    return write_log("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), what, run_path)


def write_log(text: str, what: str, run_path: Path | None = None) -> Path:
    """``text`` (a traceback) in ``<run>/logs/<time>-<pid>-<what>.log``, headed by the command, PID and time."""
    text = f"command: {' '.join(sys.argv)}\npid: {os.getpid()}\ntime: {time.strftime('%Y-%m-%dT%H:%M:%S')}\n\n{text}"
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{what.replace('/', '_')}.log"
    for folder in (_logs_dir(run_path), _logs_dir(None)):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
            return folder / name
        except OSError:
            continue
    return Path("<not written: no writable logs folder>")


def report(exc: BaseException, prog: str, run_path: Path | Callable[[], Path | None] | None = None) -> int:
    """Print ``exc`` as an entry point should and return the exit status."""
    if isinstance(exc, KeyboardInterrupt):
        print(f"{prog}: interrupted; what was finished is kept: run the same command again to go on", file=sys.stderr)
        return 130
    if is_disk_full(exc) and not isinstance(exc, DiskFullError):
        exc = disk_full_error(exc)
    if isinstance(exc, SynthMIRError):
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return USER_ERROR
    if callable(run_path):
        try:
            run_path = run_path()
        except Exception:
            run_path = None
    log = write_crash_log(exc, prog.split()[-1], run_path)
    print(f"{prog}: unexpected error: {type(exc).__name__}: {exc} (traceback: {log})", file=sys.stderr)
    return CRASH


def run_entry(fn: Callable[[], int], prog: str, run_path: Path | Callable[[], Path | None] | None = None) -> int:
    """``fn()``, with every error reported by :func:`report`."""
    try:
        return fn()
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - the entry point's last word
        return report(exc, prog, run_path)


# --- notebooks ----------------------------------------------------------------------------

def notebook_errors() -> None:
    """In IPython (a notebook's first cell): show a :class:`SynthMIRError` as
    one line that starts with :data:`NOTEBOOK_MARK`, not a traceback. The
    cell still fails, so papermill stops; ``run_all.sh`` prints that line."""
    try:
        ip = get_ipython()  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return

    def short(shell, etype, value, tb, tb_offset=None):
        if not (isinstance(value, SynthMIRError) or is_disk_full(value)):
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)  # an unexpected OSError: the whole story
            return None
        if not isinstance(value, SynthMIRError):
            value = disk_full_error(value)
        lines = [f"{NOTEBOOK_MARK} {value}"]
        shell._showtraceback(etype, value, lines)
        return lines

    ip.set_custom_exc((SynthMIRError, OSError), short)
