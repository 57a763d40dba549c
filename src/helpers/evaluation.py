"""Stage 5: metrics as in the paper's Table 1, and track-level scoring.

Metrics are computed here from the confusion matrix (tests check them
against scikit-learn): per-class precision, recall, F1 and support,
accuracy, macro averages.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def confusion(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Counts ``(k, k)``: rows are true labels, columns predicted, in ``labels`` order."""
    index = {l: i for i, l in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        if t not in index or p not in index:
            raise ValueError(f"label {t if t not in index else p!r} is not one of {list(labels)}")
        cm[index[t], index[p]] += 1
    return cm


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Per-class precision/recall/F1/support, accuracy, macro averages, confusion.

    A class present but never predicted has precision 0 (scikit-learn's
    ``zero_division=0``). A class with no example in ``y_true`` (a real
    benchmark without that genre) has no recall and no F1: they are ``None``,
    and so is its precision unless it was predicted (then 0: every such
    prediction is wrong). The macro averages are over the classes present,
    listed in ``present`` (all of ``labels`` when each has an example, and then
    they equal scikit-learn's).

    Returns ``{"labels", "present", "accuracy", "per_class": {label: {precision,
    recall, f1, support}}, "macro": {...}, "confusion": [[...]], "n"}``.
    """
    labels = list(labels)
    cm = confusion(y_true, y_pred, labels)
    tp = np.diag(cm).astype(float)
    predicted, actual = cm.sum(axis=0).astype(float), cm.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    n = int(cm.sum())
    here = actual > 0
    per_class = {l: {"precision": float(precision[i]) if here[i] or predicted[i] > 0 else None,
                     "recall": float(recall[i]) if here[i] else None, "f1": float(f1[i]) if here[i] else None,
                     "support": int(actual[i])} for i, l in enumerate(labels)}

    def macro(values: np.ndarray) -> float:
        return float(values[here].mean()) if here.any() else 0.0

    return {
        "labels": labels,
        "present": [l for i, l in enumerate(labels) if here[i]],
        "n": n,
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "per_class": per_class,
        "macro": {"precision": macro(precision), "recall": macro(recall), "f1": macro(f1)},
        "confusion": cm.tolist(),
    }


#: what Table 1 shows in a cell with no meaning (the accuracy row's recall and F1)
BLANK = "—"


def table1(metrics: dict) -> pd.DataFrame:
    """The paper's Table 1 layout: Genre | Precision | Recall | F1-Score | Support,
    then a Macro avg and an Accuracy row, in percent (one decimal).

    The accuracy row has its figure under Precision and :data:`BLANK` under
    Recall and F1 (as the paper leaves them empty), never ``NaN``. A genre
    with no example (support 0) shows :data:`BLANK` where its figures are
    undefined, and the macro row says how many genres it averages.
    """
    def pct(value):
        return BLANK if value is None else round(100 * value, 1)

    rows = [{"Genre": l, "Precision": pct(m["precision"]), "Recall": pct(m["recall"]),
             "F1-Score": pct(m["f1"]), "Support": m["support"]} for l, m in metrics["per_class"].items()]
    present = metrics.get("present", metrics["labels"])
    rows.append({"Genre": "Macro avg" if len(present) == len(metrics["labels"]) else
                 f"Macro avg ({len(present)} genres present)",
                 **{k: pct(metrics["macro"][key]) for k, key in
                    (("Precision", "precision"), ("Recall", "recall"), ("F1-Score", "f1"))},
                 "Support": metrics["n"]})
    rows.append({"Genre": "Accuracy", "Precision": pct(metrics["accuracy"]), "Recall": BLANK, "F1-Score": BLANK,
                 "Support": metrics["n"]})
    return pd.DataFrame(rows).set_index("Genre").astype({"Support": int})


def track_scores(window_proba: np.ndarray, track_ids: Sequence[str], classes: Sequence[str],
                 true_labels: pd.Series | None = None) -> pd.DataFrame:
    """Average window probabilities per track (tracks in first-seen order).

    Returns a table indexed by track id with one probability column per
    class, ``n_windows`` and ``predicted``; with ``true_labels`` (a Series
    indexed by track id) also a first column ``label``.
    """
    frame = pd.DataFrame(np.asarray(window_proba), columns=list(classes))
    frame["track_id"] = list(track_ids)
    grouped = frame.groupby("track_id", sort=False)
    scores = grouped[list(classes)].mean()
    scores["n_windows"] = grouped.size()
    scores["predicted"] = scores[list(classes)].idxmax(axis=1)
    if true_labels is not None:
        scores.insert(0, "label", true_labels.loc[scores.index].to_numpy())
    return scores
