"""Stage 3: clips -> fixed-size embeddings, through an embedder backend.

A backend is an :class:`Embedder` subclass registered by name (``musicnn``,
``passt``), in the spirit of the HEAR protocol: load a model, then turn a
batch of equal-length clips into one vector each.
"""

from __future__ import annotations

import abc
import os
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .audio import resample, to_mono
from .registry import Registry


class Embedder(abc.ABC):
    """Base class of every embedder backend.

    Subclasses fill in :attr:`sample_rate`, :attr:`dim` and
    :meth:`embed_batch`; resampling of other input rates is done here.
    """

    name: str = ""

    @property
    @abc.abstractmethod
    def sample_rate(self) -> int:
        """Rate the model expects, in Hz."""

    @property
    @abc.abstractmethod
    def dim(self) -> int:
        """Length of one embedding vector."""

    @abc.abstractmethod
    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """Embed equal-length clips.

        Args:
            batch: float32 array ``(n_clips, n_samples)`` at :attr:`sample_rate`.
        Returns:
            float32 array ``(n_clips, dim)``.
        """

    def prepare(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """Mono float32 at the model's rate."""
        return resample(to_mono(audio), sr, self.sample_rate)

    def embed(self, audio: np.ndarray, sr: int) -> np.ndarray:
        """Embed one clip of any rate: ``(n_samples,)`` -> ``(dim,)``."""
        return self.embed_batch(self.prepare(audio, sr)[None, :])[0]

    def embed_many(self, clips: Sequence[np.ndarray], sr: int, batch_size: int = 16) -> np.ndarray:
        """Embed clips of one rate, batching those of equal length: ``(n, dim)``."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        prepared = [self.prepare(c, sr) for c in clips]
        out = np.zeros((len(prepared), self.dim), dtype=np.float32)
        by_len: dict[int, list[int]] = {}
        for i, c in enumerate(prepared):
            by_len.setdefault(len(c), []).append(i)
        for idx in by_len.values():
            for s in range(0, len(idx), batch_size):
                chunk = idx[s:s + batch_size]
                out[chunk] = self.embed_batch(np.stack([prepared[i] for i in chunk]))
        return out

    def describe(self) -> dict:
        return {"backend": self.name, "sample_rate": self.sample_rate, "dim": self.dim}


EMBEDDERS: Registry[Embedder] = Registry("embedder")
EMBEDDERS.register("musicnn", "helpers.embedders.musicnn:MusicnnEmbedder")
EMBEDDERS.register("passt", "helpers.embedders.passt:PasstEmbedder")


def load_embedder(name: str = "musicnn", **options) -> Embedder:
    """Build the embedder backend registered as ``name`` with ``options``."""
    return EMBEDDERS.get(name)(**options)


# --- the stage driver ----------------------------------------------------------------

def _load_windows(path: str, sr: int, window_s: float | None, max_windows: int) -> tuple[list[np.ndarray], str | None]:
    """The windows to embed from one file, or ``([], reason)`` for a skip."""
    from .audio import AudioError, is_silent, load_audio, middle_windows

    try:
        audio, _ = load_audio(path, sr=sr)
    except AudioError as exc:
        return [], str(exc)
    if is_silent(audio):
        return [], "silent"
    if window_s is None:
        return [audio], None
    windows = middle_windows(audio, sr, window_s, max_windows)
    if not windows:
        return [], f"shorter than one {window_s:g} s window ({len(audio) / sr:.2f} s)"
    return windows, None


def clip_keys(clips: pd.DataFrame) -> list[str]:
    """A key per generated clip from its manifest row (seed, prompt, length, level): a clip made
    again differently gets another key, so stage 3 embeds it again instead of keeping a stale row."""
    cols = [c for c in ("seed", "prompt", "n_samples", "lufs", "peak_dbfs") if c in clips.columns]
    return ["|".join(str(v) for v in row) for row in clips[cols].itertuples(index=False)]


def file_keys(paths) -> list[str]:
    """A key per file from its size and modification time (a real track replaced is embedded again)."""
    keys = []
    for p in paths:
        try:
            st = os.stat(p)
            keys.append(f"{st.st_size}|{st.st_mtime_ns}")
        except OSError:
            keys.append("missing")
    return keys


def embed_files(items: pd.DataFrame, out_dir: str | Path, name: str, embedder: Embedder,
                batch_size: int = 16, window_s: float | None = None, max_windows: int = 1,
                chunk_size: int = 256, progress: bool = True) -> dict:
    """Embed audio files, resumably, into ``out_dir/<name>.npz``.

    Args:
        items: table with ``id`` and ``path`` (one row per file), and optionally
            ``key`` (what the file's content is, e.g. :func:`clip_keys`): a file
            whose key differs from the one its chunk recorded is embedded again.
        name: output name (``synthetic``, ``real``).
        window_s: cut each file into up to ``max_windows`` windows of this
            length from its middle (``None``: embed whole files, which must
            then share one length).
        chunk_size: files per resumable chunk (``<name>.chunks/chunk-NNNNN.npz``).
    Returns:
        ``{"ids": (m,), "window": (m,), "X": (m, dim), "skipped": DataFrame(id, path, reason)}``
        with one row per embedded window, in the order of ``items``.
    Files that are missing, unreadable, silent or shorter than one window are
    listed in ``skipped`` (and in ``<name>.skipped.csv``), never fatal. A
    chunk that cannot be read, or holds an all-zero or non-finite row, is set
    aside (``chunk-NNNNN.npz.rejected``) and its files embedded again.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .benchmarks.base import printable
    from .data import save_npz
    from .progress import progress_bar

    out_dir = Path(out_dir)
    chunk_dir = out_dir / f"{name}.chunks"
    chunk_dir.mkdir(parents=True, exist_ok=True)
    keys = items["key"].astype(str).tolist() if "key" in items.columns else [""] * len(items)
    held = chunk_index(chunk_dir, reject_bad=True)
    todo_mask = [held.get(i) != k for i, k in zip(items["id"].astype(str), keys)]
    todo = items[todo_mask].assign(key=[k for k, t in zip(keys, todo_mask) if t])
    next_chunk = _next_chunk(chunk_dir)
    sr = embedder.sample_rate
    chunks = [todo.iloc[i:i + chunk_size] for i in range(0, len(todo), chunk_size)]
    bar = progress_bar(total=len(items), initial=len(items) - len(todo), unit="file",
                       desc=f"embed {name} ({embedder.name})", progress=progress)

    def load_chunk(chunk):
        return [_load_windows(p, sr, window_s, max_windows) for p in chunk["path"]]

    with ThreadPoolExecutor(max_workers=1) as pool:  # reads the next chunk while this one is embedded
        future = pool.submit(load_chunk, chunks[0]) if chunks else None
        for k, chunk in enumerate(chunks):
            loaded = future.result()
            future = pool.submit(load_chunk, chunks[k + 1]) if k + 1 < len(chunks) else None
            ids, wins, audio, skip = [], [], [], []
            for (wl, reason), cid, path in zip(loaded, chunk["id"].astype(str), chunk["path"]):
                if reason:
                    skip.append([cid, printable(path), reason])
                for w, a in enumerate(wl):
                    ids.append(cid), wins.append(w), audio.append(a)
            X = embedder.embed_many(audio, sr, batch_size=batch_size) if audio else np.zeros((0, embedder.dim), np.float32)
            _check_rows(X, ids, embedder)
            skip_arr = np.array(skip, dtype=str).reshape(-1, 3)
            save_npz(chunk_dir / f"chunk-{next_chunk:05d}.npz", files=np.array(chunk["id"].astype(str).tolist()),
                     keys=np.array(chunk["key"].astype(str).tolist()), ids=np.array(ids, dtype=str),
                     window=np.array(wins, dtype=np.int32), X=X.astype(np.float32), skipped=skip_arr)
            next_chunk += 1
            bar.update(len(chunk))
    bar.close()
    return assemble_chunks(out_dir, name, items, embedder.dim)


def _check_rows(X: np.ndarray, ids: list[str], embedder: Embedder) -> None:
    """An embedder that returned all zeros or NaN for a clip made nothing: fail, keep nothing of it."""
    from .errors import StageError
    from .verify import bad_rows

    if X.shape != (len(ids), embedder.dim):
        raise StageError(f"embedder {embedder.name!r} returned {X.shape} for {len(ids)} windows of dim {embedder.dim}")
    zero, nonfinite = bad_rows(X, np.array(ids, dtype=str))
    if zero or nonfinite:
        which = zero or nonfinite
        raise StageError(f"embedder {embedder.name!r} returned {'all-zero' if zero else 'non-finite'} embeddings "
                         f"for {len(which)} file(s) (first: {which[0]}); nothing of that chunk was kept")


def _chunk_files(chunk_dir: Path) -> list[Path]:
    return sorted(Path(chunk_dir).glob("chunk-*.npz"))


def _next_chunk(chunk_dir: Path) -> int:
    """The number after the highest chunk (set-aside ones included): a new chunk never overwrites one."""
    numbers = [int(f.name[6:11]) for f in Path(chunk_dir).glob("chunk-*.npz*") if f.name[6:11].isdigit()]
    return max(numbers, default=-1) + 1


def _read_chunk(f: Path) -> dict | None:
    """A chunk's arrays, or None when it cannot be read or holds an all-zero or non-finite row."""
    from .verify import bad_rows

    try:
        with np.load(f, allow_pickle=False) as z:
            parts = {k: z[k] for k in z.files}
        parts["files"], parts["ids"] = parts["files"].astype(str), parts["ids"].astype(str)
        if "keys" not in parts:  # written before chunks recorded keys
            parts["keys"] = np.array([""] * len(parts["files"]))
        zero, nonfinite = bad_rows(parts["X"], parts["ids"])
        if zero or nonfinite or len(parts["ids"]) != len(parts["X"]):
            return None
        return parts
    except (OSError, ValueError, KeyError, EOFError):
        return None


def _chunks(chunk_dir: Path, reject_bad: bool = False) -> list[dict]:
    """The readable, sound chunks in order; with ``reject_bad`` the others are set aside, with a warning."""
    import logging

    out = []
    for f in _chunk_files(chunk_dir):
        parts = _read_chunk(f)
        if parts is None:
            if reject_bad:
                f.rename(f.with_name(f.name + ".rejected"))
                logging.getLogger(__name__).warning("%s cannot be read or holds all-zero/non-finite rows: set "
                                                    "aside as %s.rejected; its files are embedded again", f, f.name)
            continue
        out.append(parts)
    return out


def chunk_index(chunk_dir: str | Path, reject_bad: bool = False) -> dict[str, str]:
    """``{file id: key}`` of the files that ``chunk_dir``'s chunks hold (embedded or skipped); a later
    chunk's entry for a file replaces an earlier one's."""
    index: dict[str, str] = {}
    for parts in _chunks(Path(chunk_dir), reject_bad):
        index.update(zip(parts["files"].tolist(), parts["keys"].tolist()))
    return index


def chunk_ids(chunk_dir: str | Path) -> set[str]:
    """Ids of the files that ``chunk_dir``'s chunks hold (embedded or skipped)."""
    return set(chunk_index(chunk_dir))


def assemble_chunks(out_dir: str | Path, name: str, items: pd.DataFrame, dim: int) -> dict:
    """Gather ``out_dir/<name>.chunks`` into ``<name>.npz`` and ``<name>.skipped.csv``,
    in the order of ``items`` (``id, path``); returns what :func:`embed_files` returns.
    Each file's rows come from the latest chunk that holds it."""
    from .data import save_npz, write_csv

    out_dir = Path(out_dir)
    chunk_dir = out_dir / f"{name}.chunks"
    parts, skipped = {}, {}
    for z in _chunks(chunk_dir):
        rows: dict[str, list] = {f: [] for f in z["files"].tolist()}
        for i, w, x in zip(z["ids"].tolist(), z["window"], z["X"]):
            rows[i].append((int(w), x))
        parts.update(rows)
        for f in z["files"].tolist():
            skipped.pop(f, None)
        for s in z["skipped"].tolist():
            skipped[s[0]] = s
    ids, wins, rows = [], [], []
    for cid in items["id"].astype(str):
        for w, x in sorted(parts.get(cid, []), key=lambda t: t[0]):
            ids.append(cid), wins.append(w), rows.append(x)
    wanted = set(items["id"].astype(str))
    skipped_df = pd.DataFrame([s for k, s in skipped.items() if k in wanted], columns=["id", "path", "reason"])
    X = np.stack(rows).astype(np.float32) if rows else np.zeros((0, dim), np.float32)
    save_npz(out_dir / f"{name}.npz", ids=np.array(ids, dtype=str), window=np.array(wins, dtype=np.int32), X=X)
    write_csv(skipped_df, out_dir / f"{name}.skipped.csv")
    return {"ids": np.array(ids, dtype=str), "window": np.array(wins, dtype=np.int32), "X": X, "skipped": skipped_df}


def adopt_chunks(out_dir: str | Path, name: str, sources: Sequence[str | Path]) -> int:
    """Add to ``out_dir/<name>.chunks`` the files that the chunk folders
    ``sources`` (a sharded run's ``<name>.shard-*.chunks``) hold and it does
    not (or holds with another key), as new chunks written atomically;
    returns how many files were added.

    Run again, it adds nothing, so it is safe to repeat after a kill; an
    unsharded run then finds every file done and only assembles.
    """
    from .data import save_npz

    chunk_dir = Path(out_dir) / f"{name}.chunks"
    chunk_dir.mkdir(parents=True, exist_ok=True)
    held = chunk_index(chunk_dir)
    next_chunk = _next_chunk(chunk_dir)
    added = 0
    for source in sources:
        for parts in _chunks(Path(source)):
            new = [f for f, k in zip(parts["files"].tolist(), parts["keys"].tolist()) if held.get(f) != k]
            if not new:
                continue
            keep, keep_skip = np.isin(parts["ids"], new), np.isin(parts["skipped"].reshape(-1, 3)[:, 0], new)
            keep_files = np.isin(parts["files"], new)
            save_npz(chunk_dir / f"chunk-{next_chunk:05d}.npz", files=parts["files"][keep_files],
                     keys=parts["keys"][keep_files], ids=parts["ids"][keep], window=parts["window"][keep],
                     X=parts["X"][keep], skipped=parts["skipped"].reshape(-1, 3)[keep_skip])
            next_chunk += 1
            held.update(zip(parts["files"][keep_files].tolist(), parts["keys"][keep_files].tolist()))
            added += len(new)
    return added


def load_embeddings(out_dir: str | Path, name: str) -> dict:
    """Read ``<name>.npz`` written by :func:`embed_files`."""
    from .errors import MissingInput

    path = Path(out_dir) / f"{name}.npz"
    if not path.exists():
        raise MissingInput(f"{path} not found: run stage 3 (03_embed) first")
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}
