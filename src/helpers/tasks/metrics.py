"""The field's metrics for tempo and key, through mir_eval, with 95 % intervals.

Key: MIREX's weighted score (``mir_eval.key.weighted_score``: 1 correct, 0.5 a fifth
away, 0.3 relative, 0.2 parallel, 0 other), its breakdown, and accuracy. Tempo:
Accuracy1 (within 4 % of the reference), Accuracy2 (within 4 % of the reference times
1, 2, 3, 1/2 or 1/3: octave errors allowed), and mir_eval's P-score where the reference
has two tempi. Intervals: Wilson for proportions, a seeded bootstrap for the weighted score.
Model against baseline: the per-item difference of the task's headline figure (weighted
score, Accuracy2) with a paired bootstrap interval, the items resampled jointly.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..evaluation import wilson_interval

KEY_CATEGORIES = {1.0: "correct", 0.5: "fifth", 0.3: "relative", 0.2: "parallel", 0.0: "other"}
TOLERANCE = 0.04
OCTAVE_FACTORS = (1.0, 2.0, 3.0, 1.0 / 2.0, 1.0 / 3.0)
#: the figure a task's estimators are compared on, item by item
HEADLINE = {"key": "weighted_score", "tempo": "accuracy2"}


def key_scores(reference: Sequence[str], estimate: Sequence[str]) -> np.ndarray:
    import mir_eval

    # mir_eval takes the labels' own spelling ("F# minor", "Bb major")
    return np.array([mir_eval.key.weighted_score(r, e) for r, e in zip(reference, estimate)])


def bootstrap_interval(values: np.ndarray, seed: int = 0, n: int = 2000, level: float = 0.95):
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return None
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (n, len(values)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return [float(lo), float(hi)]


def key_metrics(reference: Sequence[str], estimate: Sequence[str]) -> dict:
    scores = key_scores(reference, estimate)
    n = len(scores)
    right = int((scores == 1.0).sum())
    breakdown = {name: int(np.isclose(scores, value).sum()) for value, name in KEY_CATEGORIES.items()}
    return {"items": n, "weighted_score": float(scores.mean()) if n else None,
            "weighted_score_ci": bootstrap_interval(scores), "accuracy": right / n if n else None,
            "accuracy_ci": wilson_interval(right, n), "breakdown": breakdown}


def item_scores(task: str, reference: Sequence, estimate: Sequence) -> np.ndarray:
    """Each item's share of the task's headline figure: its weighted key score, or its Accuracy2 hit."""
    if task == "key":
        return key_scores(reference, estimate)
    return tempo_hits(reference, estimate)[1].astype(float)


def paired_difference(model: np.ndarray, baseline: np.ndarray, seed: int = 0, n: int = 2000) -> dict:
    """Model minus baseline on the same items: the mean per-item difference, its paired bootstrap
    95 % interval, and on how many items each side scores more."""
    d = np.asarray(model, dtype=float) - np.asarray(baseline, dtype=float)
    return {"items": len(d), "difference": float(d.mean()) if len(d) else None,
            "difference_ci": bootstrap_interval(d, seed=seed, n=n),
            "model_better": int((d > 0).sum()), "baseline_better": int((d < 0).sum())}


def compare(task: str, reference: Sequence, estimate: Sequence, other: Sequence) -> dict:
    """``estimate`` minus ``other`` on the task's headline figure, item by item
    (:func:`paired_difference` of their :func:`item_scores`), with the figure's name."""
    return {"metric": HEADLINE[task], **paired_difference(item_scores(task, reference, estimate),
                                                          item_scores(task, reference, other))}


def key_category(reference: str, estimate: str) -> str:
    return KEY_CATEGORIES[float(key_scores([reference], [estimate])[0])]


def tempo_hits(reference: Sequence[float], estimate: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per item: (Accuracy1 hit, Accuracy2 hit)."""
    r = np.asarray(reference, dtype=float)
    e = np.asarray(estimate, dtype=float)
    acc1 = np.abs(e - r) <= TOLERANCE * r
    acc2 = np.zeros(len(r), dtype=bool)
    for f in OCTAVE_FACTORS:
        acc2 |= np.abs(e - f * r) <= TOLERANCE * f * r
    return acc1, acc2


def tempo_metrics(reference: Sequence[float], estimate: Sequence[float], reference2: Sequence[float] | None = None,
                  weight: Sequence[float] | None = None, estimate2: Sequence[float] | None = None) -> dict:
    acc1, acc2 = tempo_hits(reference, estimate)
    n = len(acc1)
    out = {"items": n, "accuracy1": float(acc1.mean()) if n else None, "accuracy1_ci": wilson_interval(int(acc1.sum()), n),
           "accuracy2": float(acc2.mean()) if n else None, "accuracy2_ci": wilson_interval(int(acc2.sum()), n)}
    if reference2 is not None and estimate2 is not None:
        import mir_eval

        p = []
        for r1, r2, w, e1, e2 in zip(reference, reference2, weight if weight is not None else [0.5] * n,
                                     estimate, estimate2):
            if np.isfinite(r2):
                ref = np.sort([r1, r2])
                w_low = float(w) if ref[0] == r1 else 1.0 - float(w)
                p.append(mir_eval.tempo.detection(ref, w_low, np.sort([e1, e2]), tol=0.08)[0])
        if p:
            out["p_score"] = float(np.mean(p))
            out["p_score_items"] = len(p)
            out["p_score_ci"] = bootstrap_interval(np.array(p))
    return out
