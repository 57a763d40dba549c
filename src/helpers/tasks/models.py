"""The trainable task models: small CNNs in torch, trained on the generated clips only.

Both follow scikit-learn's shape: ``fit(X, y)`` with a list of feature arrays and integer
classes, ``predict(X)`` -> labels, ``predict_proba(X)``, ``save`` / ``load``. Training is
seeded, on the CPU by default, with Adam, a validation split drawn from the seed, and
early stopping on the validation loss (the best epoch's weights are kept).

* :class:`KeyCNN`, after Korzeniowski & Widmer (2017, "End-to-end musical key estimation
  using a convolutional neural network"): five 5x5 convolutions of 8 filters with ELU on
  the constant-Q spectrogram, a dense layer of 48 units on each frame, 24 key scores per
  frame, averaged over time. Works on any clip length.
* :class:`KeyChromaNet`, a learnt key profile: the same constant-Q spectrogram averaged
  over time and folded to 12 pitch classes in each of its five octaves, then a small
  network applied to the pitch classes read from each of the 12 tonics (a circular
  convolution), giving a major and a minor score per tonic. The Krumhansl-Schmuckler
  method with its two profiles learnt from the generated clips, per register and
  through one hidden layer, instead of taken from listening tests; transposing the input
  transposes the output exactly.
* :class:`TempoCNN`, after Schreiber & Mueller (2018, "A single-step approach to musical
  tempo estimation using a convolutional neural network"), which classifies tempo into
  256 classes; here the input is the multi-band tempogram on the same log-BPM axis as
  the classes, and the network is fully convolutional along that axis, so each class's
  score is read from the periodicity evidence around its own BPM and a few octaves
  above and below (a receptive field of about 2.5 octaves): it learns which peak of a
  tempogram is the beat.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .features import KEY_BINS_PER_OCTAVE
from .labels import KEYS, tempo_axis


class _TorchTaskModel:
    """Shared training loop and persistence."""

    name = ""
    classes: Sequence = ()

    def __init__(self, learning_rate: float = 1e-3, batch_size: int = 32, max_epochs: int = 40, patience: int = 6,
                 val_fraction: float = 0.1, seed: int = 0, device: str = "cpu", **net_options):
        self.learning_rate, self.batch_size = float(learning_rate), int(batch_size)
        self.max_epochs, self.patience, self.val_fraction = int(max_epochs), int(patience), float(val_fraction)
        self.seed, self.device = int(seed), torch.device(device)
        self.net_options = net_options
        self.net: nn.Module | None = None
        self.history: list[dict] = []
        self.best_epoch_ = None

    # -- subclasses ---------------------------------------------------------
    def _build(self) -> nn.Module:
        raise NotImplementedError

    def _augment(self, X: list[np.ndarray], y: np.ndarray, rng: np.random.Generator):
        """A training batch as the net sees it (none by default); ``rng`` is the seed's, so it repeats."""
        return X, y

    def _batch(self, X: Sequence[np.ndarray]) -> torch.Tensor:
        """Stack (crop to the shortest) a batch of feature arrays as ``(B, 1, ...)``."""
        n = min(x.shape[-1] for x in X)
        return torch.from_numpy(np.stack([x[..., :n] for x in X]).astype(np.float32))[:, None]

    # -- training -----------------------------------------------------------
    def fit(self, X: Sequence[np.ndarray], y: Sequence[int]) -> "_TorchTaskModel":
        """Train from the seed alone (init, order, dropout), leaving the caller's RNG untouched."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            return self._fit(X, y)

    def _fit(self, X, y) -> "_TorchTaskModel":
        y = np.asarray(y, dtype=np.int64)
        g = torch.Generator().manual_seed(self.seed)
        augment_rng = np.random.default_rng([self.seed, 1])
        self.net = self._build().to(self.device)
        order = np.random.default_rng(self.seed).permutation(len(X))
        n_val = max(1, int(round(self.val_fraction * len(X))))
        val, train = order[:n_val], order[n_val:]
        opt = torch.optim.Adam(self.net.parameters(), lr=self.learning_rate)
        loss_fn = nn.CrossEntropyLoss()
        best, best_state, bad = np.inf, None, 0
        from ..progress import progress_bar

        bar = progress_bar(total=self.max_epochs, desc=f"train {self.name}", unit="epoch")
        for epoch in range(1, self.max_epochs + 1):
            self.net.train()
            perm = train[torch.randperm(len(train), generator=g).numpy()]
            total = 0.0
            for s in range(0, len(perm), self.batch_size):
                idx = perm[s:s + self.batch_size]
                xs, ys = self._augment([X[i] for i in idx], y[idx], augment_rng)
                xb = self._batch(xs).to(self.device)
                yb = torch.from_numpy(ys).to(self.device)
                opt.zero_grad()
                loss = loss_fn(self.net(xb), yb)
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            val_loss, val_acc = self._evaluate([X[i] for i in val], y[val], loss_fn)
            self.history.append({"epoch": epoch, "train_loss": total / max(len(train), 1), "val_loss": val_loss,
                                 "val_accuracy": val_acc})
            bar.update(1)
            if val_loss < best - 1e-6:
                best, bad, self.best_epoch_ = val_loss, 0, epoch
                best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            else:
                bad += 1
                if bad >= self.patience:
                    break
        bar.close()
        self.net.load_state_dict(best_state)
        self.val_ids_ = val
        return self

    @torch.no_grad()
    def _evaluate(self, X, y, loss_fn) -> tuple[float, float]:
        logits = self._logits(X)
        t = torch.from_numpy(np.asarray(y))
        return float(loss_fn(logits, t)), float((logits.argmax(1) == t).float().mean())

    @torch.no_grad()
    def _logits(self, X: Sequence[np.ndarray]) -> torch.Tensor:
        self.net.eval()
        out = []
        for x in X:  # one at a time: lengths differ (real tracks)
            out.append(self.net(self._batch([x]).to(self.device)).cpu())
        return torch.cat(out) if out else torch.zeros((0, len(self.classes)))

    def predict_proba(self, X: Sequence[np.ndarray]) -> np.ndarray:
        return torch.softmax(self._logits(X), dim=1).numpy()

    def predict(self, X: Sequence[np.ndarray]) -> list:
        return [self.classes[i] for i in self.predict_proba(X).argmax(1)]

    # -- persistence --------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        torch.save({"name": self.name, "state": self.net.state_dict(), "options": self.net_options,
                    "history": self.history, "best_epoch": self.best_epoch_}, tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> "_TorchTaskModel":
        blob = torch.load(str(path), map_location="cpu", weights_only=True)
        model = cls(**blob["options"])
        model.net = model._build()
        model.net.load_state_dict(blob["state"])
        model.history, model.best_epoch_ = blob["history"], blob["best_epoch"]
        return model


def transpose_cqt(x: np.ndarray, semitones: int, bins_per_semitone: int = KEY_BINS_PER_OCTAVE // 12) -> np.ndarray:
    """A constant-Q spectrogram moved ``semitones`` up (down if negative), silence filling the gap."""
    shift = int(semitones) * bins_per_semitone
    out = np.zeros_like(x)
    if shift > 0:
        out[shift:] = x[:-shift]
    elif shift < 0:
        out[:shift] = x[-shift:]
    else:
        out[:] = x
    return out


def transpose_key(index: int, semitones: int) -> int:
    """The key class ``semitones`` up: the tonic moves, the mode stays."""
    return (index % 12 + int(semitones)) % 12 + 12 * (index // 12)


class _KeyModel(_TorchTaskModel):
    """A key model on the constant-Q spectrogram; classes :data:`labels.KEYS`.

    ``transpose: N`` (an option, 0 by default) moves each training example by a random
    whole number of semitones in ``[-N, N]`` and its key with it, as Korzeniowski &
    Widmer (2018, "Genre-agnostic key classification with convolutional neural
    networks") did by pitch-shifting: every key is then seen played in every register
    and by every voicing, not only those the clip was rendered in.
    """

    classes = KEYS

    def _augment(self, X, y, rng):
        limit = int(self.net_options.get("transpose", 0))
        if limit <= 0:
            return X, y
        steps = rng.integers(-limit, limit + 1, size=len(X))
        return ([transpose_cqt(x, k) for x, k in zip(X, steps)],
                np.array([transpose_key(int(c), k) for c, k in zip(y, steps)], dtype=np.int64))


class KeyCNN(_KeyModel):
    """Korzeniowski & Widmer's key CNN on a constant-Q spectrogram (``transpose`` as :class:`_KeyModel`)."""

    name = "key-cnn"

    def _build(self) -> nn.Module:
        width = int(self.net_options.get("filters", 8))
        layers: list[nn.Module] = []
        channels = 1
        for _ in range(5):
            layers += [nn.Conv2d(channels, width, 5, padding=2), nn.ELU()]
            channels = width
        bins = int(self.net_options.get("bins", 120))
        # a dense layer on each frame (a convolution spanning all frequencies), then the mean over time
        layers += [nn.Dropout(0.3), nn.Conv2d(width, 48, (bins, 1)), nn.ELU(), nn.Conv2d(48, len(KEYS), 1),
                   nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        return nn.Sequential(*layers)

    def _batch(self, X):
        x = super()._batch(X)
        return (x - x.mean(dim=(2, 3), keepdim=True)) / (x.std(dim=(2, 3), keepdim=True) + 1e-5)


class _ChromaNet(nn.Module):
    """(B, 1, bins, frames) log-CQT -> (B, 24) key scores, equivariant to transposition."""

    def __init__(self, octaves: int, hidden: int):
        super().__init__()
        self.octaves = octaves
        self.head = (nn.Sequential(nn.Conv1d(octaves, hidden, 12), nn.ELU(), nn.Conv1d(hidden, 2, 1)) if hidden
                     else nn.Conv1d(octaves, 2, 12))

    def forward(self, x):
        m = x[:, 0].mean(dim=-1)  # (B, bins) by frequency, C2 up, 2 bins per semitone
        m = m.reshape(len(m), self.octaves, 12, 2)
        # each semitone's bin, and half of each quarter-tone bin beside it
        c = m[..., 0] + 0.5 * m[..., 1] + 0.5 * torch.roll(m[..., 1], 1, dims=-1)  # (B, octaves, 12)
        c = 12 * c / (c.sum(dim=(1, 2), keepdim=True) + 1e-6)
        c = torch.cat([c, c[..., :11]], dim=-1)  # position r sees the pitch classes r .. r+11
        return self.head(c).reshape(len(c), 24)  # major tonics 0-11, then minor: the order of KEYS


class KeyChromaNet(_KeyModel):
    """A learnt key profile on the time-averaged constant-Q spectrogram (see the module's text).

    Options: ``hidden`` units of the layer between pitch classes and scores (16; 0: two linear
    profiles per octave); ``transpose`` as :class:`_KeyModel` (it moves the register here, since
    the scores already follow the tonic).
    """

    name = "key-chroma-net"

    def _build(self) -> nn.Module:
        bins = int(self.net_options.get("bins", 120))
        if bins % 24:
            raise ValueError(f"{self.name}: bins must be whole octaves of 24, got {bins}")
        return _ChromaNet(bins // 24, int(self.net_options.get("hidden", 16)))


class _TempoNet(nn.Module):
    def __init__(self, bands: int, width: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(bands, width, 9, padding=4), nn.ELU(),
            nn.Conv1d(width, width, 9, padding=8, dilation=2), nn.ELU(),
            nn.Conv1d(width, width, 9, padding=16, dilation=4), nn.ELU(),
            nn.Conv1d(width, width, 9, padding=32, dilation=8), nn.ELU(),
            nn.Dropout(0.2),
            nn.Conv1d(width, 1, 1),
        )

    def forward(self, x):  # (B, 1, bands, bins) -> (B, bins)
        return self.body(x[:, 0])[:, 0]


class TempoCNN(_TorchTaskModel):
    """Tempo classification on the log-BPM axis (:func:`labels.tempo_axis`), after Schreiber & Mueller."""

    name = "tempo-cnn"

    @property
    def classes(self):
        return tuple(float(b) for b in tempo_axis())

    def _build(self) -> nn.Module:
        return _TempoNet(int(self.net_options.get("bands", 5)), int(self.net_options.get("filters", 32)))

    def predict_two(self, X) -> tuple[np.ndarray, np.ndarray]:
        """The two strongest tempi (an octave apart or not) per item, for the P-score."""
        p = self.predict_proba(X)
        axis = tempo_axis()
        first = p.argmax(1)
        masked = p.copy()
        for i, f in enumerate(first):
            masked[i, max(0, f - 8):f + 9] = 0.0  # at least 7 % away
        return axis[first], axis[masked.argmax(1)]
