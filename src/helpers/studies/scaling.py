"""Study 06: how much generated data is enough?

One generation at the largest size, embedded once, then nested training
subsets: the first n clips per genre in a fixed order, so every larger set
contains every smaller one and a point on the curve differs from the one
before only by the clips added. The order takes one clip of each
description (in a seeded order) before any second take, as stage 1 does
when it balances the classes. The validation split is fixed (stage 4's
grouped split of the largest table) and shared by every size.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from . import common

#: sizes: training clips per genre; seeds: classifier seeds (offsets from the master seed)
PRESETS = {
    "smoke": {"sizes": [2, 3], "seeds": [0, 1]},
    "medium": {"sizes": [25, 50, 100, 200], "seeds": [0, 1, 2]},
    "full": {"sizes": [25, 50, 100, 200, 400, 800], "seeds": [0, 1, 2, 3, 4]},
}


def resolve_preset(preset: str | None, profile: str, **given) -> dict:
    """The study's sizes and seeds (see :func:`common.resolve_preset`)."""
    return common.resolve_preset(PRESETS, preset, profile, given)


def clips_needed(max_size: int, val_fraction: float, margin: int = 1) -> int:
    """Clips per genre to generate so that ``max_size`` remain for training
    after the validation share is held out (plus a small margin: the grouped
    split takes whole descriptions, so its share is only close to the fraction)."""
    return int(math.ceil(max_size / (1.0 - val_fraction))) + margin


def nested_order(prompts: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Rank the rows of a prompts table within their genre: all first takes
    (descriptions in a seeded order), then all second takes in the same
    order, and so on. Returns the table with a ``rank`` column (0-based)."""
    out = []
    for genre, rows in prompts.groupby("genre", sort=False):
        descs = np.sort(rows["description_id"].unique())
        perm = np.random.default_rng([int(seed), zlib.crc32(genre.encode())]).permutation(len(descs))
        position = dict(zip(descs.tolist(), perm.tolist()))
        rows = rows.assign(_pos=rows["description_id"].map(position))
        rows = rows.sort_values(["take", "_pos"], kind="stable").drop(columns="_pos")
        out.append(rows.assign(rank=np.arange(len(rows))))
    return pd.concat(out)


def nested_subsets(ranked: pd.DataFrame, pool_ids, sizes) -> dict[int, np.ndarray]:
    """``{size: clip ids}``: per genre, the first ``size`` clips of ``pool_ids``
    in rank order (all of the pool when it is smaller). Nested by construction."""
    pool = ranked[ranked["id"].isin(set(pool_ids))].sort_values(["genre", "rank"])
    out = {}
    for n in sorted(sizes):
        out[int(n)] = pool.groupby("genre", sort=False).head(int(n))["id"].to_numpy()
    return out


@dataclass
class ScalingResult:
    long: pd.DataFrame          # one row per (size, seed, evaluated item)
    summary: pd.DataFrame       # accuracy per size and set, interval, seed spread
    steps: pd.DataFrame         # gain of each size over the previous one (paired)
    subsets: pd.DataFrame       # training clips per size and genre
    run_path: object            # the run folder the clips came from
    adopted: dict               # clips/embeddings reused from the main run


def study_config(cfg: Config, sizes) -> tuple[Config, int]:
    """The config whose run folder holds the study's clips: the main run when
    it has enough clips per genre, else ``<run_dir>/studies/scaling/run``."""
    needed = clips_needed(max(sizes), cfg.training.val_fraction)
    have = cfg.prompts.clips_per_genre if cfg.prompts.total_clips is None else None
    if have is not None and have >= needed:
        return cfg, have
    return common.derive_config(cfg, common.study_dir(cfg, "scaling") / "run", clips_per_genre=needed), needed


def prepare(cfg: Config, sizes, progress: bool = True) -> tuple[Config, dict]:
    """Generate and embed the largest size once (through the stage functions),
    reusing the main run's clips and embeddings where they are the same."""
    from ..pipeline import run_prompts

    sub, _ = study_config(cfg, sizes)
    adopted = {"clips": 0, "embeddings": 0}
    if sub is not cfg:
        run_prompts(sub)
        adopted = common.adopt_from(cfg, sub)
    common.run_stages(sub, progress=progress, prompts=False)
    return sub, adopted


def run(cfg: Config, sizes, seeds, real: common.RealSet | None = None, progress: bool = True,
        n_boot: int = 2000) -> ScalingResult:
    """Train ``len(seeds)`` classifiers per size on nested subsets and evaluate
    each on the fixed synthetic validation split and the real tracks.

    Results per (size, seed) are cached under ``<run_dir>/studies/scaling/cache``.
    """
    from tqdm.auto import tqdm

    sub, adopted = prepare(cfg, sizes, progress=progress)
    syn = common.load_synthetic(sub)
    prompts = pd.read_csv(sub.run_path / "prompts" / "prompts.csv")
    ranked = nested_order(prompts, cfg.seed)
    subsets = nested_subsets(ranked, syn.ids[syn.train], sizes)
    pos = {cid: i for i, cid in enumerate(syn.ids)}
    cache = common.ResultCache(common.study_dir(cfg, "scaling") / "cache")
    base_key = {"study": "scaling", "data": syn.fingerprint, "real": real.fingerprint if real is not None else None,
                **common.training_key(cfg)}
    records = []
    jobs = [(n, s) for n in sorted(subsets) for s in seeds]
    for n, s in tqdm(jobs, desc="scaling: train", disable=not progress):
        idx = np.array([pos[c] for c in subsets[n]])
        key = {**base_key, "size": n, "seed": s, "train": common.fingerprint(np.sort(subsets[n]))}

        def compute(idx=idx, s=s):
            clf = common.fit(cfg, syn.X[idx], syn.y[idx], syn.X[syn.val], syn.y[syn.val], s)
            return common.predictions(clf, syn, real)

        records.append({"clips_per_genre": n, "seed": s, "result": cache.get(key, compute)})
    long = common.long_table(records, syn, real)
    summary = common.summarize(long, ["clips_per_genre"], n_boot=n_boot, seed=cfg.seed)
    steps = step_gains(long, sorted(subsets), n_boot=n_boot, seed=cfg.seed)
    table = pd.DataFrame([{"clips_per_genre": n, "genre": g,
                           "train_clips": int((syn.y[[pos[c] for c in subsets[n]]] == g).sum())}
                          for n in sorted(subsets) for g in cfg.genres])
    return ScalingResult(long, summary, steps, table, sub.run_path, adopted)


def step_gains(long: pd.DataFrame, sizes, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Accuracy gain of each size over the previous size, paired on the same
    units (validation groups, real tracks), with bootstrap intervals."""
    out = []
    for prev, n in zip(sizes[:-1], sizes[1:]):
        part = long[long["clips_per_genre"].isin([prev, n])]
        gain = common.paired_gain(part, ["clips_per_genre"], {"clips_per_genre": prev}, match=[],
                                  n_boot=n_boot, seed=seed)
        out.append(gain.assign(**{"from": prev}))
    if not out:
        return pd.DataFrame(columns=["from", "clips_per_genre", "set", "gain", "ci_low", "ci_high", "units"])
    return pd.concat(out, ignore_index=True)[["from", "clips_per_genre", "set", "gain", "ci_low", "ci_high", "units"]]


def plateau(steps: pd.DataFrame, set_: str) -> int | None:
    """The smallest size after which no step's gain interval lies above zero
    (no detectable gain from more clips, at this evaluation set's size);
    ``None`` when the last step still gains."""
    rows = steps[steps["set"] == set_].sort_values("clips_per_genre")
    if not len(rows):
        return None
    sizes = [int(rows["from"].iloc[0])] + rows["clips_per_genre"].astype(int).tolist()
    gains = rows["ci_low"].to_numpy() > 0  # gains[i]: the step from sizes[i] to sizes[i + 1]
    for i in range(len(gains)):
        if not gains[i:].any():
            return sizes[i]
    return None


def detectable_losses(steps: pd.DataFrame, set_: str) -> list[tuple[int, int]]:
    """The steps ``(from, to)`` whose gain interval lies below zero: more clips, detectably worse."""
    rows = steps[(steps["set"] == set_) & (steps["ci_high"] < 0)]
    return [(int(a), int(b)) for a, b in zip(rows["from"], rows["clips_per_genre"])]


def plot(result: ScalingResult):
    """The learning curve: synthetic validation and real tracks side by side, with intervals."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    for ax, (set_, title) in zip(axes, [("val", "synthetic validation"), ("real", "real tracks")]):
        part = result.summary[result.summary["set"] == set_]
        if len(part):
            common.plot_intervals(part, "clips_per_genre", ax=ax, logx=True, title=title)
            ax.set_xlabel("generated training clips per genre")
        else:
            ax.set_title(f"{title}: not computed (no real benchmark)")
            ax.axis("off")
    fig.tight_layout()
    return fig


def headlines(result: ScalingResult) -> dict:
    """The figures the handbook (docs/findings.md) quotes, JSON-ready."""
    out = {"run_folder": str(result.run_path), "sizes": {}, "plateau": {}, "detectable_losses": {}}
    for set_ in ("val", "real"):
        for n in sorted(result.summary["clips_per_genre"].unique()):
            h = common.headline(result.summary, {"clips_per_genre": n}, set_)
            if h:
                out["sizes"].setdefault(set_, {})[int(n)] = h
        if (result.steps["set"] == set_).any():
            out["plateau"][set_] = plateau(result.steps, set_)
            out["detectable_losses"][set_] = detectable_losses(result.steps, set_)
    return out
