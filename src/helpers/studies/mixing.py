"""Study 07: a few real tracks on top of generated data.

The real tracks are split again and again into two halves by group (a
track's windows and every track of its artist/album/package stay on one
side; see :func:`group_splits`); each half is once the training side and
once the test side. From the training side, k tracks per genre are
labelled for training (nested in k: the 2 tracks of k=2 include the track of
k=1); every method is scored on all tracks of the test side, so methods and
k are compared on the same tracks.

Methods (all train the study's classifier, stage 4's settings):

``generated``  generated clips only (the paper's setting; k = 0)
``real``       the k real tracks per genre only (their windows)
``pooled``     generated clips plus the real windows, each sample weighted 1
``weighted``   the same, the real windows repeated so they make up
               ``real_share`` of the training samples (a sample weight by repetition)
``coral``      CORAL (Sun, Feng, Saenko 2016): the generated clips' features
               re-coloured to the mean and covariance of the k real tracks'
               windows, then pooled with them
``finetune``   the generated-only classifier, its last layer trained further
               on the k real tracks' windows (the hidden layer frozen)

Inputs are z-scored with the generated training clips' statistics for every
method (when the profile standardizes at all), so a method trained on a
handful of real windows does not divide by their near-zero spreads.
Early stopping uses the synthetic validation split; ``real`` has no held-out
real data to stop on and trains for ``max_epochs`` watching its own training
loss; ``finetune`` runs a fixed number of full-batch epochs.
"""

from __future__ import annotations

import copy
import logging
import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import Config
from . import common

log = logging.getLogger(__name__)

METHODS = ("generated", "real", "pooled", "weighted", "coral", "finetune")

PRESETS = {
    "smoke": {"ks": [0, 1, 2], "repeats": 1, "seeds": [0]},
    "medium": {"ks": [0, 1, 2, 5, 10], "repeats": 3, "seeds": [0, 1, 2]},
    "full": {"ks": [0, 1, 2, 5, 10], "repeats": 5, "seeds": [0, 1, 2]},
}


def resolve_preset(preset: str | None, profile: str, **given) -> dict:
    """ks, repeats and seeds from a preset (see :func:`common.resolve_preset`)."""
    return common.resolve_preset(PRESETS, preset, profile, given)


# --- splits ------------------------------------------------------------------------------------

def group_splits(tracks: pd.DataFrame, repeats: int, seed: int, candidates: int = 64) -> list[dict]:
    """Repeated splits of the real tracks into two halves that keep each group on one side.

    ``tracks`` has ``track_id, label, group``. For each repeat, ``candidates``
    random group orders are dealt greedily to the side with fewer tracks
    (halves of about equal size); of those not used by an earlier repeat,
    the one with the most genres on both sides is kept (then the most even
    one). Each split is used in both directions. Returns a list of
    ``{"split": i, "repeat": r, "train": [track ids], "test": [track ids]}``
    (fewer than ``2 * repeats`` when the groups allow fewer distinct halves).
    Raises ``ValueError`` with fewer than two groups.
    """
    groups = tracks["group"].astype(str).to_numpy()
    names = sorted(set(groups))
    if len(names) < 2:
        raise ValueError(f"the real tracks form {len(names)} group(s); a split by group needs at least two")
    ids, labels = tracks["track_id"].astype(str).to_numpy(), tracks["label"].to_numpy()
    members = {g: np.sort(ids[groups == g]) for g in names}
    label_of = dict(zip(ids, labels))
    rng = np.random.default_rng(seed)
    out, seen = [], set()
    for r in range(repeats):
        best = None
        for _ in range(candidates):
            sides: tuple[list, list] = ([], [])
            for gi in rng.permutation(len(names)):
                g = names[gi]
                small = 0 if len(sides[0]) < len(sides[1]) else 1 if len(sides[1]) < len(sides[0]) else int(rng.integers(2))
                sides[small].extend(members[g].tolist())
            a, b = sorted(sides[0]), sorted(sides[1])
            key = frozenset([tuple(a), tuple(b)])
            if not a or not b or key in seen:
                continue
            both = len({label_of[t] for t in a} & {label_of[t] for t in b})
            score = (both, -abs(len(a) - len(b)))
            if best is None or score > best[0]:
                best = (score, a, b, key)
        if best is None:
            break
        _, a, b, key = best
        seen.add(key)
        for train, test in ((a, b), (b, a)):
            out.append({"split": len(out), "repeat": r, "train": train, "test": test})
    return out


def pick_k(tracks: pd.DataFrame, train_ids, k: int, seed: int) -> dict[str, list[str]]:
    """Per genre, ``k`` tracks of the training side (all of them when it has
    fewer): the first k in a seeded order of the genre's tracks, so the
    choice for k is inside the choice for any larger k."""
    side = tracks[tracks["track_id"].isin(set(train_ids))].sort_values("track_id")
    out = {}
    for genre, rows in side.groupby("label", sort=True):
        order = np.random.default_rng([int(seed), zlib.crc32(str(genre).encode())]).permutation(len(rows))
        out[genre] = rows["track_id"].to_numpy()[order][:k].tolist()
    return out


# --- methods -------------------------------------------------------------------------------------

class Coral:
    """CORAL feature alignment (Sun, Feng, Saenko, AAAI 2016), with means.

    ``fit(source, target)`` learns ``A = C_s^-1/2 C_t^1/2`` from the two
    covariances (each plus ``eps`` times the identity, as in the paper);
    ``transform(X)`` maps source features to ``(X - mu_s) A + mu_t``. With
    ``eps = 0`` and full-rank covariances the aligned source has exactly the
    target's mean and covariance.

    The source side is the expensive one (an eigendecomposition of a
    ``dim x dim`` matrix) and the same for every target: fit it once with
    :meth:`fit_source`, then give each copy its target with :meth:`fit_target`
    (a thin SVD of the few target rows).
    """

    def __init__(self, eps: float = 1.0):
        self.eps = float(eps)

    def fit_source(self, source: np.ndarray) -> "Coral":
        from threadpoolctl import threadpool_limits

        source = np.asarray(source, np.float64)
        self.mean_s_ = source.mean(0)
        cs = np.cov(source, rowvar=False).reshape(source.shape[1], source.shape[1]) + self.eps * np.eye(source.shape[1])
        with threadpool_limits(1):  # two BLAS threads on a busy machine are many times slower than one
            w, V = np.linalg.eigh(cs)
        self.whiten_ = (V * np.clip(w, 1e-12, None) ** -0.5) @ V.T
        return self

    def fit_target(self, target: np.ndarray) -> "Coral":
        target = np.asarray(target, np.float64)
        self.mean_t_ = target.mean(0)
        centred = target - self.mean_t_
        _, sv, Vt = np.linalg.svd(centred, full_matrices=False)
        lam = sv ** 2 / max(len(target) - 1, 1)
        root_eps = np.sqrt(self.eps)
        color = root_eps * np.eye(target.shape[1]) + (Vt.T * (np.sqrt(lam + self.eps) - root_eps)) @ Vt
        self.A_ = self.whiten_ @ color
        return self

    def fit(self, source: np.ndarray, target: np.ndarray) -> "Coral":
        return self.fit_source(source).fit_target(target)

    def transform(self, X: np.ndarray) -> np.ndarray:
        return ((np.asarray(X, np.float64) - self.mean_s_) @ self.A_ + self.mean_t_).astype(np.float32)


def finetune_last_layer(clf, X, y, epochs: int = 200, learning_rate: float = 1e-3, seed: int = 0):
    """A copy of ``clf`` whose last layer is trained further on ``(X, y)``
    (full batch, Adam, class-weighted cross-entropy); the hidden layer and the
    input scaling stay as they were."""
    import torch

    from ..training import balanced_class_weights

    out = copy.deepcopy(clf)
    model = out.model_
    torch.manual_seed(seed)
    for p in model[0].parameters():
        p.requires_grad_(False)
    last = model[-1]
    opt = torch.optim.Adam(last.parameters(), lr=learning_rate)
    Xt = torch.from_numpy(out._scale(X))
    yt = torch.from_numpy(out._encode(y))
    weights = balanced_class_weights(yt.numpy(), len(out.classes_)) if out.class_weights else np.ones(len(out.classes_), np.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.from_numpy(weights))
    with torch.no_grad():
        hidden = model[1](model[0](Xt))
    model.train()
    with common.torch_threads(1):
        for _ in range(int(epochs)):
            loss = loss_fn(last(hidden), yt)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(True)
    return out


def _scaler(cfg: Config, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if not cfg.training.standardize:
        return np.zeros(X.shape[1], np.float32), np.ones(X.shape[1], np.float32)
    return X.mean(0), X.std(0) + 1e-6


# --- the study ----------------------------------------------------------------------------------

@dataclass
class MixingResult:
    long: pd.DataFrame       # one row per (split, k, method, seed, test track)
    summary: pd.DataFrame    # accuracy per method and k with interval and spread
    gains: pd.DataFrame      # each method and k minus generated-only, paired on tracks
    splits: pd.DataFrame     # split, side, track_id, label, group
    k_used: pd.DataFrame     # per split, genre and k: tracks available and used
    notes: list              # what could not be done, in words


def run(cfg: Config, syn: common.SyntheticSet, real: common.RealSet, ks, repeats: int, seeds,
        methods=METHODS, real_share: float = 0.3, coral_eps: float = 1.0, finetune_epochs: int = 200,
        finetune_lr: float = 1e-3, progress: bool = True, n_boot: int = 2000) -> MixingResult:
    """Every method for every k, split and seed; cached per run under
    ``<run_dir>/studies/mixing/cache``."""
    from tqdm.auto import tqdm

    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown method(s) {sorted(unknown)}; known: {list(METHODS)}")
    notes = []
    splits = group_splits(real.tracks, repeats, cfg.seed)
    if len(splits) < 2 * repeats:
        notes.append(f"{2 * repeats} splits asked for, {len(splits)} distinct ones exist with these groups")
    mean, scale = _scaler(cfg, syn.X[syn.train])
    Z = (syn.X - mean) / scale
    Zr = ((real.X - mean) / scale).astype(np.float32)
    Xtr, ytr, Xva, yva = Z[syn.train], syn.y[syn.train], Z[syn.val], syn.y[syn.val]
    plain = copy.deepcopy(cfg)
    plain.training.standardize = False  # inputs arrive z-scored with the generated clips' statistics
    windows_of = {t: np.flatnonzero(real.window_track == t) for t in real.tracks["track_id"]}
    label_of = dict(zip(real.tracks["track_id"], real.tracks["label"]))
    cache = common.ResultCache(common.study_dir(cfg, "mixing") / "cache")
    base_key = {"study": "mixing", "data": syn.fingerprint, "real": real.fingerprint, "standardize": cfg.training.standardize,
                **common.training_key(cfg)}
    models: dict[int, object] = {}

    coral_source: list = []

    def source_coral():
        if not coral_source:
            coral_source.append(Coral(coral_eps).fit_source(Xtr))
        return coral_source[0]

    def base_model(s):
        if s not in models:
            models[s] = common.fit(plain, Xtr, ytr, Xva, yva, s)
        return models[s]

    def predict(clf, test_ids):
        idx = np.concatenate([windows_of[t] for t in test_ids])
        sub = common.RealSet(Zr[idx], real.window_track[idx], real.tracks, real.skipped, real.source)
        return common.real_predictions(clf, sub)

    records, used_rows, split_rows = [], [], []
    jobs = []
    for sp in splits:
        for side in ("train", "test"):
            split_rows += [{"split": sp["split"], "repeat": sp["repeat"], "side": side, "track_id": t,
                            "label": label_of[t], "group": real.tracks.set_index("track_id").loc[t, "group"]}
                           for t in sp[side]]
        for k in ks:
            chosen = pick_k(real.tracks, sp["train"], k, cfg.seed + sp["split"])
            for g in cfg.genres:
                avail = int(sum(label_of[t] == g for t in sp["train"]))
                used_rows.append({"split": sp["split"], "k": k, "genre": g, "available": avail,
                                  "used": len(chosen.get(g, []))})
            for m in methods:
                if (m == "generated") != (k == 0):
                    continue
                for s in seeds:
                    jobs.append((sp, k, chosen, m, s))

    for sp, k, chosen, m, s in tqdm(jobs, desc="mixing: train", disable=not progress):
        train_tracks = sorted(t for ts in chosen.values() for t in ts)
        ridx = np.concatenate([windows_of[t] for t in train_tracks]) if train_tracks else np.zeros(0, int)
        Xk, yk = Zr[ridx], np.array([label_of[t] for t in real.window_track[ridx]])
        params = {"weighted": {"real_share": real_share}, "coral": {"eps": coral_eps},
                  "finetune": {"epochs": finetune_epochs, "lr": finetune_lr}}.get(m, {})
        key = {**base_key, "method": m, "seed": s, "params": params,
               "real_train": train_tracks, "test": sp["test"] if m != "generated" else "all"}

        def compute(m=m, s=s, Xk=Xk, yk=yk, test=sp["test"]):
            if m == "generated":
                return {"real": predict(base_model(s), list(real.tracks["track_id"]))}
            if not len(Xk):
                return {"real": {}, "skipped": "no real training tracks"}
            if m == "real":
                clf = common.fit(plain, Xk, yk, Xk, yk, s)
            elif m == "pooled":
                clf = common.fit(plain, np.concatenate([Xtr, Xk]), np.concatenate([ytr, yk]), Xva, yva, s)
            elif m == "weighted":
                reps = max(1, int(round(real_share / (1 - real_share) * len(Xtr) / len(Xk))))
                clf = common.fit(plain, np.concatenate([Xtr, np.repeat(Xk, reps, 0)]),
                                 np.concatenate([ytr, np.repeat(yk, reps)]), Xva, yva, s)
            elif m == "coral":
                align = copy.copy(source_coral()).fit_target(Xk)
                clf = common.fit(plain, np.concatenate([align.transform(Xtr), Xk]), np.concatenate([ytr, yk]),
                                 align.transform(Xva), yva, s)
            else:  # finetune
                clf = finetune_last_layer(base_model(s), Xk, yk, finetune_epochs, finetune_lr,
                                          common.classifier_seed(cfg, s))
            return {"real": predict(clf, test)}

        res = cache.get(key, compute)
        if m == "generated":
            test = set(sp["test"])
            res = {"real": {t: p for t, p in res["real"].items() if t in test}}
        records.append({"split": sp["split"], "k": k, "method": m, "seed": s, "result": res})

    long = common.long_table(records, None, real)
    summary = common.summarize(long, ["method", "k"], runs=["split", "seed"], n_boot=n_boot, seed=cfg.seed)
    gains = common.paired_gain(long, ["method", "k"], {"method": "generated"}, runs=["split", "seed"], match=[],
                               n_boot=n_boot, seed=cfg.seed)
    k_used = pd.DataFrame(used_rows)
    short = k_used[k_used["used"] < k_used["k"]][["genre", "k"]].drop_duplicates()
    if len(short):
        span = k_used.merge(short).groupby(["genre", "k"])["used"].agg(["min", "max"]).reset_index()
        notes.append("fewer real tracks than k on the training side of some splits (tracks used, over the "
                     f"{len(splits)} splits): " + "; ".join(
                         f"{r.genre} k={r.k}: {r['min']}" + (f"-{r['max']}" if r["min"] != r["max"] else "")
                         for _, r in span.iterrows()))
    return MixingResult(long, summary, gains, pd.DataFrame(split_rows), k_used, notes)


def headlines(result: MixingResult) -> dict:
    out = {"accuracy": {}, "gain_over_generated": {}, "notes": result.notes}
    for _, r in result.summary.iterrows():
        out["accuracy"].setdefault(r["method"], {})[int(r["k"])] = common.headline(
            result.summary, {"method": r["method"], "k": r["k"]}, "real")
    for _, r in result.gains.iterrows():
        out["gain_over_generated"].setdefault(r["method"], {})[int(r["k"])] = {
            "gain": round(100 * r["gain"], 1), "ci95": [round(100 * r["ci_low"], 1), round(100 * r["ci_high"], 1)],
            "tracks": int(r["units"])}
    return out


def plot(result: MixingResult, ax=None, title: str = ""):
    """Accuracy on held-out real tracks against k, one line per method; the
    generated-only figure (k = 0) starts every mixed method's line."""
    s = result.summary[result.summary["set"] == "real"]
    gen = s[s["method"] == "generated"]
    parts = [s]
    for m in s["method"].unique():
        if m not in ("generated", "real") and len(gen):
            parts.append(gen.assign(method=m))
    data = pd.concat(parts, ignore_index=True)
    data = data[data["method"] != "generated"] if data["method"].nunique() > 1 else data
    ax = common.plot_intervals(data, "k", hue="method", ax=ax, title=title, dodge=0.12)
    if len(gen):
        g = gen.iloc[0]
        ax.axhspan(100 * g["ci_low"], 100 * g["ci_high"], color="grey", alpha=0.12, label="generated only (95% CI)")
        ax.axhline(100 * g["accuracy"], color="grey", lw=1)
        ax.legend(fontsize=8)
    ax.set_xlabel("k real tracks per genre in training")
    ax.set_xticks(sorted(s["k"].unique()))
    return ax
