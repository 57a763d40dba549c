"""Production: effects on the rendered audio."""

from __future__ import annotations

import numpy as np

from .arrange import _STREAM_EFFECTS, Arrangement, _rng
from .perform import to_midi
from .render import SoundFontCache, render
from .styles import GENRE_STYLES


def _reverb(audio: np.ndarray, sample_rate: int, wet: float, seed: int, rt60: float) -> np.ndarray:
    """A cheap, seeded algorithmic reverb.

    The dry signal is averaged down to a quarter of the rate, convolved (FFT)
    with a seeded, exponentially decaying noise impulse response, and the dark
    wet signal is brought back up by sample repetition and a short smoothing
    filter; reverb tails carry little above 4 kHz anyway.
    """
    from scipy import fft as sfft

    factor = 4
    n = len(audio)
    padded = np.pad(np.asarray(audio, dtype=np.float32), (0, (-n) % factor))
    low = padded.reshape(-1, factor).mean(axis=1)
    sr_low = sample_rate / factor
    length = int(rt60 * sr_low)
    rng = _rng(seed, _STREAM_EFFECTS)
    t = np.arange(length, dtype=np.float32) / np.float32(sr_low)
    ir = rng.standard_normal(length).astype(np.float32) * np.exp(np.float32(-6.9 / rt60) * t)
    ir[: int(0.012 * sr_low)] = 0.0  # pre-delay
    ir[1:] += ir[:-1]  # gentle low-pass of the tail
    ir /= np.float32(np.sqrt(np.sum(ir.astype(np.float64) ** 2)) + 1e-12)
    size = sfft.next_fast_len(len(low) + length, real=True)
    tail = sfft.irfft(sfft.rfft(low, size) * sfft.rfft(ir, size), size)[: len(low)]
    up = np.repeat(tail.astype(np.float32), factor)
    up = np.convolve(up, np.full(factor, 1.0 / factor, dtype=np.float32), mode="same")[:n]
    return (np.asarray(audio, dtype=np.float32) * np.float32(1.0 - 0.35 * wet) + np.float32(wet) * up).astype(
        np.float32)


def _lofi(audio: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
    """Band-limit to ~3.5 kHz, reduce to 9 bits and add faint hiss."""
    from scipy.signal import butter, sosfilt

    sos = butter(2, [110.0, min(3500.0, 0.45 * sample_rate)], btype="bandpass", fs=sample_rate, output="sos")
    y = sosfilt(sos, np.asarray(audio, dtype=np.float32)).astype(np.float32)
    peak = np.float32(np.max(np.abs(y)) or 1.0)
    steps = np.float32(2 ** 8)
    y = np.round(y * (steps / peak)) * (peak / steps)
    rng = _rng(seed, _STREAM_EFFECTS + 1)
    y += rng.standard_normal(len(y), dtype=np.float32) * (peak * np.float32(0.004))
    return y.astype(np.float32)


def _limit(audio: np.ndarray, sample_rate: int, crest_db: float = 14.0) -> np.ndarray:
    """A transparent peak limiter: keeps peaks within ``crest_db`` of the clip's RMS.

    The gain follows a look-ahead minimum filter smoothed by a moving average
    (both ~25 ms), so it dips before a peak and recovers smoothly. Mastered
    music sits around 10-14 dB crest; without this, slap bass or drum hits
    would make some genres systematically quieter after the caller's
    loudness normalisation with its peak ceiling.
    """
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    x = np.asarray(audio, dtype=np.float32)
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    if rms <= 0.0:
        return x
    threshold = rms * 10 ** (crest_db / 20.0)
    block = 32
    n = len(x)
    peaks = np.abs(np.pad(x, (0, (-n) % block))).reshape(-1, block).max(axis=1)
    if float(peaks.max()) <= threshold:
        return x
    gain = np.minimum(1.0, threshold / np.maximum(peaks, 1e-12))
    width = max(3, int(0.025 * sample_rate / block))
    gain = minimum_filter1d(gain, size=2 * width + 1, mode="nearest")
    gain = uniform_filter1d(gain, size=width, mode="nearest")
    centres = (np.arange(len(gain)) + 0.5) * block
    return (x * np.interp(np.arange(n), centres, gain).astype(np.float32)).astype(np.float32)


def apply_effects(audio: np.ndarray, arrangement: Arrangement, sample_rate: int) -> np.ndarray:
    """Apply the arrangement's production effects (reverb, lo-fi) and a peak limiter; returns float32."""
    out = np.asarray(audio, dtype=np.float32)
    if arrangement.reverb > 0:
        rt60 = 2.4 if arrangement.reverb >= 0.45 else (1.8 if GENRE_STYLES[arrangement.genre].expressive else 1.3)
        out = _reverb(out, sample_rate, arrangement.reverb, arrangement.seed, rt60)
    if arrangement.lofi:
        out = _lofi(out, sample_rate, arrangement.seed)
    return _limit(out, sample_rate)


def synthesize(arrangement: Arrangement, duration_s: float = 10.0, sample_rate: int = 32000, *,
               cache: SoundFontCache | None = None) -> np.ndarray:
    """Arrangement -> MIDI -> audio with effects, mono float32 of ``duration_s`` seconds."""
    midi = to_midi(arrangement, duration_s)
    audio = render(midi, arrangement.soundfont, sample_rate, duration_s=duration_s, cache=cache)
    return apply_effects(audio, arrangement, sample_rate)
