"""What notebooks 10_tempo and 11_key show: tables, figures, players, and the spread ablation."""

from __future__ import annotations


import numpy as np
import pandas as pd

from ..config import PROJECT_ROOT, load_config
from .metrics import KEY_CATEGORIES, OCTAVE_FACTORS, TOLERANCE

#: where the fetch commands put the annotated sets this project ships manifests for
DEFAULT_REAL = {"tempo": ("data/modules-tempo/tracks.csv",),
                "key": ("data/keymidi/tracks.csv", "data/scorekey/tracks.csv", "data/folkkey/tracks.csv",
                        "data/fiddlekey/tracks.csv")}
SMOKE_CLIPS = 12  # per genre, on the smoke profile


def default_real_data(task: str) -> list[str] | None:
    """``csv:<tracks.csv>`` of each fetched set for ``task`` that is there, else None."""
    found = [f"csv:{PROJECT_ROOT / p}" for p in DEFAULT_REAL[task] if (PROJECT_ROOT / p).is_file()]
    return found or None


def task_config(task: str, profile: str = "offline", overrides: dict | None = None, clips_per_genre=None,
                real_data=None, run_dir=None):
    """The task's profile (``configs/<task>.yaml``); the study's ``profile`` only sets the size
    (smoke: a few clips per genre, a few epochs, its own run folder)."""
    overrides = dict(overrides or {})
    if profile == "smoke":
        overrides.setdefault("prompts.clips_per_genre", SMOKE_CLIPS)
        overrides.setdefault("task.max_epochs", 3)
        run_dir = run_dir or f"runs/smoke-{task}"
    if real_data is None:
        real_data = default_real_data(task)
    if real_data is not None:
        overrides["task.real_data"] = real_data
    return load_config(task, overrides, run_dir=run_dir, clips_per_genre=clips_per_genre)


def results_table(results: dict, task: str) -> pd.DataFrame:
    """One row per (set, estimator): the task's figures with their 95 % intervals; on the model's
    row, its paired difference from the baseline on the same items; last, all real sets pooled."""
    keys = ("weighted_score", "accuracy") if task == "key" else ("accuracy1", "accuracy2", "p_score")
    entries = dict(results["sets"])
    if results.get("pooled_real"):
        entries["all real sets, pooled"] = results["pooled_real"]
    rows = []
    for name, entry in entries.items():
        for who in ("model", "baseline"):
            m = entry.get(who)
            if not m:
                continue
            row = {"set": name, "estimator": results[who], "items": m["items"]}
            for k in keys:
                if m.get(k) is not None:
                    row[k] = _with_interval(m[k], m.get(f"{k}_ci"))
            paired = entry.get("model_minus_baseline")
            if paired and paired.get("difference") is not None:
                row["model − baseline"] = (_with_interval(paired["difference"], paired["difference_ci"], sign=True)
                                           if who == "model" else "")
            rows.append(row)
    return pd.DataFrame(rows)


def _with_interval(value: float, ci, sign: bool = False) -> str:
    f = "{:+.3f}" if sign else "{:.3f}"
    return f.format(value) + (f" [{f.format(ci[0])}, {f.format(ci[1])}]" if ci else "")


def plot_tempo_scatter(pred: pd.DataFrame, title: str = "", ax=None):
    """Estimate against reference (log axes), with the lines of Accuracy2's factors and the 4 % band."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(5, 5))[1]
    lo, hi = 30, 300
    x = np.geomspace(lo, hi, 50)
    for f in OCTAVE_FACTORS:
        ax.plot(x, f * x, color="0.6" if f != 1 else "k", lw=0.8, ls="-" if f == 1 else "--")
        ax.text(hi * 0.95, min(f * hi * 0.95, hi), f"x{f:g}" if f >= 1 else f"x1/{round(1 / f)}", fontsize=7,
                color="0.4", ha="right")
    ax.fill_between(x, x * (1 - TOLERANCE), x * (1 + TOLERANCE), color="0.85")
    ref = pred["label"].astype(float)
    ax.scatter(ref, pred["baseline"], s=14, alpha=0.7, label="baseline", marker="x")
    ax.scatter(ref, pred["model"], s=14, alpha=0.7, label="model (generated data)")
    ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), xlabel="reference BPM", ylabel="estimate BPM",
           title=title)
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_key_breakdown(results: dict, ax=None):
    """The MIREX categories (correct, fifth, relative, parallel, other) per set and estimator."""
    import matplotlib.pyplot as plt

    names = list(KEY_CATEGORIES.values())
    rows = []
    for set_name, entry in results["sets"].items():
        for who in ("model", "baseline"):
            m = entry.get(who)
            if m and m.get("items"):
                rows.append((f"{set_name[:28]}\n{results[who]}", [m["breakdown"][n] / m["items"] for n in names]))
    ax = ax or plt.subplots(figsize=(8, 0.6 + 0.5 * len(rows)))[1]
    left = np.zeros(len(rows))
    for j, n in enumerate(names):
        vals = np.array([r[1][j] for r in rows])
        ax.barh([r[0] for r in rows], vals, left=left, label=n)
        left += vals
    ax.set(xlim=(0, 1), xlabel="share of items")
    ax.legend(ncol=5, fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return ax


def plot_label_spread(clips: pd.DataFrame, task: str, ax=None):
    """The training labels: tempo histogram per genre, or counts of the 24 keys."""
    import matplotlib.pyplot as plt

    from .labels import KEYS, parse_key

    ax = ax or plt.subplots(figsize=(8, 3))[1]
    if task == "tempo":
        for genre, g in clips.groupby("genre"):
            ax.hist(g["tempo_bpm"], bins=np.arange(40, 245, 5), alpha=0.5, label=genre)
        ax.set(xlabel="BPM", ylabel="clips")
        ax.legend(fontsize=7)
    else:
        counts = pd.Series([parse_key(k) for k in clips["key"]]).value_counts().reindex(KEYS, fill_value=0)
        ax.bar(range(24), counts.to_numpy())
        ax.set_xticks(range(24), [k.replace(" major", "").replace(" minor", "m") for k in KEYS], fontsize=7)
        ax.set(ylabel="clips")
    return ax


def mistakes(pred: pd.DataFrame, task: str, n: int = 12) -> pd.DataFrame:
    """The model's misses (tempo: outside Accuracy2; key: anything but correct), worst first."""
    if task == "tempo":
        from .metrics import tempo_hits

        _, acc2 = tempo_hits(pred["label"].astype(float), pred["model"].astype(float))
        miss = pred[~acc2].copy()
        miss["ratio"] = (miss["model"] / miss["label"].astype(float)).round(3)
        miss = miss.sort_values("ratio", key=lambda r: np.abs(np.log(r)), ascending=False)
    else:
        miss = pred[pred["model_category"] != "correct"].copy()
    return miss.head(n)


def ablation(cfg, progress: bool = True) -> dict:
    """What the spread buys: the same study with each genre's own tempo range and keys
    (``tempo_spread: style``, ``key_spread: style``), in ``<run>/ablation-style/``, on the same sets;
    ``paired``: the full spread's model minus the other's on each real set (:func:`arm_difference`)."""
    from .. import pipeline
    from .study import run_task

    options = {**cfg.generation.options, "tempo_spread": "style", "key_spread": "style"}
    other = load_config(cfg.task.name,
                        {"generation.options": options, "task.real_data": cfg.task.real_data,
                         "prompts.clips_per_genre": cfg.prompts.clips_per_genre,
                         "task.max_epochs": cfg.task.max_epochs},
                        run_dir=str(cfg.run_path / "ablation-style"))
    pipeline.run_prompts(other)
    pipeline.run_generation(other, progress=progress)
    results = run_task(other, progress)
    return {"full spread": None, "genre's own ranges": results, "paired": arm_difference(cfg, other, results)}


def arm_difference(cfg, other, results: dict) -> pd.DataFrame:
    """On each real set: ``cfg``'s model minus ``other``'s (two arms of an ablation, each with its
    own run folder) on the headline figure, paired on the same items, with a bootstrap interval.
    The synthetic validation splits are left out: each arm has its own clips."""
    from ..errors import StageError
    from .metrics import compare
    from .study import predictions

    task = cfg.task.name
    rows = []
    for name, entry in results["sets"].items():
        if name == "synthetic_val" or not entry.get("items"):
            continue
        mine, theirs = predictions(cfg, name), predictions(other, name)
        both = mine.merge(theirs[["id", "model"]], on="id", suffixes=("", "_other"))
        if not len(both) == len(mine) == len(theirs):
            raise StageError(f"{name}: the arms were scored on different items ({len(mine)} and {len(theirs)}, "
                             f"{len(both)} in common); run both on the same sets")
        d = compare(task, list(both["label"]), list(both["model"]), list(both["model_other"]))
        rows.append({"set": name, "items": d["items"],
                     f"{d['metric']}: difference [95 % CI]": _with_interval(d["difference"], d["difference_ci"], sign=True),
                     "items better": d["model_better"], "items worse": d["baseline_better"]})
    return pd.DataFrame(rows)
