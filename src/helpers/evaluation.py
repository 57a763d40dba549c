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


#: the level of the intervals :func:`classification_metrics` gives
INTERVAL_LEVEL = 0.95


def wilson_interval(k: int, n: int, level: float = INTERVAL_LEVEL) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``k / n`` (scipy's ``binomtest``), or None when ``n`` is 0.

    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or n correct, so
    it suits small benchmarks: 2 of 2 right gives [0.34, 1.00], not "certainly 1"."""
    if n <= 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]) -> dict:
    """Per-class precision/recall/F1/support, accuracy, macro averages, confusion.

    A class present but never predicted has precision 0 (scikit-learn's
    ``zero_division=0``). A class with no example in ``y_true`` (a real
    benchmark without that genre) has no recall and no F1: they are ``None``,
    and so is its precision unless it was predicted (then 0: every such
    prediction is wrong). The macro averages are over the classes present,
    listed in ``present`` (all of ``labels`` when each has an example, and then
    they equal scikit-learn's).

    ``accuracy_ci`` and each class's ``recall_ci`` are 95 % Wilson intervals
    (:func:`wilson_interval`) over the items (tracks): how far another draw of
    items of the same kind could move the figure, for this one classifier (not
    the classifier's seed, nor the generator's draw).

    Returns ``{"labels", "present", "accuracy", "accuracy_ci", "per_class": {label:
    {precision, recall, recall_ci, f1, support}}, "macro": {...}, "confusion": [[...]], "n"}``.
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
                     "recall": float(recall[i]) if here[i] else None,
                     "recall_ci": wilson_interval(int(tp[i]), int(actual[i])),
                     "f1": float(f1[i]) if here[i] else None,
                     "support": int(actual[i])} for i, l in enumerate(labels)}

    def macro(values: np.ndarray) -> float:
        return float(values[here].mean()) if here.any() else 0.0

    return {
        "labels": labels,
        "present": [l for i, l in enumerate(labels) if here[i]],
        "n": n,
        "accuracy": float(tp.sum() / n) if n else 0.0,
        "accuracy_ci": wilson_interval(int(tp.sum()), n),
        "per_class": per_class,
        "macro": {"precision": macro(precision), "recall": macro(recall), "f1": macro(f1)},
        "confusion": cm.tolist(),
    }


#: what Table 1 shows in a cell with no meaning (the accuracy row's recall and F1)
BLANK = "—"


def interval_text(value: float | None, ci: Sequence[float] | None) -> str:
    """``80.0 % [68.1, 88.1]`` (percent, one decimal), or :data:`BLANK` without a value."""
    if value is None:
        return BLANK
    return f"{100 * value:.1f} %" + (f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else "")


def intervals_table(metrics: dict) -> pd.DataFrame:
    """Accuracy and each genre's recall with their 95 % intervals over items (from
    :func:`classification_metrics`): Table 1's figures with how sure each one is. Rows: the genres,
    then Accuracy; columns: the figure with its interval, the number right, and the support."""
    rows = []
    for label, m in metrics["per_class"].items():
        right = None if m["recall"] is None else int(round(m["recall"] * m["support"]))
        rows.append({"": label, "recall [95 % CI]": interval_text(m["recall"], m.get("recall_ci")),
                     "right": BLANK if right is None else right, "support": m["support"]})
    rows.append({"": "Accuracy", "recall [95 % CI]": interval_text(metrics["accuracy"], metrics.get("accuracy_ci")),
                 "right": int(round(metrics["accuracy"] * metrics["n"])), "support": metrics["n"]})
    return pd.DataFrame(rows).set_index("")


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



def track_figures(window_proba: np.ndarray, track_ids: Sequence[str], classes: Sequence[str],
                  true_labels: pd.Series) -> dict:
    """One classifier's figures on a real benchmark, from its window probabilities: the windows
    averaged per track (:func:`track_scores`), then :func:`classification_metrics`. Returns
    ``real_accuracy``, ``real_macro_f1``, ``predicted`` and ``label`` (track id -> genre),
    ``recall_<genre>`` (None where the benchmark lacks the genre) and ``support_<genre>``: the row
    the ablation, the real-label reference and the spread over seeds each keep per classifier."""
    classes = list(classes)
    sc = track_scores(window_proba, track_ids, classes, true_labels=true_labels)
    m = classification_metrics(sc["label"], sc["predicted"], classes)
    return {"real_accuracy": m["accuracy"], "real_macro_f1": m["macro"]["f1"],
            "predicted": dict(zip(sc.index.astype(str), sc["predicted"])),
            "label": dict(zip(sc.index.astype(str), sc["label"])),
            **{f"recall_{g}": m["per_class"][g]["recall"] for g in classes},
            **{f"support_{g}": m["per_class"][g]["support"] for g in classes}}

#: the paper's own figures (Table 1 and the text): accuracy on its synthetic validation split, and
#: right calls out of its 100 real tracks (20 per genre)
PAPER_SYNTHETIC_VAL_ACCURACY = 0.846
PAPER_REAL = (92, 100)


def beside_paper(metrics: dict) -> pd.DataFrame:
    """This run's accuracies beside the paper's, in percent with 95 % intervals over items where
    the counts are known (the paper does not give the size of its validation split)."""
    val = metrics["synthetic_val"]
    rows = [{"": "synthetic validation accuracy", "paper": interval_text(PAPER_SYNTHETIC_VAL_ACCURACY, None),
             "this run [95 % CI]": interval_text(val["accuracy"], val.get("accuracy_ci")),
             "this run's items": val["n"]}]
    if "real" in metrics:
        real = metrics["real"]
        k, n = PAPER_REAL
        rows.append({"": "real-track accuracy", "paper": interval_text(k / n, wilson_interval(k, n)),
                     "this run [95 % CI]": interval_text(real["accuracy"], real.get("accuracy_ci")),
                     "this run's items": real["n"]})
    return pd.DataFrame(rows).set_index("")


def seed_spread_summary(rows: pd.DataFrame, labels: Sequence[str]) -> dict:
    """Mean, sd (population), min and max over classifier seeds of each figure in ``rows`` (one row
    per seed: ``seed``, ``synthetic_val_accuracy``, optionally ``real_accuracy`` and ``recall_<genre>``).

    Returns ``{"seeds": [...], "synthetic_val_accuracy": {mean, sd, min, max}, "real_accuracy": {...},
    "recall": {genre: {...} or None}}`` (the real entries only where ``rows`` has them; a genre's
    recall is None where the benchmark lacks it)."""
    def stats(values: pd.Series) -> dict | None:
        v = pd.to_numeric(values, errors="coerce").dropna()
        if v.empty:
            return None
        return {"mean": float(v.mean()), "sd": float(v.std(ddof=0)), "min": float(v.min()), "max": float(v.max())}

    out = {"seeds": [int(s) for s in rows["seed"]], "synthetic_val_accuracy": stats(rows["synthetic_val_accuracy"])}
    if "real_accuracy" in rows:
        out["real_accuracy"] = stats(rows["real_accuracy"])
        out["recall"] = {g: stats(rows[f"recall_{g}"]) for g in labels if f"recall_{g}" in rows}
    return out


def spread_text(s: dict) -> tuple[str, str]:
    """A figure's spread over seeds (``{mean, sd, min, max}`` from :func:`seed_spread_summary`) in
    percent: ``("80.4 ± 0.8 %", "79.0-82.0 %")``."""
    return (f"{100 * s['mean']:.1f} ± {100 * s['sd']:.1f} %", f"{100 * s['min']:.1f}-{100 * s['max']:.1f} %")


def spread_table(metrics: dict) -> pd.DataFrame | None:
    """The spread over classifier seeds (``metrics["seed_spread"]``) as a table in percent: one row per
    figure (synthetic validation accuracy, real-track accuracy, each genre's recall), with mean ± sd and
    the range. None when the run trained one seed only."""
    spread = metrics.get("seed_spread")
    if not spread:
        return None

    def row(name: str, s: dict | None) -> dict:
        mean_sd, span = spread_text(s) if s is not None else (BLANK, BLANK)
        return {"": name, "mean ± sd": mean_sd, "range": span}

    rows = [row("synthetic validation accuracy", spread["synthetic_val_accuracy"])]
    if "real_accuracy" in spread:
        rows.append(row("real-track accuracy", spread["real_accuracy"]))
        rows += [row(f"recall {g}", s) for g, s in spread["recall"].items()]
    table = pd.DataFrame(rows).set_index("")
    table.columns.name = f"{len(spread['seeds'])} classifier seeds"
    return table
