"""What makes symbolic clips transfer to real music? An ablation over the generator's ingredients.

Each *arm* is the offline study with some of the symbolic generator's
production ingredients switched off (or on): stems and effects, the master
chain, vocal lines, double-tracked guitars, the SoundFont set, a loudness
spread. Every arm uses the same prompts and seeds; its clips are embedded once
with all four musicnn layers, and the study's classifier is trained on each
layer choice with several classifier seeds, then scored on a real development
set (track accuracy, per-genre recall, macro-F1) and on the synthetic
validation split. Beside the default stands a reference that learns from the
real tracks' own labels, one artist left out at a time (:func:`real_label_reference`).

Arms run through the ordinary stages (:mod:`helpers.pipeline`) in their own
run folders under ``runs/ablation/<arm>``, so every arm resumes and none mixes
with another. ``./synthmir ablation --real-data DIR`` reproduces the table
(writes ``benchmarks/results/transfer_ablation.{json,md}``, its ``_audio``, ``_tags``, ``_misses``
and ``_reference`` tables, and ``docs/figures/transfer_embeddings.png``); a run of some arms (``--arms``)
writes its table under ``runs/ablation/results/`` instead, leaving the
committed one alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: the four musicnn layers, in the order of the all-layers embedding
ALL_LAYERS = ("max_pool", "mean_pool", "penultimate", "taggram")
#: layer choices each arm is scored with
LAYER_CHOICES = ("max_pool", "mean_pool", "penultimate", "taggram", "max_pool+mean_pool")

_DRY = {"stem_fx": False, "master": False, "vocals": False, "double_guitars": False, "soundfont_per": "clip",
        "stem_levels": "font"}
#: every production ingredient on: the arms switch one off (or on) from here
#: (the keys the offline profile lists; metal_in_rock is off unless an arm names it)
_FULL = {"stem_fx": True, "master": True, "vocals": True, "double_guitars": True, "soundfont_per": "part",
         "stem_levels": "calibrated", "soundfonts": "auto"}
#: the profile's default: the full production without the master chain
_DEFAULT = {**_FULL, "master": False}
#: what a cached row holds (2: each real track's prediction, for intervals over tracks)
ROWS_VERSION = 2
#: the arm whose settings are the profile's defaults (chosen from this table)
DEFAULT_ARM = "full - master chain (the default)"
#: a genre enters the balanced recall when the real set has at least this many of its tracks
MIN_BALANCED_SUPPORT = 3
#: the arm every other arm is compared with, layer by layer
REFERENCE_ARM = "full"

#: arm name -> dotted config overrides on top of the profile (generation options are merged)
ARMS: dict[str, dict[str, Any]] = {
    "dry, TimGM6mb (before)": {"generation.options": {**_DRY, "soundfonts": "timgm6mb"}},
    "dry, all SoundFonts per clip": {"generation.options": {**_DRY, "soundfonts": "auto"}},
    "full": {"generation.options": _FULL},
    "full - stem FX": {"generation.options": {**_FULL, "stem_fx": False}},
    DEFAULT_ARM: {"generation.options": _DEFAULT},
    "full - vocals": {"generation.options": {**_FULL, "vocals": False}},
    "full - double guitars": {"generation.options": {**_FULL, "double_guitars": False}},
    "full, TimGM6mb only": {"generation.options": {**_FULL, "soundfonts": "timgm6mb"}},
    "full, SoundFont per clip": {"generation.options": {**_FULL, "soundfont_per": "clip"}},
    "full, stem levels as the SoundFont plays": {"generation.options": {**_FULL, "stem_levels": "font"}},
    "full + metal in Rock": {"generation.options": {**_FULL, "metal_in_rock": True}},
    "full + loudness spread": {"generation.options": _FULL, "generation.loudness_lufs": [-24.0, -9.0]},
    # from the default (no master chain): what still might help on top of it
    "default + metal in Rock": {"generation.options": {**_DEFAULT, "metal_in_rock": True}},
    "default + loudness spread": {"generation.options": _DEFAULT, "generation.loudness_lufs": [-24.0, -9.0]},
    "default + tone spread": {"generation.options": {**_DEFAULT, "tone_spread": True}},
    # the default again on other prompts' seeds: how far another draw of 500 clips moves the figures
    "default, another draw": {"generation.options": _DEFAULT, "seed": 20231106},
    "default, a third draw": {"generation.options": _DEFAULT, "seed": 20231107},
    # the embedder's checkpoint: musicnn trained on MagnaTagATune instead of the Million Song Dataset
    "default, MTT musicnn": {"generation.options": _DEFAULT, "embedding.options": {"model": "MTT_musicnn"}},
}


def arm_slug(name: str) -> str:
    """A folder name for an arm."""
    keep = "".join(c if c.isalnum() else "-" for c in name.lower())
    return "-".join(p for p in keep.split("-") if p)


def layer_columns(choice: str) -> np.ndarray:
    """Columns of the all-layers embedding that make up ``choice`` (``+``-joined layer names)."""
    from .embedders.musicnn import LAYER_DIMS

    offsets = np.cumsum([0] + [LAYER_DIMS[k] for k in ALL_LAYERS])
    return np.concatenate([np.arange(offsets[ALL_LAYERS.index(k)], offsets[ALL_LAYERS.index(k) + 1])
                           for k in choice.split("+")])


def arm_config(name: str, profile: str = "offline", clips_per_genre: int = 100, real_data: str | None = None,
               root: str | Path = "runs/ablation", extra: dict | None = None):
    """The :class:`~helpers.config.Config` of one arm (its own run folder, all musicnn layers)."""
    from .config import load_config

    if name not in ARMS:
        raise KeyError(f"unknown ablation arm {name!r}; known: {', '.join(ARMS)}")
    base = load_config(profile)
    overrides = dict(ARMS[name])
    overrides["generation.options"] = {**base.generation.options, **overrides.get("generation.options", {})}
    overrides["embedding.options"] = {**base.embedding.options, **overrides.get("embedding.options", {}),
                                      "representation": "+".join(ALL_LAYERS)}
    overrides.update(extra or {})
    return load_config(profile, overrides, run_dir=str(Path(root) / arm_slug(name)), clips_per_genre=clips_per_genre,
                       real_data=real_data)


def score_arm(cfg, layers: Sequence[str] = LAYER_CHOICES, seeds: int = 5, progress: bool = True) -> list[dict]:
    """Make (or reuse) one arm's clips and embeddings, then train and score every layer choice.

    Returns one row per (layer choice, classifier seed): ``layer, seed, synthetic_val_accuracy``
    and, with a real benchmark, ``real_accuracy, real_macro_f1, recall_<genre>...``. Cached in
    ``<run>/ablation_scores.json`` keyed by the settings, so a re-run only reads it.
    """
    from .data import write_json
    from .embedding import load_embeddings
    from .pipeline import real_dir, run_embedding, run_generation, run_prompts, training_data

    key = hashlib.sha256(json.dumps({"cfg": cfg.to_dict(), "layers": list(layers), "seeds": seeds,
                                     "rows": ROWS_VERSION, "real": _real_listing(cfg)},
                                    sort_keys=True, default=str).encode()).hexdigest()[:16]
    cache = cfg.run_path / "ablation_scores.json"
    if cache.exists():
        saved = json.loads(cache.read_text())
        if saved.get("key") == key:
            return saved["rows"]
    run_prompts(cfg)
    run_generation(cfg, progress=progress)
    run_embedding(cfg, progress=progress)
    emb, y, tr, va = training_data(cfg)
    real = tracks = None
    if cfg.evaluation.real_data:
        real = load_embeddings(real_dir(cfg), "real")
        tracks = pd.read_csv(real_dir(cfg) / "tracks.csv", dtype={"track_id": str}).set_index("track_id")
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a small MLP: more threads only oversubscribe the cores
    try:
        rows = _score_layers(cfg, emb, y, tr, va, real, tracks, layers, seeds)
    finally:
        torch.set_num_threads(threads)
    write_json({"key": key, "rows": rows}, cache)
    return rows


def _real_listing(cfg) -> str | None:
    """A fingerprint of the real tracks the arm is scored on (ids, labels, files' sizes): the same
    folder with tracks added, removed or relabelled scores again instead of reusing stale rows."""
    if not cfg.evaluation.real_data:
        return None
    from .benchmarks import list_real_tracks

    tracks = list_real_tracks(cfg.evaluation.real_data, cfg.genres, cfg.evaluation.label_map).tracks
    rows = sorted((str(t.track_id), str(t.label), Path(t.path).stat().st_size) for t in tracks.itertuples())
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def _score_layers(cfg, emb, y, tr, va, real, tracks, layers, seeds) -> list[dict]:
    from .evaluation import track_figures
    from .pipeline import make_classifier

    rows = []
    for layer in layers:
        cols = layer_columns(layer)
        Xtr, Xva = emb["X"][tr][:, cols], emb["X"][va][:, cols]
        for s in range(seeds):
            clf = make_classifier(cfg, seed=cfg.seed + s).fit(Xtr, y[tr], Xva, y[va], classes=cfg.genres)
            row = {"layer": layer, "seed": s, "synthetic_val_accuracy": clf.score(Xva, y[va])}
            if real is not None:
                row.update(track_figures(clf.predict_proba(real["X"][:, cols]), real["ids"], cfg.genres,
                                         tracks["label"]))
            rows.append(row)
    return rows


#: the name the real-label reference goes by in tables (:func:`real_label_reference`)
REAL_REFERENCE = "real labels, leave one artist out"


def real_label_reference(cfg, layers: Sequence[str] = ("max_pool",), C: float = 1.0) -> list[dict]:
    """What the real tracks' own labels give on the same embeddings: a reference for the arms.

    Leave one group out over the real benchmark (its ``group`` column: the artist; a track without
    one is its own group): a linear probe (scikit-learn's logistic regression, z-scored features,
    balanced class weights, ``C``) is trained on the windows of every other group's tracks and calls
    the held-out group's tracks by their mean window probability, as stage 5 does. It reads the
    real embeddings the arm ``cfg`` already made (all musicnn layers) and trains no MLP: it is
    deterministic, so a row per layer with ``seed`` 0. The rows have :func:`score_arm`'s keys
    (``synthetic_val_accuracy`` is NaN) plus ``no_other_group``: the tracks whose genre no other
    group has, which the probe cannot call right (their genre is absent from its training folds).

    It is not an upper bound (a probe, one fold per artist, few artists per genre), but a classifier
    that heard real music of the genre from other artists: a track it also misses is one whose
    label the embedding does not carry across artists.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .embedding import load_embeddings
    from .evaluation import track_figures
    from .pipeline import real_dir

    if not cfg.evaluation.real_data:
        raise ValueError("the real-label reference needs a real benchmark (evaluation.real_data)")
    real = load_embeddings(real_dir(cfg), "real")
    tracks = pd.read_csv(real_dir(cfg) / "tracks.csv", dtype={"track_id": str}).set_index("track_id")
    group = tracks["group"] if "group" in tracks else pd.Series(np.nan, index=tracks.index)
    group = group.astype(object).where(group.notna(), pd.Series(tracks.index, index=tracks.index))
    ids = np.asarray(real["ids"]).astype(str)
    win_label, win_group = tracks.loc[ids, "label"].to_numpy(), group.loc[ids].to_numpy().astype(str)
    one_group = group.groupby(tracks["label"]).nunique() == 1  # per genre: only one group has it
    lonely = sorted(tracks.index[tracks["label"].map(one_group).to_numpy()])
    rows = []
    for layer in layers:
        X = real["X"][:, layer_columns(layer)]
        proba = np.zeros((len(ids), len(cfg.genres)))  # each window's, from the fold that left its group out
        for g in sorted(set(win_group.tolist())):
            test = win_group == g
            if len(set(win_label[~test])) < 2:
                raise ValueError(f"leaving out group {g!r} leaves fewer than 2 genres to train on")
            probe = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000, class_weight="balanced"))
            probe.fit(X[~test], win_label[~test])
            proba[np.ix_(test, [cfg.genres.index(c) for c in probe.classes_])] = probe.predict_proba(X[test])
        rows.append({"layer": layer, "seed": 0, "synthetic_val_accuracy": float("nan"),
                     **track_figures(proba, ids, cfg.genres, tracks["label"]), "no_other_group": lonely})
    return rows


def compare_misses(rows_by_arm: dict[str, list[dict]], layer: str = "max_pool") -> pd.DataFrame:
    """The tracks that most seeds of any arm in ``rows_by_arm`` get wrong on ``layer``: one row per
    track with its label and, per arm, what most seeds call it (``✓`` where right)."""
    from collections import Counter

    calls: dict[str, dict[str, str]] = {}
    labels: dict[str, str] = {}
    for arm, rows in rows_by_arm.items():
        scored = [r for r in rows if r["layer"] == layer and "predicted" in r]
        if not scored:
            raise ValueError(f"arm {arm!r} has no real-track predictions for layer {layer!r}")
        labels.update(scored[0]["label"])
        calls[arm] = {t: Counter(r["predicted"][t] for r in scored).most_common(1)[0][0] for t in scored[0]["label"]}
    missed = sorted(t for t in labels if any(c.get(t, labels[t]) != labels[t] for c in calls.values()))
    return pd.DataFrame([{"track": t, "label": labels[t],
                          **{arm: ("✓" if c[t] == labels[t] else c[t]) for arm, c in calls.items()}} for t in missed],
                        columns=["track", "label", *calls])


def track_table(rows_by_arm: dict[str, list[dict]]) -> pd.DataFrame:
    """The rows' real-track predictions in the studies' long format (:mod:`helpers.studies.common`):
    one row per (arm, layer, seed, track) with ``correct``; the track is the bootstrap unit."""
    recs = [{"arm": arm, "layer": r["layer"], "seed": r["seed"], "set": "real", "unit": t, "item": t,
             "correct": float(p == r["label"][t])}
            for arm, rows in rows_by_arm.items() for r in rows if "predicted" in r for t, p in r["predicted"].items()]
    return pd.DataFrame(recs, columns=["arm", "layer", "seed", "set", "unit", "item", "correct"])


def summarize(rows_by_arm: dict[str, list[dict]], reference: str | None = REFERENCE_ARM, n_boot: int = 2000,
              seed: int = 0) -> pd.DataFrame:
    """The ablation table: per (arm, layer), means and sd over classifier seeds and, where the rows
    hold each track's prediction, a 95 % bootstrap interval over real tracks (each track's correctness
    averaged over seeds first) and the paired difference from ``reference`` on the same layer
    (:func:`helpers.studies.common.summarize` and :func:`~helpers.studies.common.paired_gain`).

    The sd over seeds shows only the classifier's randomness; the interval over tracks shows how
    much a different draw of real tracks could move the figure; the paired difference is what an
    ingredient changes on the same tracks.
    """
    from .studies import common

    out = []
    for arm, rows in rows_by_arm.items():
        frame = pd.DataFrame(rows)
        for layer, g in frame.groupby("layer", sort=False):
            rec = {"arm": arm, "layer": layer, "seeds": len(g),
                   "synthetic_val_accuracy": g["synthetic_val_accuracy"].mean()}
            if "real_accuracy" in g:
                rec.update(real_accuracy=g["real_accuracy"].mean(), real_accuracy_sd=g["real_accuracy"].std(ddof=0),
                           real_macro_f1=g["real_macro_f1"].mean())
                balanced = balanced_recall(g)
                if balanced is not None:
                    rec.update(real_balanced_recall=balanced.mean(), real_balanced_recall_sd=balanced.std(ddof=0))
                for c in [c for c in g.columns if c.startswith("recall_")]:
                    rec[c] = g[c].mean()
            out.append(rec)
    table = pd.DataFrame(out)
    long = track_table(rows_by_arm)
    if not len(long):
        return table
    keys = ["arm", "layer"]
    ci = common.summarize(long, keys, n_boot=n_boot, seed=seed)
    table = table.merge(ci[[*keys, "ci_low", "ci_high"]].rename(
        columns={"ci_low": "real_ci_low", "ci_high": "real_ci_high"}), on=keys, how="left")
    gain = (common.paired_gain(long, keys, {"arm": reference}, n_boot=n_boot, seed=seed)
            if reference is not None and (long["arm"] == reference).any() else pd.DataFrame())
    if len(gain):  # another arm beside the reference
        table = table.merge(gain[[*keys, "gain", "ci_low", "ci_high"]].rename(
            columns={"gain": "vs_reference", "ci_low": "vs_reference_low", "ci_high": "vs_reference_high"}),
            on=keys, how="left")
    balanced = balanced_paired_gain(rows_by_arm, reference, n_boot=n_boot, seed=seed) if reference else None
    if balanced is not None and len(balanced):
        table = table.merge(balanced, on=keys, how="left")
    return table


def balanced_paired_gain(rows_by_arm: dict[str, list[dict]], reference: str, min_support: int = MIN_BALANCED_SUPPORT,
                         n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> pd.DataFrame | None:
    """Each arm's balanced recall minus the reference's on the same layer and tracks, with a 95 %
    bootstrap interval that resamples tracks within each genre (so every resample keeps the
    genres' weights). Each track's correctness is averaged over the classifier seeds first; the
    genres are those with at least ``min_support`` tracks. Columns ``arm, layer,
    vs_reference_balanced, vs_reference_balanced_low, vs_reference_balanced_high``; None when the
    rows hold no per-track predictions or the reference is not among the arms."""
    long = track_table(rows_by_arm)
    if not len(long) or not (long["arm"] == reference).any():
        return None
    labels = {t: lab for rows in rows_by_arm.values() for r in rows if "label" in r for t, lab in r["label"].items()}
    per_track = long.groupby(["arm", "layer", "unit"])["correct"].mean()
    rng = np.random.default_rng(seed)
    out = []
    for (arm, layer), cur in per_track.groupby(level=["arm", "layer"], sort=False):
        if arm == reference or (reference, layer) not in per_track.index.droplevel("unit"):
            continue
        diff = (cur.droplevel(["arm", "layer"]) - per_track.loc[(reference, layer)]).dropna()
        genre = pd.Series({t: labels[t] for t in diff.index})
        groups = [diff[genre == g].to_numpy() for g in sorted(set(genre)) if (genre == g).sum() >= min_support]
        if not groups:
            continue
        boots = np.mean([d[rng.integers(0, len(d), size=(n_boot, len(d)))].mean(1) for d in groups], axis=0)
        low, high = np.quantile(boots, [(1 - level) / 2, 1 - (1 - level) / 2])
        out.append({"arm": arm, "layer": layer, "vs_reference_balanced": float(np.mean([d.mean() for d in groups])),
                    "vs_reference_balanced_low": float(low), "vs_reference_balanced_high": float(high)})
    return pd.DataFrame(out)


def balanced_recall(rows: pd.DataFrame, min_support: int = MIN_BALANCED_SUPPORT) -> pd.Series | None:
    """Per row (classifier seed): the mean recall over the genres with at least ``min_support``
    real tracks (``support_<genre>``), or None when the rows carry no supports or no genre has
    enough tracks. Unlike accuracy it does not follow the set's mix of genres (the development set
    is 62 % Electronica; the held-out check is half Orchestral), and unlike macro-F1 it leaves out
    genres with one or two tracks, whose recall is 0 or 1 by chance."""
    genres = [c[8:] for c in rows.columns if c.startswith("support_")]
    keep = [g for g in genres if f"recall_{g}" in rows and (rows[f"support_{g}"] >= min_support).all()]
    if not keep:
        return None
    return rows[[f"recall_{g}" for g in keep]].mean(axis=1)


def _interval(d: dict, value: str, low: str, high: str, signed: bool = False) -> str:
    if low not in d or pd.isna(d.get(low)):
        return ""
    fmt = "{:+.2f}" if signed else "{:.2f}"
    return f"{fmt.format(d[value])} [{fmt.format(d[low])}, {fmt.format(d[high])}]"


def _paired_cell(d: dict, column: str, arm: str, reference: str) -> str:
    """A paired difference ``column`` (with ``<column>_low`` and ``<column>_high``) as a table cell:
    the difference and its interval, ``(reference)`` in the reference's own row, else empty."""
    return (_interval(d, column, f"{column}_low", f"{column}_high", signed=True)
            or ("(reference)" if arm == reference else ""))


def markdown_table(table: pd.DataFrame, layer: str | None = None, reference: str = REFERENCE_ARM) -> str:
    """The ablation table as Markdown: real accuracy mean ± sd over seeds, its 95 % interval over
    tracks, the paired difference from ``reference`` (the arm :func:`summarize` compared with),
    macro-F1, per-genre recall, synthetic val."""
    from .evaluation import BLANK

    t = table if layer is None else table[table["layer"] == layer]
    recall_cols = [c for c in t.columns if c.startswith("recall_")]
    intervals = "real_ci_low" in t.columns
    balanced = "real_balanced_recall" in t.columns
    paired_balanced = balanced and "vs_reference_balanced" in t.columns
    head = ["arm", "layer", "real acc (mean ± sd)", *(["95 % CI (tracks)", f"vs {reference} [95 % CI]"] if intervals else []),
            "macro-F1", *([f"balanced recall (≥{MIN_BALANCED_SUPPORT} tracks)"] if balanced else []),
            *([f"balanced vs {reference} [95 % CI]"] if paired_balanced else []),
            *[c[7:] for c in recall_cols], "synth val"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in t.itertuples(index=False):
        d = r._asdict()
        extra = [f"[{d['real_ci_low']:.2f}, {d['real_ci_high']:.2f}]" if not pd.isna(d.get("real_ci_low")) else "",
                 _paired_cell(d, "vs_reference", r.arm, reference)] if intervals else []
        if d["arm"] == DEFAULT_ARM:
            d["arm"] = f"**{d['arm']}**"
        def spread(column: str) -> str:  # mean ± sd over seeds; a single fit (the real-label reference) has no sd
            return f"{d[column]:.3f}" + (f" ± {d[column + '_sd']:.3f}" if d.get("seeds", 2) > 1 else " (one fit)")

        cells = [d["arm"], d["layer"], spread("real_accuracy"), *extra,
                 f"{d['real_macro_f1']:.3f}",
                 *([spread("real_balanced_recall") if not pd.isna(d["real_balanced_recall"]) else ""]
                   if balanced else []),
                 *([_paired_cell(d, "vs_reference_balanced", r.arm, reference)] if paired_balanced else []),
                 *[BLANK if pd.isna(d[c]) else f"{d[c]:.2f}" for c in recall_cols],
                 BLANK if pd.isna(d["synthetic_val_accuracy"]) else f"{d['synthetic_val_accuracy']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def tag_profile(cfg, tags: Sequence[str] | None = None, top: int = 6) -> pd.DataFrame:
    """What musicnn's own tagger hears in an arm's clips and in the real tracks, per genre.

    Reads the arm's all-layers embeddings (the ``taggram`` columns: the mean over a clip's 3-s
    patches of the 50 MSD tag probabilities). Returns one row per genre with the real tracks'
    ``top`` tags, the synthetic clips' ``top`` tags, and the tags whose mean differs most
    (``real - synthetic``, the largest and the smallest): a label-free look at what the
    generated genre lacks, or has too much of, as a tagger trained on real music hears it.
    """
    from .pipeline import real_dir, training_data

    tags = list(tags or _tag_names(cfg))
    emb, y, _, _ = training_data(cfg)
    syn = pd.DataFrame(emb["X"][:, layer_columns("taggram")], columns=tags).groupby(y).mean()
    real = None
    if cfg.evaluation.real_data:
        tracks = pd.read_csv(real_dir(cfg) / "tracks.csv", dtype={"track_id": str}).set_index("track_id")
        frame = _real_track_tags(cfg, tags)
        real = frame.groupby(tracks.loc[frame.index, "label"].to_numpy()).mean()
    out = []
    for genre in syn.index:
        row = {"genre": genre, "synthetic top": _tag_list(syn.loc[genre].nlargest(top))}
        if real is not None and genre in real.index:
            diff = real.loc[genre] - syn.loc[genre]
            row.update({"real top": _tag_list(real.loc[genre].nlargest(top)),
                        "real more": _tag_list(diff.nlargest(3)), "synthetic more": _tag_list(diff.nsmallest(3))})
        out.append(row)
    return pd.DataFrame(out)


def _tag_names(cfg) -> list[str]:
    """The 50 tags of the arm's musicnn checkpoint, in ``taggram`` column order."""
    from .embedders.musicnn import MODELS

    return list(MODELS[cfg.embedding.options.get("model", "MSD_musicnn")])


def _real_track_tags(cfg, tags: Sequence[str]) -> pd.DataFrame:
    """musicnn's tag probabilities per real track (rows: track ids), the mean over its windows."""
    from .embedding import load_embeddings
    from .pipeline import real_dir

    real = load_embeddings(real_dir(cfg), "real")
    return pd.DataFrame(real["X"][:, layer_columns("taggram")], columns=list(tags)).groupby(
        np.asarray(real["ids"]).astype(str)).mean()


def _tag_list(series: pd.Series) -> str:
    """``tag value, tag value, ...`` with two decimals."""
    return ", ".join(f"{k} {v:.2f}" for k, v in series.items())



def missed_tracks(cfg, rows: Sequence[dict], layer: str = "max_pool", top: int = 5) -> pd.DataFrame:
    """The real tracks an arm gets wrong with most classifier seeds on ``layer``, and what musicnn hears.

    One row per such track: its label, the genre it is most often called, how many seeds miss it,
    and the ``top`` tags of musicnn's own tagger on it (mean over its windows, from the arm's
    ``taggram`` columns). Where the tagger hears the predicted genre's vocabulary (a "thrash metal"
    track heard as electronic and ambient), the miss is the embedder's hearing, which no change to
    the generated clips can be expected to fix.
    """
    from collections import Counter

    scored = [r for r in rows if r["layer"] == layer and "predicted" in r]
    if not scored:
        raise ValueError(f"no scored rows with real-track predictions for layer {layer!r}")
    heard = _real_track_tags(cfg, _tag_names(cfg))
    out = []
    for track in sorted(scored[0]["label"]):
        label = scored[0]["label"][track]
        wrong = [r["predicted"][track] for r in scored if r["predicted"][track] != label]
        if 2 * len(wrong) <= len(scored):
            continue
        out.append({"track": track, "label": label, "called": Counter(wrong).most_common(1)[0][0],
                    "seeds wrong": f"{len(wrong)}/{len(scored)}",
                    "musicnn hears": _tag_list(heard.loc[track].nlargest(top))})
    return pd.DataFrame(out, columns=["track", "label", "called", "seeds wrong", "musicnn hears"])


def audio_profile(cfgs: dict[str, Any], every: int = 2) -> pd.DataFrame:
    """Dynamics and brightness (:func:`helpers.audio.dynamics_and_tone`) per genre: the real
    tracks' evaluated windows against the clips of each arm (``{arm name: config}``; every
    ``every``-th clip). Medians per (genre, set). The real windows come from the first config's
    benchmark, read as stage 3 reads them."""
    from .audio import dynamics_and_tone, load_audio, middle_windows
    from .data import load_clip_manifest
    from .pipeline import real_dir

    rows = []
    first = next(iter(cfgs.values()))
    if first.evaluation.real_data:
        tracks = pd.read_csv(real_dir(first) / "tracks.csv", dtype={"track_id": str})
        for t in tracks.itertuples():
            audio, sr = load_audio(t.path, 32000)
            for w in middle_windows(audio, sr, first.evaluation.window_s, first.evaluation.max_windows):
                rows.append({"genre": t.label, "set": "real", **dynamics_and_tone(w, sr)})
    for arm, cfg in cfgs.items():
        clips = load_clip_manifest(cfg.run_path).iloc[::every]
        for c in clips.itertuples():
            audio, sr = load_audio(c.path)
            rows.append({"genre": c.genre, "set": arm, **dynamics_and_tone(audio, sr)})
    frame = pd.DataFrame(rows)
    cols = ["crest_db", "short_term_range_db", "hf_share_db"]
    by_genre = frame.groupby(["genre", "set"], sort=False)[cols].median()
    overall = frame.groupby("set", sort=False)[cols].median()
    overall.index = pd.MultiIndex.from_tuples([("all", s) for s in overall.index], names=["genre", "set"])
    return pd.concat([by_genre.sort_index(level=0, sort_remaining=False), overall]).round(1).reset_index()


def plot_arms_embeddings(arms: Sequence[str], layer: str = "max_pool", root: str | Path = "runs/ablation",
                         profile: str = "offline", clips_per_genre: int = 100, real_data: str | None = None,
                         path: str | Path | None = None):
    """Real and synthetic embeddings of several arms, side by side: for each arm, an LDA fitted on
    its synthetic clips (z-scored), with the real tracks (mean of their windows) projected into it.

    Synthetic clips are small dots, real tracks large outlined markers of their genre's colour: the
    closer the real tracks sit to their genre's cloud, the better that arm's clips transfer. Saves
    a PNG to ``path`` when given; returns the figure.
    """
    import matplotlib.pyplot as plt
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from .embedding import load_embeddings
    from .pipeline import real_dir, training_data

    fig, axes = plt.subplots(1, len(arms), figsize=(5.2 * len(arms), 4.6), squeeze=False)
    cols = layer_columns(layer)
    for ax, name in zip(axes[0], arms):
        cfg = arm_config(name, profile, clips_per_genre, real_data, root)
        emb, y, _, _ = training_data(cfg)
        X = emb["X"][:, cols]
        mean, std = X.mean(0), X.std(0) + 1e-6
        lda = LinearDiscriminantAnalysis(n_components=2).fit((X - mean) / std, y)
        Z = lda.transform((X - mean) / std)
        colors = dict(zip(cfg.genres, plt.cm.tab10.colors))
        for g in cfg.genres:
            ax.scatter(*Z[y == g].T, s=5, alpha=0.35, color=colors[g], label=f"{g} (synthetic)")
        if real_data:
            real = load_embeddings(real_dir(cfg), "real")
            tracks = pd.read_csv(real_dir(cfg) / "tracks.csv", dtype={"track_id": str}).set_index("track_id")
            frame = pd.DataFrame(real["X"][:, cols]).groupby(real["ids"], sort=False).mean()
            R = lda.transform((frame.to_numpy() - mean) / std)
            lab = tracks.loc[frame.index, "label"].to_numpy()
            for g in cfg.genres:
                if (lab == g).any():
                    ax.scatter(*R[lab == g].T, s=90, color=colors[g], edgecolor="black", linewidth=1.2,
                               marker="*", label=f"{g} (real)")
        ax.set_title(f"{name}\n({layer}; LDA of the synthetic clips)", fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


def output_paths(arms: Sequence[str], out: str | Path | None = None) -> tuple[Path, Path]:
    """Where a run of ``arms`` writes its tables (a path stem: ``<stem>.md``, ``.json``, ...) and its
    figure. Every arm and no ``out``: the committed ``benchmarks/results/transfer_ablation`` and
    ``docs/figures/transfer_embeddings.png``. Some arms: ``runs/ablation/results/transfer_ablation``,
    so that trying a few arms cannot overwrite the committed table with a partial one. A given
    ``out`` is used as it is, with the figure beside it."""
    from .config import PROJECT_ROOT

    if out is None and set(arms) == set(ARMS):
        return (PROJECT_ROOT / "benchmarks" / "results" / "transfer_ablation",
                PROJECT_ROOT / "docs" / "figures" / "transfer_embeddings.png")
    stem = Path(out) if out is not None else PROJECT_ROOT / "runs" / "ablation" / "results" / "transfer_ablation"
    return stem, stem.with_name(stem.name + "_embeddings.png")


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``./synthmir ablation`` (``--arms`` names are checked by :func:`main`)."""
    p = argparse.ArgumentParser(prog="synthmir ablation", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--real-data", required=True, help="real development set (folder or CSV)")
    p.add_argument("--arms", nargs="*", default=list(ARMS), help=f"arms to run (default all): {list(ARMS)}")
    p.add_argument("--clips-per-genre", type=int, default=100)
    p.add_argument("--seeds", type=int, default=5, help="classifier seeds per layer choice")
    p.add_argument("--layers", nargs="*", default=["max_pool", "penultimate", "max_pool+mean_pool"],
                   help=f"musicnn layer choices to score (any of {list(LAYER_CHOICES)})")
    p.add_argument("--profile", default="offline")
    p.add_argument("--out", default=None,
                   help="where the table goes (<out>.md, .json, _audio.md, _tags.md, _misses.md, _reference.md, "
                        "_embeddings.png); "
                        "default: the committed benchmarks/results/transfer_ablation when every arm runs, else "
                        "runs/ablation/results/transfer_ablation, so a run of a few arms leaves the committed "
                        "table alone")
    p.add_argument("--figure", nargs=2, metavar=("ARM_BEFORE", "ARM_AFTER"),
                   default=["dry, TimGM6mb (before)", DEFAULT_ARM],
                   help="two arms whose real and synthetic embeddings are drawn side by side")
    p.add_argument("--figure-layer", default="max_pool")
    p.add_argument("--tags", nargs="*", default=["full + metal in Rock"],
                   help="arms (beside the figure's two) whose musicnn tag profile, real against synthetic, is "
                        "written to <out>_tags.md")
    return p


def main(argv: list[str] | None = None) -> int:
    """Command line: run the arms, print and write the table and the figure."""
    from .data import atomic_write_text, write_json

    p = build_parser()
    a = p.parse_args(argv)
    unknown = [x for x in a.arms if x not in ARMS]
    if unknown:
        p.error(f"unknown arm(s) {unknown}; known: {list(ARMS)}")
    real = str(Path(a.real_data).expanduser().resolve())
    out, png = output_paths(a.arms, a.out)  # write_json below makes out's folder (the figure's too)
    rows, times = {}, {}
    for name in a.arms:
        t0 = time.perf_counter()
        cfg = arm_config(name, a.profile, a.clips_per_genre, real)
        print(f"=== {name} -> {cfg.run_path}", file=sys.stderr, flush=True)
        rows[name] = score_arm(cfg, a.layers, a.seeds)
        times[name] = round(time.perf_counter() - t0, 1)
        partial = summarize({name: rows[name]})
        print(markdown_table(partial), file=sys.stderr, flush=True)
    table = summarize(rows)
    text = markdown_table(table)
    print(text)
    reference = ref_rows = None
    default_cfg = arm_config(DEFAULT_ARM, a.profile, a.clips_per_genre, real) if DEFAULT_ARM in rows else None
    if default_cfg is not None:  # what the real tracks' own labels give, beside the default
        ref_rows = real_label_reference(default_cfg, list(dict.fromkeys([*a.layers, a.figure_layer])))
        reference = summarize({DEFAULT_ARM: rows[DEFAULT_ARM], REAL_REFERENCE: ref_rows}, reference=DEFAULT_ARM)
    write_json({"real_data": Path(real).name, "clips_per_genre": a.clips_per_genre, "seeds": a.seeds,
                "profile": a.profile, "arm_seconds": times, "table": json.loads(table.to_json(orient="records")),
                "rows": {arm: [{k: v for k, v in r.items() if k not in ("predicted", "label")} for r in rs]
                         for arm, rs in rows.items()},
                **({"real_label_reference": json.loads(reference.to_json(orient="records"))}
                   if reference is not None else {})}, out.with_suffix(".json"))
    atomic_write_text(out.with_suffix(".md"), text + "\n")
    if all(arm in rows for arm in a.figure):
        import matplotlib

        matplotlib.use("Agg")
        plot_arms_embeddings(a.figure, a.figure_layer, profile=a.profile, clips_per_genre=a.clips_per_genre,
                             real_data=real, path=png)
        print(f"figure: {png}", file=sys.stderr)
    tag_parts = []
    for arm in [x for x in a.figure if x in rows] + [x for x in a.tags if x in rows and x not in a.figure]:
        cfg = arm_config(arm, a.profile, a.clips_per_genre, real)
        tag_parts.append(f"### {arm}\n\n" + frame_markdown(tag_profile(cfg)))
    profiled = [x for x in (REFERENCE_ARM, DEFAULT_ARM) if x in rows]
    if profiled:
        prof = audio_profile({arm: arm_config(arm, a.profile, a.clips_per_genre, real) for arm in profiled})
        atomic_write_text(out.with_name(out.name + "_audio.md"), frame_markdown(prof) + "\n")
    if tag_parts:
        atomic_write_text(out.with_name(out.name + "_tags.md"), "\n\n".join(tag_parts) + "\n")
    if default_cfg is not None:
        misses = missed_tracks(default_cfg, rows[DEFAULT_ARM], a.figure_layer)
        atomic_write_text(out.with_name(out.name + "_misses.md"), frame_markdown(misses) + "\n")
        lonely = ref_rows[0]["no_other_group"]
        atomic_write_text(out.with_name(out.name + "_reference.md"), "\n\n".join([
            markdown_table(reference, reference=DEFAULT_ARM),
            f"Tracks whose genre no other artist has (the probe cannot call them right): {len(lonely)}"
            + "".join(f"\n- {t}" for t in lonely),
            f"Tracks either gets wrong ({a.figure_layer}; the default: what most seeds call them):",
            frame_markdown(compare_misses({DEFAULT_ARM: rows[DEFAULT_ARM], REAL_REFERENCE: ref_rows},
                                          a.figure_layer))]) + "\n")
    print(f"tables: {out}.md (and .json, _audio.md, _tags.md, _misses.md, _reference.md where their arms ran)",
          file=sys.stderr)
    return 0


def frame_markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (strings as they are, numbers with 3 decimals)."""
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in frame.itertuples(index=False)]
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells])


def load_results(path: str | Path | None = None) -> tuple[pd.DataFrame | None, dict]:
    """The committed ablation table (``benchmarks/results/transfer_ablation.json``) as a DataFrame,
    with its metadata (data set, clips per genre, seeds, seconds per arm); ``(None, {})`` when absent."""
    from .config import PROJECT_ROOT

    path = Path(path) if path else PROJECT_ROOT / "benchmarks" / "results" / "transfer_ablation.json"
    if not path.is_file():
        return None, {}
    data = json.loads(path.read_text())
    table = pd.DataFrame(data["table"])
    meta = {k: v for k, v in data.items() if k not in ("table", "rows")}
    return table, meta
