"""Run folders, manifests, done-markers, stage profiles, shards and datasets.

Layout of one run (``Config.run_dir``)::

    config.yaml                 the resolved configuration of the last stage run
    prompts/prompts.csv         stage 1
    clips/<Genre>/<id>.wav      stage 2: the generated dataset, one folder per genre
    clips/metadata.csv          stage 2 manifest (Hugging Face ``audiofolder`` metadata)
    embeddings/<backend>/       stage 3: synthetic.npz, real.npz, manifests
    model/                      stage 4: classifier, split, history
    evaluation/                 stage 5: predictions, figures
    metrics.json                stage 5 headline metrics

Each stage folder holds ``profile.json`` (time, settings, counts) and a
``.done`` marker written last; a re-run skips finished work.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .benchmarks.base import AUDIO_EXTENSIONS  # noqa: F401  (kept here for callers)

_UMASK = os.umask(0)
os.umask(_UMASK)



# --- atomic files -------------------------------------------------------------

def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    ``path`` either keeps what it held or holds all of ``data``; a full disk
    (or a file-size limit) is a :class:`~helpers.errors.DiskFullError` naming
    ``path`` and the space needed.
    """
    from .errors import disk_full_error, is_disk_full

    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full_error(exc, path, len(data)) from exc
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_csv(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV atomically (no index)."""
    return atomic_write_text(path, table.to_csv(index=False, lineterminator="\n"))


def write_rows(path: str | os.PathLike, rows, columns) -> Path:
    """Dict rows as CSV (csv.DictWriter's formatting, keys outside ``columns`` ignored), atomically."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return atomic_write_text(path, buf.getvalue())


def write_json(obj, path: str | os.PathLike) -> Path:
    return atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_json_default) + "\n")


def read_json(path: str | os.PathLike) -> dict:
    """A JSON object from ``path``; ``{}`` when the file is missing, unreadable or not an object."""
    try:
        obj = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def save_npz(path: str | os.PathLike, **arrays) -> Path:
    """``np.savez`` through a temporary file and a rename."""
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sizes_digest(root: str | os.PathLike, names) -> str:
    """A digest of the names and sizes of files under ``root`` (one stat each: cheap for 100,000 files);
    a missing file counts as size -1."""
    h = hashlib.sha256()
    for name in names:
        try:
            size = os.stat(Path(root) / name).st_size
        except OSError:
            size = -1
        h.update(f"{name}\t{size}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


# --- stages -------------------------------------------------------------------------

@dataclass
class Stage:
    """One stage's folder with its done-marker and JSON profile."""

    path: Path

    def __post_init__(self):
        self.path = Path(self.path)
        self.path.mkdir(parents=True, exist_ok=True)

    @property
    def done_marker(self) -> Path:
        return self.path / ".done"

    def is_done(self, settings: dict | None = None) -> bool:
        """Finished, and (when given) with the same settings."""
        if not self.done_marker.exists():
            return False
        if settings is None:
            return True
        try:
            return json.loads(self.done_marker.read_text()).get("settings") == _plain(settings)
        except (OSError, ValueError):
            return False

    def mark_done(self, settings: dict | None = None, **info) -> None:
        """Write ``.done``: the settings, and what the output must hold (counts, sizes, checksums)
        for the next stage to check before it trusts it (see :mod:`helpers.verify`)."""
        write_json({"settings": _plain(settings or {}), **info}, self.done_marker)

    def done_info(self) -> dict:
        """What ``.done`` recorded (``{}`` when there is none or it cannot be read)."""
        return read_json(self.done_marker)

    def clear_done(self) -> None:
        self.done_marker.unlink(missing_ok=True)

    def check_settings(self, settings: dict, what: str) -> None:
        """Record ``settings`` on first use; refuse to mix work made with others.

        Raises :class:`~helpers.errors.SettingsMismatch` (a ``RuntimeError``) naming the differing keys, so results made
        with one setting are never silently combined with (or replaced by)
        results of another: the user picks another run folder or deletes it.
        """
        path = self.path / "settings.json"
        settings = _plain(settings)
        if path.exists():
            old = json.loads(path.read_text())
            if old != settings:
                keys = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
                from .errors import SettingsMismatch

                raise SettingsMismatch(
                    f"{self.path} holds {what} made with other settings (differ in {keys}: "
                    f"{ {k: old.get(k) for k in keys} } vs { {k: settings.get(k) for k in keys} }). "
                    f"Use another run_dir, or delete {self.path} to start this stage over."
                )
        else:
            write_json(settings, path)

    @contextmanager
    def profile(self, file_name: str = "profile.json", /, **info) -> Iterator[dict]:
        """Time a block and write ``file_name`` (elapsed, peak memory, info);
        a shard writes its own (``profile.shard-i-of-n.json``, see :func:`shard_file_name`)."""
        record = dict(info)
        start = time.perf_counter()
        try:
            yield record
        finally:
            record["elapsed_s"] = round(time.perf_counter() - start, 3)
            record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            record["peak_rss_mb"] = _peak_rss_mb()
            torch = sys.modules.get("torch")  # not imported: nothing ran on a GPU (and importing it costs seconds)
            if torch is not None and torch.cuda.is_available():
                record["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2 ** 20, 1)
            write_json(record, self.path / file_name)


def _plain(obj):
    return json.loads(json.dumps(obj, sort_keys=True, default=_json_default))


def _peak_rss_mb() -> float | None:
    try:
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except Exception:  # pragma: no cover - non-POSIX
        return None


# --- shards -------------------------------------------------------------------------

def parse_shard(shard: str | tuple[int, int] | None) -> tuple[int, int]:
    """``"i/n"`` or ``(i, n)`` -> ``(i, n)`` with 0 <= i < n; ``None`` -> ``(0, 1)``."""
    if shard is None:
        return 0, 1
    if isinstance(shard, str):
        try:
            i, n = (int(x) for x in shard.split("/"))
        except ValueError:
            raise ValueError(f"shard must look like 'i/n' (e.g. '0/4'), got {shard!r}") from None
    else:
        i, n = shard
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"shard index must satisfy 0 <= i < n, got {i}/{n}")
    return i, n


def take_shard(table: pd.DataFrame, shard: tuple[int, int]) -> pd.DataFrame:
    """Rows ``i, i+n, i+2n, ...``: shards split the table with no overlap and
    mix genres evenly."""
    i, n = shard
    return table.iloc[i::n]


def shard_file_name(base: str, shard: tuple[int, int], suffix: str) -> str:
    """``<base><suffix>`` for an unsharded run, ``<base>.shard-000i-of-000n<suffix>`` for shard i/n."""
    i, n = shard
    return f"{base}{suffix}" if n == 1 else f"{base}.shard-{i:04d}-of-{n:04d}{suffix}"


def manifest_name(base: str, shard: tuple[int, int]) -> str:
    return shard_file_name(base, shard, ".csv")


def merge_shard_manifests(folder: str | os.PathLike, base: str, key: str = "id") -> pd.DataFrame:
    """Merge ``<base>.csv`` and every ``<base>.shard-*.csv`` in ``folder`` into
    ``<base>.csv`` (one row per ``key``, sorted), and return it."""
    from .errors import MissingInput, StageError

    def read(path: Path) -> pd.DataFrame:
        try:
            return pd.read_csv(path, dtype={key: str})
        except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise StageError(f"{path}: cannot read this manifest ({type(exc).__name__}: {exc}); move it aside "
                             "and run its shard again") from None

    folder = Path(folder)
    parts = [read(p) for p in sorted(folder.glob(f"{base}.shard-*.csv"))]
    if (folder / f"{base}.csv").exists():
        parts.insert(0, read(folder / f"{base}.csv"))
    if not parts:
        raise MissingInput(f"no {base}.csv or {base}.shard-*.csv in {folder}")
    merged = pd.concat(parts, ignore_index=True).drop_duplicates(subset=[key], keep="last")
    merged = merged.sort_values(key).reset_index(drop=True)
    write_csv(merged, folder / f"{base}.csv")
    return merged


# --- the generated dataset -------------------------------------------------------------

def load_clip_manifest(run_dir: str | os.PathLike) -> pd.DataFrame:
    """The stage-2 manifest with an absolute ``path`` column added."""
    clips = Path(run_dir) / "clips"
    path = clips / "metadata.csv"
    if not path.exists():
        from .errors import MissingInput

        raise MissingInput(f"{path} not found: run stage 2 (02_generate) first")
    table = pd.read_csv(path, dtype={"id": str})
    table["path"] = [str(clips / f) for f in table["file_name"]]
    return table


def export_dataset(run_dir: str | os.PathLike, dest: str | os.PathLike, link: bool = True) -> Path:
    """Copy (or hard-link) the generated clips to ``dest`` as a stand-alone
    dataset: ``dest/<Genre>/<id>.wav`` and ``dest/metadata.csv`` (columns
    ``file_name, label, prompt, seed, ...``). It loads as a Hugging Face
    ``audiofolder`` (``load_dataset("audiofolder", data_dir=dest)``) or with
    pandas and soundfile anywhere else.
    """
    table = load_clip_manifest(run_dir)
    dest = Path(dest)
    for row in table.itertuples():
        target = dest / row.file_name
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if link:
            try:
                os.link(row.path, target)
                continue
            except OSError:
                pass
        shutil.copy2(row.path, target)
    write_csv(table.drop(columns=["path"]), dest / "metadata.csv")
    return dest


# --- real benchmark --------------------------------------------------------------------

def list_real_benchmark(source: str | os.PathLike, genres, label_map="auto") -> tuple[pd.DataFrame, pd.DataFrame]:
    """List a real benchmark for a study of ``genres``: ``source`` is a plain
    folder (one subfolder per genre) or CSV (``path,label``), or
    ``<kind>:<path>`` for a dataset layout (see :mod:`helpers.benchmarks`).

    Returns ``(tracks, skipped)``: ``tracks`` has ``track_id, path, label,
    dataset_labels, group, source``; ``skipped`` lists rows that cannot be
    used (source, path, reason). A thin wrapper over
    :func:`helpers.benchmarks.list_real_tracks`, which also gives the counts.
    """
    from .benchmarks import list_real_tracks

    real = list_real_tracks(source, genres, label_map)
    return real.tracks, real.skipped
