"""Audio: decode, mix stems, peak-limit and resample to 32 kHz mono; write FLAC
atomically with a provenance tag, and check a FLAC already on disk."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from helpers.audio import load_audio, resample

from .common import PEAK_CEILING, TARGET_SR


def _provenance(path: Path) -> dict[str, str] | None:
    """The provenance tag written into a FLAC's comment, or ``None``."""
    try:
        with sf.SoundFile(str(path)) as fh:
            tag = json.loads(fh.comment or "null")
    except Exception:
        return None
    return tag if isinstance(tag, dict) else None


def flac_is_valid(path: str | os.PathLike, package: str | None = None,
                  source_path: str | None = None) -> bool:
    """True when ``path`` is a readable, non-empty mono FLAC at :data:`TARGET_SR`.

    With ``package``/``source_path`` given, its provenance tag must match too,
    so a file left by another manifest row is not mistaken for this one.
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        info = sf.info(str(path))
    except Exception:
        return False
    if info.format != "FLAC" or info.samplerate != TARGET_SR or info.channels != 1 or info.frames <= 0:
        return False
    if package is None and source_path is None:
        return True
    tag = _provenance(path) or {}
    return (package is None or tag.get("package") == package) and (
        source_path is None or tag.get("source_path") == source_path)


def peak_limit(audio: np.ndarray, ceiling: float = PEAK_CEILING) -> np.ndarray:
    """Scale ``audio`` down so its peak is ``ceiling`` if it is above it (never up)."""
    audio = np.asarray(audio, dtype=np.float32)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > ceiling:
        audio = audio * np.float32(ceiling / peak)
    return audio.astype(np.float32)


def mix_stems(stems: list[tuple[np.ndarray, int]], sr: int = TARGET_SR) -> np.ndarray:
    """Mix mono stems ``[(audio, rate), ...]`` at ``sr``: resample, zero-pad, sum, peak-limit."""
    if not stems:
        raise ValueError("no stems to mix")
    parts = [resample(audio, rate, sr) for audio, rate in stems]
    n = max(len(p) for p in parts)
    mix = np.zeros(n, dtype=np.float64)
    for part in parts:
        mix[:len(part)] += part
    return peak_limit(mix.astype(np.float32))


def _publish(tmp: str | os.PathLike, target: Path) -> None:
    """Give ``tmp`` the usual permissions (0666 less umask; mkstemp makes 0600), rename it."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, target)


def write_flac_atomic(path: str | os.PathLike, audio: np.ndarray, sr: int,
                      tags: dict[str, str] | None = None) -> Path:
    """Write 16-bit FLAC so ``path`` is either absent or complete.

    Data goes to a hidden ``.flac.part`` file in the same folder (not matched
    by ``*.flac``), is flushed, then renamed over ``path``. ``tags`` may set
    ``title``, ``artist``, ``genre``, ``comment`` (Vorbis comments).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".flac.part", dir=path.parent)
    os.close(fd)
    try:
        with sf.SoundFile(tmp, "w", samplerate=sr, channels=1, subtype="PCM_16", format="FLAC") as fh:
            for key, value in (tags or {}).items():
                setattr(fh, key, value)
            fh.write(np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _render(files: list[Path]) -> np.ndarray:
    """Decode the files (soundfile, librosa fallback), mix, mono, 32 kHz, peak-limited."""
    stems = [load_audio(f) for f in files]
    return mix_stems(stems, TARGET_SR)
