"""Classic estimators that need no training data, with the task models' fit/predict shape.

* :class:`KeyProfile`: the mean chroma (librosa's ``chroma_cqt``) correlated with the 24
  rotations of a key profile, Krumhansl-Kessler (1982) by default or Temperley (1999),
  the Krumhansl-Schmuckler method. ``fit`` does nothing.
* :class:`LibrosaTempo`: librosa's tempo estimator (``librosa.feature.tempo`` on the
  onset envelope, its default prior), the beat tracker's own tempo. ``fit`` does nothing.

Both take audio (``(audio, sample_rate)`` pairs), not the CNNs' features.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .labels import KEYS

PROFILES = {
    "krumhansl": (np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
                  np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])),
    "temperley": (np.array([5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0]),
                  np.array([5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0])),
}


def profile_key(chroma: np.ndarray, profile: str = "krumhansl") -> str:
    """The key whose rotated profile correlates best with a 12-bin chroma vector."""
    major, minor = PROFILES[profile]
    c = np.asarray(chroma, dtype=float)
    scores = [np.corrcoef(c, np.roll(major, k))[0, 1] for k in range(12)]
    scores += [np.corrcoef(c, np.roll(minor, k))[0, 1] for k in range(12)]
    return KEYS[int(np.nanargmax(scores))]


class KeyProfile:
    name = "key-profile"
    classes = KEYS
    needs_audio = True

    def __init__(self, profile: str = "krumhansl", **_):
        if profile not in PROFILES:
            raise ValueError(f"key-profile: profile must be one of {', '.join(PROFILES)}, got {profile!r}")
        self.profile = profile

    def fit(self, X=None, y=None):
        return self

    def predict(self, items: Sequence[tuple[np.ndarray, int]]) -> list[str]:
        import librosa

        out = []
        for audio, sr in items:
            chroma = librosa.feature.chroma_cqt(y=np.asarray(audio, dtype=np.float32), sr=sr).mean(axis=1)
            out.append(profile_key(chroma, self.profile))
        return out


class LibrosaTempo:
    name = "librosa-tempo"
    needs_audio = True

    def __init__(self, **_):
        pass

    def fit(self, X=None, y=None):
        return self

    def predict(self, items: Sequence[tuple[np.ndarray, int]]) -> list[float]:
        import librosa

        out = []
        for audio, sr in items:
            onset = librosa.onset.onset_strength(y=np.asarray(audio, dtype=np.float32), sr=sr)
            out.append(float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=sr))[0]))
        return out
