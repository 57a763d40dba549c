"""Study 09: which generated clips help?

Every training clip gets a score a user can compute without any human label
(only the genre the clip was prompted with, which generation gives for
free). Higher means "worse":

``confidence``  1 - the out-of-fold probability of the clip's own genre: the
                training clips are cut into folds by description (the takes
                of a description stay together); a classifier trained on the
                other folds scores each fold
``centroid``    cosine distance (z-scored embeddings) to the mean of the other
                clips of its genre
``duplicate``   cosine similarity to the most similar earlier clip (in id
                order, any genre): of a near-duplicate pair only the later
                clip scores high
``random``      a seeded random number: the control that separates "dropping
                these clips" from "having fewer clips"

Then the worst x % of each genre's training clips are dropped, the
classifier is retrained (same seeds, same fixed validation split) and scored
again. The validation split is never filtered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from . import common

SCORERS = ("random", "confidence", "centroid", "duplicate")

PRESETS = {
    "smoke": {"fractions": [0.0, 0.2], "seeds": [0], "folds": 2},
    "medium": {"fractions": [0.0, 0.1, 0.2, 0.4], "seeds": [0, 1], "folds": 5},
    "full": {"fractions": [0.0, 0.05, 0.1, 0.2, 0.4], "seeds": [0, 1, 2, 3, 4], "folds": 5},
}


def resolve_preset(preset: str | None, profile: str, **given) -> dict:
    """fractions, seeds and folds from a preset (see :func:`common.resolve_preset`)."""
    return common.resolve_preset(PRESETS, preset, profile, given)


# --- scores -------------------------------------------------------------------------------------

def _unit_rows(X: np.ndarray) -> np.ndarray:
    Z = (X - X.mean(0)) / (X.std(0) + 1e-6)
    return Z / (np.linalg.norm(Z, axis=1, keepdims=True) + 1e-12)


def centroid_distance(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cosine distance of each row to the mean of the other rows of its label (z-scored features)."""
    Z = (X - X.mean(0)) / (X.std(0) + 1e-6)
    out = np.zeros(len(X))
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        total = Z[idx].sum(0)
        others = (total[None, :] - Z[idx]) / max(len(idx) - 1, 1)
        num = (Z[idx] * others).sum(1)
        den = np.linalg.norm(Z[idx], axis=1) * np.linalg.norm(others, axis=1) + 1e-12
        out[idx] = 1.0 - num / den
    return out


def duplicate_score(X: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Cosine similarity of each row to its most similar row earlier in ``order``
    (the first row scores -1): one clip of a near-duplicate pair scores high."""
    U = _unit_rows(X)
    rank = np.empty(len(order), dtype=int)
    rank[order] = np.arange(len(order))
    S = U @ U.T
    earlier = rank[None, :] < rank[:, None]
    S = np.where(earlier, S, -np.inf)
    best = S.max(1)
    return np.where(np.isfinite(best), best, -1.0)


def oof_confidence(cfg: Config, syn: common.SyntheticSet, folds: int, seed: int = 0) -> np.ndarray:
    """Out-of-fold probability of each training clip's own genre (folds grouped
    by description, stratified by genre; early stopping on the validation split)."""
    from sklearn.model_selection import StratifiedGroupKFold

    idx = syn.train
    out = np.zeros(len(idx))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=common.classifier_seed(cfg, seed))
    for fit_part, held in splitter.split(idx, syn.y[idx], syn.groups[idx]):
        clf = common.fit(cfg, syn.X[idx[fit_part]], syn.y[idx[fit_part]], syn.X[syn.val], syn.y[syn.val], seed)
        proba = clf.predict_proba(syn.X[idx[held]])
        col = {c: i for i, c in enumerate(clf.classes_)}
        out[held] = proba[np.arange(len(held)), [col[g] for g in syn.y[idx[held]]]]
    return out


def score_clips(cfg: Config, syn: common.SyntheticSet, scorers=SCORERS, folds: int = 5,
                cache: common.ResultCache | None = None) -> pd.DataFrame:
    """One row per training clip: ``id, genre, prompt, path`` and one
    "badness" column per scorer (higher: dropped first)."""
    idx = syn.train
    table = pd.DataFrame({"id": syn.ids[idx], "genre": syn.y[idx], "prompt": syn.prompts[idx],
                          "path": syn.paths[idx]})
    X = syn.X[idx]
    for name in scorers:
        if name == "random":
            table[name] = np.random.default_rng(cfg.seed).random(len(idx))
        elif name == "centroid":
            table[name] = centroid_distance(X, syn.y[idx])
        elif name == "duplicate":
            table[name] = duplicate_score(X, np.argsort(syn.ids[idx], kind="stable"))
        elif name == "confidence":
            key = {"study": "quality", "score": "confidence", "folds": folds, "data": syn.fingerprint,
                   **common.training_key(cfg)}

            def compute():
                return {"p_own": oof_confidence(cfg, syn, folds).tolist()}

            p = (cache.get(key, compute) if cache is not None else compute())["p_own"]
            table["confidence"] = 1.0 - np.asarray(p)
        else:
            raise ValueError(f"unknown scorer {name!r}; known: {list(SCORERS)}")
    return table


def drop_worst(scores: pd.DataFrame, scorer: str, fraction: float) -> np.ndarray:
    """Ids dropped: per genre, the ``round(fraction * n)`` clips with the
    highest ``scorer`` value (ties broken by id)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must be in [0, 1), got {fraction}")
    out = []
    for _, rows in scores.groupby("genre", sort=True):
        n = int(round(fraction * len(rows)))
        if n:
            worst = rows.sort_values([scorer, "id"], ascending=[False, True], kind="stable").head(n)
            out.extend(worst["id"].tolist())
    return np.array(sorted(out), dtype=str)


# --- the study ------------------------------------------------------------------------------------

@dataclass
class QualityResult:
    scores: pd.DataFrame     # one row per training clip, one column per scorer
    long: pd.DataFrame       # one row per (scorer, fraction, seed, evaluated item)
    summary: pd.DataFrame    # accuracy per scorer and fraction, interval, seed spread
    gains: pd.DataFrame      # change against no filtering, paired on the same units
    dropped: pd.DataFrame    # scorer, fraction, id: what each setting dropped
    overlap: pd.DataFrame    # Jaccard overlap of the scorers' drops at the largest fraction


def run(cfg: Config, syn: common.SyntheticSet, real: common.RealSet | None, fractions, seeds,
        scorers=SCORERS, folds: int = 5, progress: bool = True, n_boot: int = 2000) -> QualityResult:
    """Score the training clips, drop the worst fractions, retrain and evaluate;
    cached under ``<run_dir>/studies/quality/cache``."""
    from tqdm.auto import tqdm

    cache = common.ResultCache(common.study_dir(cfg, "quality") / "cache")
    scores = score_clips(cfg, syn, scorers, folds, cache)
    pos = {c: i for i, c in enumerate(syn.ids)}
    base_key = {"study": "quality", "data": syn.fingerprint, "real": real.fingerprint if real is not None else None,
                "folds": folds, **common.training_key(cfg)}
    jobs = [("none", 0.0)] + [(sc, f) for sc in scorers for f in fractions if f > 0]
    records, dropped_rows = [], []
    for (scorer, fraction), s in tqdm([(j, s) for j in jobs for s in seeds], desc="quality: train",
                                      disable=not progress):
        drop = drop_worst(scores, scorer, fraction) if scorer != "none" else np.array([], dtype=str)
        dropped_set = set(drop.tolist())
        keep = np.array([pos[c] for c in scores["id"] if c not in dropped_set])
        key = {**base_key, "scorer": scorer, "fraction": fraction, "seed": s, "dropped": common.fingerprint(drop)}

        def compute(keep=keep, s=s):
            clf = common.fit(cfg, syn.X[keep], syn.y[keep], syn.X[syn.val], syn.y[syn.val], s)
            return common.predictions(clf, syn, real)

        records.append({"scorer": scorer, "fraction": fraction, "seed": s, "result": cache.get(key, compute)})
        if s == seeds[0]:
            dropped_rows += [{"scorer": scorer, "fraction": fraction, "id": c} for c in drop]
    long = common.long_table(records, syn, real)
    summary = common.summarize(long, ["scorer", "fraction"], n_boot=n_boot, seed=cfg.seed)
    gains = common.paired_gain(long, ["scorer", "fraction"], {"scorer": "none"}, match=[], n_boot=n_boot,
                               seed=cfg.seed)
    dropped = pd.DataFrame(dropped_rows, columns=["scorer", "fraction", "id"])
    return QualityResult(scores, long, summary, gains, dropped, overlap(dropped, max(fractions)))


def overlap(dropped: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """Jaccard overlap between the sets of clips each scorer dropped at ``fraction``."""
    sets = {s: set(r["id"]) for s, r in dropped[dropped["fraction"] == fraction].groupby("scorer")}
    names = sorted(sets)
    return pd.DataFrame([[len(sets[a] & sets[b]) / max(len(sets[a] | sets[b]), 1) for b in names] for a in names],
                        index=names, columns=names).round(3)


def worst_clips(result: QualityResult, scorer: str, n: int) -> pd.DataFrame:
    """The ``n`` clips ``scorer`` rates worst (across genres, worst first), for listening."""
    return result.scores.sort_values([scorer, "id"], ascending=[False, True]).head(n)


def headlines(result: QualityResult) -> dict:
    out = {"accuracy": {}, "change_vs_unfiltered": {}}
    for _, r in result.summary.iterrows():
        out["accuracy"].setdefault(r["set"], {}).setdefault(r["scorer"], {})[f"{r['fraction']:g}"] = \
            common.headline(result.summary, {"scorer": r["scorer"], "fraction": r["fraction"]}, r["set"])
    for _, r in result.gains.iterrows():
        out["change_vs_unfiltered"].setdefault(r["set"], {}).setdefault(r["scorer"], {})[f"{r['fraction']:g}"] = {
            "change": round(100 * r["gain"], 1), "ci95": [round(100 * r["ci_low"], 1), round(100 * r["ci_high"], 1)]}
    return out


def plot_scores(result: QualityResult, scorers):
    """Histogram of each scorer's values per genre."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(scorers), figsize=(3.2 * len(scorers), 3), squeeze=False)
    for ax, s in zip(axes[0], scorers):
        for g, rows in result.scores.groupby("genre"):
            ax.hist(rows[s], bins=20, histtype="step", label=g)
        ax.set_title(s)
        ax.set_xlabel("score (higher: dropped first)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot(result: QualityResult, set_: str, ax=None, title: str = ""):
    """Accuracy against the fraction dropped, one line per scorer (the
    unfiltered model starts every line)."""
    s = result.summary[result.summary["set"] == set_]
    none = s[s["scorer"] == "none"]
    parts = [s[s["scorer"] != "none"]] + [none.assign(scorer=sc) for sc in s["scorer"].unique() if sc != "none"]
    data = pd.concat(parts, ignore_index=True)
    data = data.assign(percent_dropped=(100 * data["fraction"]).round(1))
    ax = common.plot_intervals(data, "percent_dropped", hue="scorer", ax=ax, title=title, dodge=0.4)
    ax.set_xlabel("training clips dropped per genre (%)")
    return ax
