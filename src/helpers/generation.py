"""Stage 2: prompts -> 10 s mono clips, through a generator backend.

A backend is a :class:`Generator` subclass registered by name (``symbolic``,
``musicgen``, ``audiocraft``). :func:`generate_clips` drives any of them: it
batches pending prompts, post-processes (mono, target rate, exact length,
loudness), writes each clip atomically and keeps a manifest, so a killed run
resumes with nothing lost or duplicated.
"""

from __future__ import annotations

import abc
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
import pandas as pd

from .audio import fix_length, load_audio, normalize_loudness, resample, to_mono, wav_is_valid, write_wav_atomic
from .registry import Registry

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .config import GenerationConfig


@dataclass(frozen=True)
class ClipRequest:
    """One clip to make: a row of the prompts table."""

    id: str
    genre: str
    description: str
    prompt: str
    seed: int


class Generator(abc.ABC):
    """Base class of every generator backend.

    A backend fills in :attr:`sample_rate` and :meth:`generate_batch`; all
    settings arrive as constructor arguments and are never changed later.
    """

    #: registry name, set by subclasses
    name: str = ""

    def __init__(self, duration_s: float = 10.0, **options):
        if duration_s <= 0:
            raise ValueError(f"duration_s must be positive, got {duration_s}")
        self.duration_s = float(duration_s)

    @property
    @abc.abstractmethod
    def sample_rate(self) -> int:
        """Rate of the audio :meth:`generate_batch` returns, in Hz."""

    @property
    def audio_channels(self) -> int:
        return 1

    @abc.abstractmethod
    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        """Make one clip per request.

        Returns a list of float32 arrays, each ``(n_samples,)`` (mono) or
        ``(n_samples, channels)``, at :attr:`sample_rate`. The audio of a
        request depends only on the request (its prompt and seed) and the
        constructor settings, not on the rest of the batch.
        """

    def annotate(self, request: ClipRequest):
        """``(jams.JAMS, pretty_midi.PrettyMIDI or None, labels dict)`` for a backend that knows what it
        played (the symbolic one), else None. The stage writes them beside the clip's WAV."""
        return None

    @classmethod
    def output_identity(cls, options: dict) -> dict:
        """What, beyond the config's options, decides the bytes this backend
        makes on this machine (e.g. which SoundFont files "auto" finds). It is
        recorded with the clips, so a run never mixes clips made differently."""
        return {}

    def describe(self) -> dict:
        """Settings worth recording in the stage's profile."""
        return {"backend": self.name, "duration_s": self.duration_s, "sample_rate": self.sample_rate}

    #: the stage's batch when ``generation.batch_size`` is ``auto`` and the backend has no better idea
    DEFAULT_BATCH = 8

    def batch_size_for(self, requested: int | str) -> tuple[int, str]:
        """The clips per :meth:`generate_batch` call for the stage's ``generation.batch_size``
        (an int, or ``"auto"``), and why. A backend that knows its memory (MusicGen on a
        GPU) checks an explicit batch here and raises an error naming the setting."""
        if requested == "auto":
            return self.DEFAULT_BATCH, f"batch_size auto: {self.DEFAULT_BATCH} (the {self.name} backend's default)"
        return int(requested), f"batch {int(requested)}"


GENERATORS: Registry[Generator] = Registry("generator")
GENERATORS.register("symbolic", "helpers.generators.symbolic:SymbolicGenerator")
GENERATORS.register("musicgen", "helpers.generators.musicgen:MusicGenGenerator")
GENERATORS.register("audiocraft", "helpers.generators.musicgen:AudioCraftGenerator")


def load_generator(name: str, **options) -> Generator:
    """Build the generator backend registered as ``name`` with ``options``."""
    return GENERATORS.get(name)(**options)


# --- the stage driver ----------------------------------------------------------------

MANIFEST_COLUMNS = ["id", "file_name", "label", "genre", "description", "prompt", "seed",
                    "backend", "sample_rate", "n_samples", "lufs", "peak_dbfs",
                    # what the clip plays, for backends that know it (symbolic): tempo and key tasks
                    "tempo_bpm", "key", "key_mode", "time_signature", "annotation", "midi"]


def generator_from_config(cfg: "GenerationConfig") -> Generator:
    """The backend the ``generation`` section names, built with its options."""
    return load_generator(cfg.backend, duration_s=cfg.duration_s, **cfg.options)


def generation_settings(cfg: "GenerationConfig") -> dict:
    """The settings that decide a clip's bytes (batch size and workers do not)."""
    return {"backend": cfg.backend, "options": dict(cfg.options), "duration_s": cfg.duration_s,
            "sample_rate": cfg.sample_rate, "loudness_lufs": cfg.loudness_lufs, "peak_dbfs": cfg.peak_dbfs,
            "identity": GENERATORS.get(cfg.backend).output_identity(dict(cfg.options))}


def loudness_target(cfg: "GenerationConfig", seed: int) -> float:
    """The clip's loudness target: ``loudness_lufs``, or a level drawn from the clip's seed within
    ``[low, high]`` (a loudness spread like that of real releases)."""
    if isinstance(cfg.loudness_lufs, (list, tuple)):
        lo, hi = (float(v) for v in cfg.loudness_lufs)
        return lo + (hi - lo) * float(np.random.default_rng([int(seed) % 2 ** 63, 0x10D]).random())
    return float(cfg.loudness_lufs)


def finish_clip(audio: np.ndarray, source_sr: int, cfg: "GenerationConfig", seed: int = 0) -> np.ndarray:
    """Mono, target rate, exact length, loudness-normalised (see :func:`loudness_target`) with a peak ceiling."""
    audio = to_mono(audio)
    audio = resample(audio, source_sr, cfg.sample_rate)
    audio = fix_length(audio, cfg.n_samples)
    return normalize_loudness(audio, cfg.sample_rate, loudness_target(cfg, seed), cfg.peak_dbfs)


def _manifest_row(req: ClipRequest, file_name: str, audio: np.ndarray, cfg, out_dir: Path | None = None) -> dict:
    from .audio import integrated_loudness

    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    row = {"id": req.id, "file_name": file_name, "label": req.genre, "genre": req.genre,
           "description": req.description, "prompt": req.prompt, "seed": int(req.seed),
           "backend": cfg.backend, "sample_rate": cfg.sample_rate, "n_samples": int(len(audio)),
           "lufs": round(integrated_loudness(audio, cfg.sample_rate), 3),
           "peak_dbfs": round(20 * np.log10(max(peak, 1e-12)), 3)}
    jams_file = _annotation_file(req)
    if out_dir is not None and (out_dir / jams_file).is_file():  # the labels, as the clip's JAMS states them
        from .generators.symbolic.annotate import read_labels

        row.update(read_labels(out_dir / jams_file), annotation=jams_file)
        if (out_dir / _midi_file(req)).is_file():
            row["midi"] = _midi_file(req)
    return row


def _clip_file(req: ClipRequest) -> str:
    return f"{req.genre}/{req.id}.wav"


def _annotation_file(req: ClipRequest) -> str:
    return f"{req.genre}/{req.id}.jams"


def _midi_file(req: ClipRequest) -> str:
    return f"{req.genre}/{req.id}.mid"


def _write_annotations(generator: "Generator | None", req: ClipRequest, out_dir: Path) -> None:
    """The clip's JAMS and MIDI, atomically, before its WAV (the WAV marks the clip complete)."""
    made = generator.annotate(req) if generator is not None else None
    if made is None:
        return
    import io

    from .data import atomic_write_bytes, atomic_write_text

    ja, midi, _ = made
    (out_dir / req.genre).mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / _annotation_file(req), ja.dumps(indent=1) + "\n")
    if midi is not None:
        buf = io.BytesIO()
        midi.write(buf)
        atomic_write_bytes(out_dir / _midi_file(req), buf.getvalue())


def _write_clip(req: ClipRequest, audio: np.ndarray, source_sr: int, out_dir: Path, cfg,
                generator: "Generator | None" = None) -> dict:
    """Finish one generated clip, write it (and its annotations) atomically and return its manifest row."""
    from .audio import is_silent

    clip = finish_clip(audio, source_sr, cfg, req.seed)
    if is_silent(clip):
        raise RuntimeError(f"generator {cfg.backend!r} returned silence for clip {req.id!r} (prompt {req.prompt!r})")
    _write_annotations(generator, req, out_dir)
    path = write_wav_atomic(out_dir / _clip_file(req), clip, cfg.sample_rate)
    # statistics of the file as written (16-bit), so an adopted clip gets the same row
    return _manifest_row(req, _clip_file(req), load_audio(path)[0], cfg, out_dir)


def _make_batch(generator: Generator, batch: Sequence[ClipRequest], out_dir: Path, cfg) -> list[dict]:
    """Generate, finish and atomically write one batch; return its manifest rows."""
    return [_write_clip(req, audio, generator.sample_rate, out_dir, cfg, generator)
            for req, audio in zip(batch, generator.generate_batch(batch))]


def _generate_overlapped(generator: Generator, batches: list[list[ClipRequest]], out_dir: Path, cfg,
                         on_batch_done, writers: int = 4) -> None:
    """Generate batch k+1 while threads finish and write batch k (loudness, WAV, fsync).

    ``on_batch_done(rows)`` is called for each batch, in order, once all its
    clips are on disk. If generation fails or is interrupted, the writes
    already submitted are finished and reported before the error propagates,
    so the manifest lists everything that was written.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    queue: deque = deque()  # (futures of one batch), oldest first

    def flush(block: bool) -> None:
        while queue and (block or all(f.done() for f in queue[0])):
            on_batch_done([f.result() for f in queue.popleft()])

    with ThreadPoolExecutor(max_workers=writers) as pool:
        try:
            for batch in batches:
                audio = generator.generate_batch(batch)
                queue.append([pool.submit(_write_clip, r, a, generator.sample_rate, out_dir, cfg, generator)
                              for r, a in zip(batch, audio)])
                flush(block=len(queue) > 2)  # at most two batches in flight
            flush(block=True)
        except BaseException:
            while queue:  # keep what was written: record every batch whose writes all succeed
                futures = queue.popleft()
                try:
                    rows = [f.result() for f in futures]
                except Exception:
                    break
                on_batch_done(rows)
            raise


_WORKER: dict = {}


def _worker_init(cfg) -> None:
    import torch

    torch.set_num_threads(1)
    _WORKER["generator"] = generator_from_config(cfg)
    _WORKER["cfg"] = cfg


def _worker_batch(batch: list[ClipRequest], out_dir: str) -> list[dict]:
    return _make_batch(_WORKER["generator"], batch, Path(out_dir), _WORKER["cfg"])


def _read_manifest(path: Path) -> dict[str, dict]:
    """The rows of a clip manifest by id (``{}`` when there is none); an unreadable one is an error naming it."""
    from .errors import StageError

    if not path.exists():
        return {}
    try:
        table = pd.read_csv(path, dtype={"id": str, "file_name": str, "prompt": str, "genre": str})
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise StageError(f"{path}: cannot read this clip manifest ({type(exc).__name__}: {exc}); move it aside "
                         "and run again: valid clips on disk are adopted, the rest made again") from None
    missing = [c for c in ("id", "file_name") if c not in table.columns]
    if missing:
        raise StageError(f"{path}: not a clip manifest (no column {missing[0]!r}); move it aside and run again")
    return {str(r["id"]): r for r in table.to_dict("records")}


def _row_matches(row: dict, req: ClipRequest) -> bool:
    """A manifest row made for this request (same prompt, seed and genre), not for an earlier table."""
    try:
        return (str(row.get("prompt")) == req.prompt and int(row.get("seed")) == req.seed
                and str(row.get("genre")) == req.genre)
    except (TypeError, ValueError):
        return False


def _stage_batch(cfg, generator: Generator | None) -> tuple[int, str]:
    """``generation.batch_size`` resolved: ``(clips per batch, why)``."""
    if generator is not None:
        return generator.batch_size_for(cfg.batch_size)
    if cfg.batch_size == "auto":  # worker processes build their own backends: CPU backends' default
        return Generator.DEFAULT_BATCH, f"batch_size auto: {Generator.DEFAULT_BATCH} per worker call"
    if int(cfg.batch_size) < 1:
        raise ValueError(f"generation.batch_size must be >= 1, got {cfg.batch_size}")
    return int(cfg.batch_size), f"batch {int(cfg.batch_size)}"


def requests_from_table(prompts: pd.DataFrame) -> list[ClipRequest]:
    return [ClipRequest(id=str(r.id), genre=str(r.genre), description=str(r.description),
                        prompt=str(r.prompt), seed=int(r.seed)) for r in prompts.itertuples()]


def generate_clips(prompts: pd.DataFrame, out_dir: str | Path, cfg: "GenerationConfig",
                   generator: Generator | None = None, shard: str | tuple[int, int] | None = None,
                   progress: bool = True) -> pd.DataFrame:
    """Make the clips of a prompts table, resuming whatever is already done.

    Writes ``out_dir/<Genre>/<id>.wav`` (atomically) and the manifest
    ``out_dir/metadata.csv`` (``metadata.shard-i-of-n.csv`` for a shard),
    rewritten after every batch, and at the end ``profile.json`` (a shard's
    ``profile.shard-i-of-n.json``). A re-run keeps every clip that is listed and
    valid, adopts valid clips written just before a kill, and makes only the
    rest, so the result equals an uninterrupted run.

    Args:
        prompts: table with ``id, genre, description, prompt, seed``.
        cfg: the ``generation`` section of the config.
        generator: an already built backend (else built from ``cfg``; with
            ``cfg.workers > 1`` each worker process builds its own).
        shard: ``"i/n"``: make only rows i, i+n, ... (see :func:`data.take_shard`).
    Returns:
        The manifest of this shard, one row per clip.
    """
    from .data import Stage, manifest_name, parse_shard, shard_file_name, take_shard, write_csv
    from .progress import progress_bar

    out_dir = Path(out_dir)
    stage = Stage(out_dir)
    stage.check_settings(generation_settings(cfg), "clips")
    shard = parse_shard(shard)
    prompts = take_shard(prompts, shard)
    manifest_path = out_dir / manifest_name("metadata", shard)
    n_samples = cfg.n_samples

    requests = requests_from_table(prompts)
    listed = _read_manifest(manifest_path)
    done: dict[str, dict] = {}
    pending = []
    for req in requests:
        row = listed.get(req.id)
        path = out_dir / _clip_file(req)
        if row is not None:  # listed: kept when it is this request's clip and its file is whole
            if _row_matches(row, req) and wav_is_valid(out_dir / str(row["file_name"]), cfg.sample_rate, n_samples):
                done[req.id] = row
            else:
                pending.append(req)  # made for another prompt or seed, or cut short since: made again
        elif wav_is_valid(path, cfg.sample_rate, n_samples):  # written just before a kill, not listed yet
            done[req.id] = _manifest_row(req, _clip_file(req), load_audio(path)[0], cfg, out_dir)
        else:
            pending.append(req)

    def save():
        order = [r.id for r in requests if r.id in done]
        write_csv(pd.DataFrame([done[i] for i in order], columns=MANIFEST_COLUMNS), manifest_path)

    save()
    if pending and generator is None and cfg.workers <= 1:
        generator = generator_from_config(cfg)  # before batching: the batch may depend on it (auto)
    batch_size, why = _stage_batch(cfg, generator)
    if pending:
        log.info("generation: %s", why)
    batches = [pending[i:i + batch_size] for i in range(0, len(pending), batch_size)]
    bar = progress_bar(total=len(requests), initial=len(requests) - len(pending), unit="clip",
                       desc=f"generate ({cfg.backend})", progress=progress)
    with stage.profile(shard_file_name("profile", shard, ".json"), backend=cfg.backend, shard=list(shard),
                       clips_total=len(requests), clips_made=len(pending), batch_size=batch_size,
                       batch_size_why=why,
                       workers=cfg.workers) as prof:
        t0 = time.perf_counter()

        def record(rows):
            for row in rows:
                done[row["id"]] = row
            save()
            bar.update(len(rows))

        if cfg.workers > 1 and generator is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            ctx = mp.get_context("spawn")
            with ProcessPoolExecutor(cfg.workers, mp_context=ctx, initializer=_worker_init, initargs=(cfg,)) as pool:
                futures = [pool.submit(_worker_batch, b, str(out_dir)) for b in batches]
                try:
                    for fut in futures:  # in submission order: the manifest grows deterministically
                        record(fut.result())
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
        else:
            if generator is None and batches:
                generator = generator_from_config(cfg)
            _generate_overlapped(generator, batches, out_dir, cfg, record)
        bar.close()
        prof["clips_per_s"] = round(len(pending) / max(time.perf_counter() - t0, 1e-9), 3)
    return pd.read_csv(manifest_path)
