"""Stage 4: the paper's genre classifier on embeddings.

:class:`MLPClassifier` is a scikit-learn style estimator (``fit`` returns
self, ``predict``/``predict_proba``, learned state ends in ``_``) around a
PyTorch network: dense 128 + ReLU, dense ``n_classes`` + softmax, trained
with Adam (lr 1e-4) on class-weighted cross-entropy, with early stopping on
the validation loss (patience 5, best weights restored).
"""

from __future__ import annotations

import copy
import io
import logging
from typing import Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)


def balanced_class_weights(y: np.ndarray, n_classes: int) -> np.ndarray:
    """``n_samples / (n_classes * count_c)``, as Keras/scikit-learn's "balanced"."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weights = np.where(counts > 0, len(y) / (n_classes * np.maximum(counts, 1)), 0.0)
    return weights.astype(np.float32)


def split_train_val(labels: Sequence[str], groups: Sequence | None, val_fraction: float,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified train/validation split; with ``groups`` (e.g. the description
    a clip was generated from) no group is on both sides.

    Returns index arrays ``(train_idx, val_idx)``.
    """
    from sklearn.model_selection import StratifiedGroupKFold, train_test_split

    labels = np.asarray(labels)
    idx = np.arange(len(labels))
    if groups is None:
        tr, va = train_test_split(idx, test_size=val_fraction, stratify=labels, random_state=seed)
        return np.sort(tr), np.sort(va)
    n_splits = max(2, int(round(1 / val_fraction)))
    smallest = int(np.unique(labels, return_counts=True)[1].min())
    if smallest < n_splits:
        raise ValueError(f"a {val_fraction:.0%} validation split needs at least {n_splits} clips per class; "
                         f"the smallest class has {smallest} (raise clips_per_genre or val_fraction)")
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    tr, va = next(splitter.split(idx, labels, groups=np.asarray(groups)))
    return np.sort(tr), np.sort(va)


class MLPClassifier:
    """Dense ``hidden_units`` + ReLU -> dense ``n_classes`` + softmax.

    Args:
        hidden_units: width of the hidden layer (paper: 128).
        learning_rate: Adam's learning rate (paper: 1e-4).
        batch_size: minibatch size.
        max_epochs: upper bound on epochs.
        patience: epochs without a better validation loss before stopping (paper: 5).
        class_weights: weight the training loss by balanced class weights.
        standardize: z-score inputs with the training split's mean and std.
        seed: seeds initialisation and shuffling.
        device: torch device.
    """

    def __init__(self, hidden_units: int = 128, learning_rate: float = 1e-4, batch_size: int = 32,
                 max_epochs: int = 300, patience: int = 5, class_weights: bool = True,
                 standardize: bool = True, seed: int = 0, device: str = "cpu"):
        self.hidden_units = hidden_units
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.class_weights = class_weights
        self.standardize = standardize
        self.seed = seed
        self.device = device

    # -- network -------------------------------------------------------------------
    def _build(self, n_features: int, n_classes: int):
        import torch
        from torch import nn

        torch.manual_seed(self.seed)
        return nn.Sequential(nn.Linear(n_features, self.hidden_units), nn.ReLU(),
                             nn.Linear(self.hidden_units, n_classes)).to(self.device)

    def _encode(self, y) -> np.ndarray:
        y = np.asarray(y)
        lookup = {c: i for i, c in enumerate(self.classes_)}
        try:
            return np.array([lookup[v] for v in y], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"label {exc.args[0]!r} was not among the training classes {list(self.classes_)}") from None

    def _scale(self, X) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(f"expected X of shape (n, {self.n_features_in_}), got {X.shape}")
        return (X - self.mean_) / self.scale_

    def fit(self, X, y, X_val=None, y_val=None, classes: Sequence[str] | None = None,
            progress: bool = False) -> "MLPClassifier":
        """Train on ``(X, y)``; early-stop on ``(X_val, y_val)`` (required).

        Sets ``classes_``, ``model_``, ``history_`` (a DataFrame: epoch,
        train_loss, val_loss, train_accuracy, val_accuracy), ``best_epoch_``
        (1-based) and ``stopped_epoch_``. Returns self.
        """
        import torch
        from .progress import progress_bar

        if X_val is None or y_val is None:
            raise ValueError("early stopping needs a validation split: pass X_val and y_val")
        X = np.ascontiguousarray(X, dtype=np.float32)  # statistics summed in one order, whatever the layout
        if len(X) == 0:
            raise ValueError("no training samples")
        self.classes_ = np.array(sorted(set(np.asarray(y))) if classes is None else list(classes))
        self.n_features_in_ = X.shape[1]
        if self.standardize:
            self.mean_ = X.mean(axis=0)
            self.scale_ = X.std(axis=0) + 1e-6
        else:
            self.mean_ = np.zeros(X.shape[1], np.float32)
            self.scale_ = np.ones(X.shape[1], np.float32)
        yt, yv = self._encode(y), self._encode(y_val)
        Xt = torch.from_numpy(self._scale(X)).to(self.device)
        Xv = torch.from_numpy(self._scale(X_val)).to(self.device)
        yt_t, yv_t = torch.from_numpy(yt).to(self.device), torch.from_numpy(yv).to(self.device)
        k = len(self.classes_)
        weights = balanced_class_weights(yt, k) if self.class_weights else np.ones(k, np.float32)
        self.class_weight_ = dict(zip(self.classes_.tolist(), weights.tolist()))
        model = self._build(X.shape[1], k)
        opt = torch.optim.Adam(model.parameters(), lr=self.learning_rate)
        train_loss_fn = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(weights).to(self.device))
        val_loss_fn = torch.nn.CrossEntropyLoss()  # as Keras: class weights apply to training only
        gen = torch.Generator().manual_seed(self.seed)

        history, best, best_state, wait = [], np.inf, None, 0
        bar = progress_bar(range(1, self.max_epochs + 1), progress=progress, desc="train", unit="epoch")
        for epoch in bar:
            model.train()
            order = torch.randperm(len(Xt), generator=gen).to(self.device)
            total, correct = 0.0, 0
            for s in range(0, len(order), self.batch_size):
                b = order[s:s + self.batch_size]
                logits = model(Xt[b])
                loss = train_loss_fn(logits, yt_t[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(b)
                correct += int((logits.argmax(1) == yt_t[b]).sum())
            model.eval()
            with torch.no_grad():
                lv = model(Xv)
                val_loss = float(val_loss_fn(lv, yv_t))
                val_acc = float((lv.argmax(1) == yv_t).float().mean())
            history.append({"epoch": epoch, "train_loss": total / len(Xt), "val_loss": val_loss,
                            "train_accuracy": correct / len(Xt), "val_accuracy": val_acc})
            bar.set_postfix(val_loss=f"{val_loss:.4f}", val_acc=f"{val_acc:.3f}")
            if val_loss < best - 1e-7:
                best, best_state, wait = val_loss, copy.deepcopy(model.state_dict()), 0
                self.best_epoch_ = epoch
            else:
                wait += 1
                if wait >= self.patience:
                    break
        bar.close()
        model.load_state_dict(best_state)
        self.model_ = model.eval()
        self.stopped_epoch_ = epoch
        self.history_ = pd.DataFrame(history)
        log.info("trained %d epochs; best validation loss %.4f at epoch %d", epoch, best, self.best_epoch_)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``, columns in ``classes_`` order."""
        import torch

        with torch.no_grad():
            logits = self.model_(torch.from_numpy(self._scale(X)).to(self.device))
            return torch.softmax(logits, dim=1).cpu().numpy()

    def predict(self, X) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    # -- persistence -----------------------------------------------------------------
    def save(self, path) -> None:
        import torch

        from .data import atomic_write_bytes

        buf = io.BytesIO()
        torch.save({"params": self.get_params(), "classes": self.classes_.tolist(),
                    "mean": self.mean_, "scale": self.scale_, "state_dict": self.model_.state_dict(),
                    "best_epoch": self.best_epoch_, "stopped_epoch": self.stopped_epoch_,
                    "history": self.history_.to_dict("list")}, buf)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path) -> "MLPClassifier":
        import torch

        state = torch.load(path, map_location="cpu", weights_only=False)
        clf = cls(**state["params"])
        clf.classes_ = np.array(state["classes"])
        clf.mean_, clf.scale_ = state["mean"], state["scale"]
        clf.n_features_in_ = len(clf.mean_)
        clf.model_ = clf._build(clf.n_features_in_, len(clf.classes_))
        clf.model_.load_state_dict(state["state_dict"])
        clf.model_.eval()
        clf.best_epoch_, clf.stopped_epoch_ = state["best_epoch"], state["stopped_epoch"]
        clf.history_ = pd.DataFrame(state["history"])
        return clf

    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in ("hidden_units", "learning_rate", "batch_size", "max_epochs",
                                              "patience", "class_weights", "standardize", "seed", "device")}
