"""The tasks' front-ends: what each model sees of a clip.

* key: a log-magnitude constant-Q spectrogram, 24 bins per octave over five octaves
  from C2 (65 Hz), about 5 frames per second (Korzeniowski & Widmer's key CNN takes a
  log-frequency spectrogram at 5 fps);
* tempo: a multi-band tempogram. Onset strength in four mel bands (librosa), each
  band's autocorrelation tempogram averaged over time and read on the log-BPM axis of
  :func:`labels.tempo_axis` (30-300 BPM, 256 bins), plus the whole-band one: shape
  ``(5, 256)``. A periodicity at lag L is the tempo 60 / L and its multiples, so the
  model learns which peak is the beat from the bands (kick and bass low, hats high).

Both run on mono audio at any rate (resampled here) and any length.
"""

from __future__ import annotations

import numpy as np

from .labels import tempo_axis

KEY_SR, KEY_HOP, KEY_FMIN_MIDI, KEY_BINS_PER_OCTAVE, KEY_OCTAVES = 22050, 4096, 36, 24, 5
TEMPO_SR, TEMPO_HOP, TEMPO_BANDS = 22050, 256, ((0, 8), (8, 24), (24, 48), (48, 64))
TEMPO_WIN = 512  # autocorrelation window of the tempogram, in onset frames (about 6 s)


def _resample(audio: np.ndarray, sr: int, target: int) -> np.ndarray:
    from ..audio import resample, to_mono

    return resample(to_mono(np.asarray(audio, dtype=np.float32)), sr, target)


def key_features(audio: np.ndarray, sr: int) -> np.ndarray:
    """``(120, frames)`` float32: log(1 + |CQT|), C2 up, 24 bins per octave."""
    import librosa

    y = _resample(audio, sr, KEY_SR)
    c = np.abs(librosa.cqt(y, sr=KEY_SR, hop_length=KEY_HOP, fmin=librosa.midi_to_hz(KEY_FMIN_MIDI),
                           n_bins=KEY_BINS_PER_OCTAVE * KEY_OCTAVES, bins_per_octave=KEY_BINS_PER_OCTAVE))
    return np.log1p(c).astype(np.float32)


def _tempogram_bpm(onset: np.ndarray, fps: float) -> np.ndarray:
    """Time-averaged autocorrelation tempogram of an onset envelope, on the log-BPM axis, max-normalised."""
    import librosa

    onset = onset - onset.mean()
    win = int(min(TEMPO_WIN, max(len(onset), 8)))
    tg = librosa.autocorrelate(librosa.util.frame(np.pad(onset, (0, max(0, win - len(onset)))), frame_length=win,
                                                  hop_length=max(1, win // 4)), axis=0)
    tg = np.maximum(tg, 0).mean(axis=1)  # (win,) by lag in frames
    lag = 60.0 * fps / tempo_axis()  # fractional lag (in frames) of each BPM bin
    values = np.interp(lag, np.arange(len(tg)), tg, left=0.0, right=0.0)
    peak = values.max()
    return (values / peak if peak > 0 else values).astype(np.float32)


def tempo_features(audio: np.ndarray, sr: int) -> np.ndarray:
    """``(5, 256)`` float32: the whole-band and four mel-band tempograms on the log-BPM axis."""
    import librosa

    y = _resample(audio, sr, TEMPO_SR)
    mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=TEMPO_SR, hop_length=TEMPO_HOP, n_mels=64,
                                                             fmax=8000))
    fps = TEMPO_SR / TEMPO_HOP
    flux = np.maximum(0.0, np.diff(mel, axis=1, prepend=mel[:, :1]))  # (64, frames)
    rows = [_tempogram_bpm(flux.mean(axis=0), fps)]
    rows += [_tempogram_bpm(flux[a:b].mean(axis=0), fps) for a, b in TEMPO_BANDS]
    return np.stack(rows)


FEATURES = {"key": key_features, "tempo": tempo_features}
