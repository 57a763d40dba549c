"""One writer per run folder: advisory locks (``fcntl.flock``) that die with their process.

Every stage takes ``<run>/.lock`` before it writes: exclusively, or shared
for one shard of a sharded stage, which also takes ``<run>/.lock-<stage>-<i>-of-<n>``
exclusively (two workers given the same shard index never write together;
shards of one stage run side by side). A second writer waits, saying which
process holds the folder (its PID, command and start), or stops at once with
:class:`~helpers.errors.RunFolderBusy` when asked not to wait (``--no-wait``,
or ``SYNTHMIR_NO_WAIT=1``).

The kernel releases a ``flock`` when its holder dies, however it dies
(``kill -9`` included): a lock is never stale. The holder's description in
``.lock.holders/<pid>.json`` may outlive it; a waiter ignores (and removes)
those of processes that are gone.

A process that holds a run folder passes the hold on to its children
(``run_all.sh`` to the notebook kernels it starts) through
``SYNTHMIR_RUN_LOCK``; a process takes that as its own only when the holder
named there is one of its ancestors. Locks are re-entrant within a process.

Command line (``run_all.sh`` runs itself under it)::

    python -m helpers.locking RUN_DIR [--what TEXT] [--no-wait] -- COMMAND ...
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import RunFolderBusy, run_entry

ENV = "SYNTHMIR_RUN_LOCK"
NO_WAIT_ENV = "SYNTHMIR_NO_WAIT"
LOCK_NAME = ".lock"
HOLDERS = ".lock.holders"
POLL_S = 0.2

_held: dict[Path, list] = {}  # lock file -> [fd, mode, depth]: what this process holds
_guard = threading.RLock()


def wait_default() -> bool:
    """Wait for a busy run folder unless ``SYNTHMIR_NO_WAIT`` is set (to anything but 0/empty)."""
    return os.environ.get(NO_WAIT_ENV, "").strip() in ("", "0")


def canonical(lock_file: str | os.PathLike) -> Path:
    """The lock file's path with its folder made and resolved (one name however the run folder is spelt)."""
    lock_file = Path(lock_file)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    return Path(os.path.realpath(lock_file.parent)) / lock_file.name


@contextmanager
def no_wait(enabled: bool = True) -> Iterator[None]:
    """For the block (and the processes it starts): a busy run folder stops at once instead of waiting."""
    old = os.environ.get(NO_WAIT_ENV)
    if enabled:
        os.environ[NO_WAIT_ENV] = "1"
    try:
        yield
    finally:
        if enabled:
            if old is None:
                os.environ.pop(NO_WAIT_ENV, None)
            else:
                os.environ[NO_WAIT_ENV] = old


def _command() -> str:
    """This process's command line as a waiter reads it (``python -m helpers.pipeline generate ...``)."""
    argv = list(getattr(sys, "orig_argv", None) or sys.argv) or [sys.executable]
    text = " ".join([os.path.basename(argv[0]), *argv[1:]])
    return text if len(text) <= 240 else text[:237] + "..."


def _ancestors() -> set[int]:
    """PIDs of this process's parents, up to init (Linux /proc; elsewhere just the parent)."""
    pids, pid = set(), os.getpid()
    for _ in range(256):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            pid = int(fields[1])
        except (OSError, ValueError, IndexError):
            pids.add(os.getppid())
            break
        if pid <= 1:
            break
        pids.add(pid)
    return pids


def _inherited(lock_file: Path) -> bool:
    """True when an ancestor holds ``lock_file`` and passed it on (``SYNTHMIR_RUN_LOCK``)."""
    for item in filter(None, os.environ.get(ENV, "").split(os.pathsep)):
        path, _, pid = item.rpartition("|")
        if path == str(lock_file) and pid.isdigit() and int(pid) in _ancestors():
            return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holders(lock_file: Path) -> list[dict]:
    """The recorded holders of ``lock_file`` still alive on this host (gone ones are removed)."""
    out = []
    folder = lock_file.parent / HOLDERS
    for f in sorted(folder.glob(f"{lock_file.name}.*.json")) if folder.is_dir() else []:
        try:
            info = json.loads(f.read_text())
        except (OSError, ValueError):
            continue
        if info.get("host") == socket.gethostname() and not _alive(int(info.get("pid", 0))):
            f.unlink(missing_ok=True)
            continue
        out.append(info)
    return out


def _forget_gone(lock_file: Path, exclusive: bool) -> None:
    """Remove the records of holders that are gone: all others when we hold the lock exclusively
    (nobody else can hold it), else those of dead processes on this host."""
    folder = lock_file.parent / HOLDERS
    if not exclusive:
        holders(lock_file)
        return
    for f in folder.glob(f"{lock_file.name}.*.json") if folder.is_dir() else []:
        f.unlink(missing_ok=True)


def _describe(infos: list[dict]) -> str:
    if not infos:
        return "another process (no description recorded)"
    return "; ".join(f"PID {i.get('pid')} on {i.get('host')} ({i.get('command')}, since {i.get('since')})"
                     for i in infos)


def _record(lock_file: Path, mode: str) -> Path:
    folder = lock_file.parent / HOLDERS
    folder.mkdir(exist_ok=True)
    path = folder / f"{lock_file.name}.{os.getpid()}.json"
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": _command(),
                                "mode": mode, "since": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n")
    return path


@contextmanager
def hold(lock_file: str | os.PathLike, shared: bool = False, wait: bool | None = None,
         what: str = "run folder") -> Iterator[Path]:
    """Hold ``lock_file`` (exclusive, or ``shared``) for the block; see the module's docstring."""
    lock_file = canonical(lock_file)
    wait = wait_default() if wait is None else wait
    mode = "shared" if shared else "exclusive"
    with _guard:
        mine = _held.get(lock_file)
        if mine is not None:
            if mine[1] == "shared" and not shared:
                raise RuntimeError(f"{lock_file}: this process holds it shared and asks for it exclusively")
            mine[2] += 1
    if mine is not None or _inherited(lock_file):
        try:
            yield lock_file
        finally:
            if mine is not None:
                with _guard:
                    mine[2] -= 1
        return
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
    op = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    try:
        told = False
        while True:
            try:
                fcntl.flock(fd, op | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                busy = _describe(holders(lock_file))
                if not wait:
                    raise RunFolderBusy(f"{lock_file.parent} ({what}) is in use by {busy}; wait for it to finish, "
                                        "or run again without --no-wait to wait") from None
                if not told:
                    print(f"[synthmir] {lock_file.parent} ({what}) is in use by {busy}: waiting for it "
                          "(--no-wait to stop instead)", file=sys.stderr, flush=True)
                    told = True
                time.sleep(POLL_S)
        if told:
            print(f"[synthmir] {lock_file.parent}: free now, going on", file=sys.stderr, flush=True)
        _forget_gone(lock_file, exclusive=not shared)
        record = _record(lock_file, mode)
    except BaseException:
        os.close(fd)
        raise
    with _guard:
        _held[lock_file] = [fd, mode, 1]
    try:
        yield lock_file
    finally:
        with _guard:
            _held[lock_file][2] -= 1
            last = _held[lock_file][2] == 0
            if last:
                del _held[lock_file]
        if last:
            record.unlink(missing_ok=True)
            os.close(fd)  # releases the flock


def run_lock(run_path: str | os.PathLike, wait: bool | None = None, shared: bool = False):
    """The run folder's lock (``<run>/.lock``)."""
    return hold(Path(run_path) / LOCK_NAME, shared=shared, wait=wait)


@contextmanager
def stage_lock(run_path: str | os.PathLike, stage: str, shard: tuple[int, int] = (0, 1),
               wait: bool | None = None) -> Iterator[None]:
    """What a stage holds while it writes: the run folder exclusively or, for
    shard i/n with n > 1, the run folder shared and the shard exclusively."""
    i, n = shard
    if n == 1:
        with run_lock(run_path, wait=wait):
            yield
        return
    with run_lock(run_path, wait=wait, shared=True), \
            hold(Path(run_path) / f"{LOCK_NAME}-{stage}-{i}-of-{n}", wait=wait, what=f"{stage} shard {i}/{n}"):
        yield


def passed_on(lock_file: Path) -> str:
    """``SYNTHMIR_RUN_LOCK`` for children of a process holding ``lock_file``."""
    items = [x for x in os.environ.get(ENV, "").split(os.pathsep) if x]
    return os.pathsep.join(items + [f"{canonical(lock_file)}|{os.getpid()}"])


def main(argv: list[str] | None = None) -> int:
    """Run a command while holding a run folder (its children inherit the hold)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" not in argv:
        print("usage: python -m helpers.locking RUN_DIR [--what TEXT] [--no-wait] -- COMMAND ...", file=sys.stderr)
        return 2
    cut = argv.index("--")
    parser = argparse.ArgumentParser(prog="python -m helpers.locking")
    parser.add_argument("run_dir")
    parser.add_argument("--what", help="how waiters see this holder (default: the command)")
    parser.add_argument("--no-wait", action="store_true", help="stop at once if the folder is busy")
    args = parser.parse_args(argv[:cut])
    command = argv[cut + 1:]
    if args.what:
        sys.argv = [args.what]

    def go() -> int:
        lock_file = Path(args.run_dir) / LOCK_NAME
        with hold(lock_file, wait=False if args.no_wait else None):
            env = {**os.environ, ENV: passed_on(lock_file)}
            proc = subprocess.Popen(command, env=env)
            while True:
                try:
                    return proc.wait()
                except KeyboardInterrupt:  # the child got the same SIGINT: wait for it to stop
                    continue

    return run_entry(go, "synthmir")


if __name__ == "__main__":
    sys.exit(main())
