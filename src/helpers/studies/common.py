"""What the four studies share: run folders, data sets, training per seed, a
result cache, bootstrap intervals and plots.

A study never runs a pipeline of its own: it calls the stage functions of
:mod:`helpers.pipeline` (prompts, generation, embedding) on the main run
folder or on a run folder of its own under ``<run_dir>/studies/<name>/``,
then trains the study's classifier (:func:`helpers.pipeline.make_classifier`)
on subsets of the embeddings.

Intervals. Accuracy on real recordings is a mean over tracks, and a track's
windows are not independent, so intervals resample tracks (never windows).
Accuracy on the synthetic validation split resamples description groups (the
takes of one description are alike). With several classifier seeds (and, in
07, several splits) each unit's correctness is first averaged over the runs
it took part in; the bootstrap then resamples units. The spread over seeds
is reported beside it (``run_sd``): the two answer different questions (how
much the figure would move with other tracks; with another training run).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..config import Config
from ..data import Stage, write_csv, write_json

log = logging.getLogger(__name__)


# --- run folders ------------------------------------------------------------------------

def study_dir(cfg: Config, name: str) -> Path:
    """``<run_dir>/studies/<name>``, created."""
    path = cfg.run_path / "studies" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def derive_config(cfg: Config, run_path: str | os.PathLike, clips_per_genre: int | None = None) -> Config:
    """A copy of ``cfg`` for a study's own run folder: same generator, embedder
    and classifier settings; another run folder (and clip count); no real
    benchmark (a study reads the real embeddings of the main run)."""
    sub = copy.deepcopy(cfg)
    sub.run_dir = str(Path(run_path).resolve())
    if clips_per_genre is not None:
        sub.prompts.clips_per_genre = int(clips_per_genre)
        sub.prompts.total_clips = None
    sub.evaluation.real_data = None
    return sub


def run_stages(cfg: Config, progress: bool = True, prompts: bool = True, embedder=None) -> None:
    """Stages 1-3 on ``cfg``'s run folder (each resumes, or returns at once when done).

    With ``prompts=False`` the prompts table is expected to be written already
    (a study that builds its own table, see :func:`write_prompts`). An
    ``embedder`` already loaded is reused (a study embedding several run
    folders loads its model once). A few clips are generated in this process:
    starting worker processes would cost more than they save (the clips are
    the same either way).
    """
    from ..pipeline import load_prompts, run_embedding, run_generation, run_prompts

    if prompts:
        run_prompts(cfg)
    gen_cfg = cfg
    if cfg.generation.workers > 1 and len(load_prompts(cfg)) < 40 * cfg.generation.workers:
        gen_cfg = copy.deepcopy(cfg)
        gen_cfg.generation.workers = 1
    run_generation(gen_cfg, progress=progress)
    run_embedding(cfg, progress=progress, embedder=embedder)


def write_prompts(cfg: Config, table: pd.DataFrame, settings: dict) -> Path:
    """Write a study's own prompts table into ``cfg``'s run folder, as stage 1 would.

    ``settings`` must name what the folder is for (e.g. ``{"strategy": ...}``);
    another purpose is refused. The table may grow or shrink between runs
    (another clip count), but a clip id the folder already knows must keep
    its prompt row (genre, description, prompt, seed): otherwise the clip
    made from the old row would be reused for the new one, so that is
    refused too, naming the folder to delete.
    """
    from ..prompts import PROMPT_COLUMNS, validate_prompts

    table = validate_prompts(table[PROMPT_COLUMNS].reset_index(drop=True), "study prompts")
    stage = Stage(cfg.run_path / "prompts")
    stage.check_settings(settings, "prompts")
    path = stage.path / "prompts.csv"
    if path.exists():
        old = pd.read_csv(path, dtype=str)
        both = old.merge(table.astype(str), on="id", suffixes=("_old", ""))
        for col in ("genre", "description", "prompt", "seed"):
            differs = both[both[f"{col}_old"] != both[col]]
            if len(differs):
                raise RuntimeError(f"{path} holds another {col} for clip {differs['id'].iloc[0]!r} "
                                   f"({differs[col + '_old'].iloc[0]!r} vs {differs[col].iloc[0]!r}): its clips were "
                                   f"made from other prompts. Delete {cfg.run_path} (or use another run_dir).")
    text = table.to_csv(index=False, lineterminator="\n")
    if not path.exists() or path.read_text() != text:
        write_csv(table, path)
    stage.mark_done({**settings, "rows": len(table)})
    return path


def adopt_from(src: Config, dst: Config) -> dict:
    """Seed ``dst``'s clips and embeddings with ``src``'s where they are the same work.

    A clip is the same when its prompt row (id, genre, description, prompt,
    seed) is identical in both prompt tables and both clip folders were made
    with the same generation settings; its WAV is hard-linked (or copied)
    into ``dst``, where stage 2 adopts it as a finished clip. When the
    embedding settings match too, the adopted clips' embeddings are written as
    the first resumable chunk of ``dst``'s stage 3. Nothing is adopted into a
    folder that already has clips or embedding chunks of its own.

    Returns ``{"clips": n, "embeddings": m}``, also recorded in
    ``<dst run>/adopted.json`` (and returned from there on later calls, when
    ``dst`` has its clips already).
    """
    from ..data import _plain, load_clip_manifest, save_npz
    from ..embedding import load_embeddings
    from ..generation import generation_settings
    from ..pipeline import embedding_dir

    out = {"clips": 0, "embeddings": 0}
    src_clips, dst_clips = src.run_path / "clips", dst.run_path / "clips"
    record = dst.run_path / "adopted.json"
    if (dst_clips / "metadata.csv").exists() or any(dst_clips.glob("*/*.wav")):
        if record.exists():
            stored = json.loads(record.read_text())
            return {k: int(stored.get(k, 0)) for k in out}
        return out
    if src.run_path.resolve() == dst.run_path.resolve() or not Stage(src_clips).is_done():
        return out
    src_settings = src_clips / "settings.json"
    if not src_settings.exists() or json.loads(src_settings.read_text()) != _plain(generation_settings(dst.generation)):
        return out
    keys = ["id", "genre", "description", "prompt", "seed"]
    a = pd.read_csv(src.run_path / "prompts" / "prompts.csv")[keys]
    b = pd.read_csv(dst.run_path / "prompts" / "prompts.csv")[keys]
    same = a.merge(b, on=keys)["id"]
    manifest = load_clip_manifest(src.run_path).set_index("id")
    same = [i for i in same if i in manifest.index]
    for cid in same:
        target = dst_clips / manifest.loc[cid, "file_name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            try:
                os.link(manifest.loc[cid, "path"], target)
            except OSError:
                import shutil

                shutil.copy2(manifest.loc[cid, "path"], target)
    out["clips"] = len(same)
    src_emb, dst_emb = embedding_dir(src), embedding_dir(dst)
    emb_settings = {"backend": dst.embedding.backend, "options": dict(dst.embedding.options)}
    chunks = dst_emb / "synthetic.chunks"
    if (same and (src_emb / "synthetic.npz").exists() and Stage(src_emb).is_done()
            and json.loads((src_emb / "settings.json").read_text()) == _plain(emb_settings)
            and not any(chunks.glob("chunk-*.npz"))):
        emb = load_embeddings(src_emb, "synthetic")
        keep = np.isin(emb["ids"], np.array(same, dtype=str))
        chunks.mkdir(parents=True, exist_ok=True)
        save_npz(chunks / "chunk-00000.npz", files=emb["ids"][keep], ids=emb["ids"][keep],
                 window=emb["window"][keep], X=emb["X"][keep], skipped=np.zeros((0, 3), dtype=str))
        out["embeddings"] = int(keep.sum())
    write_json({**out, "source": str(src.run_path)}, record)
    return out


def resolve_preset(presets: dict, preset: str | None, profile: str, given: dict) -> dict:
    """A study's sizes: the notebook's own values (``given``), replaced by
    ``presets[preset]`` when a preset is named. ``"auto"`` names ``"smoke"`` on
    the smoke profile (so ``./run_all.sh --profile smoke --studies`` stays
    small) and nothing otherwise."""
    if preset == "auto":
        preset = "smoke" if profile == "smoke" else None
    if preset is None:
        return dict(given)
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(presets)}, 'auto' or None")
    return {**given, **presets[preset]}


# --- data sets ------------------------------------------------------------------------------

@dataclass
class SyntheticSet:
    """The generated clips of one run folder, embedded, with a fixed train/validation split.

    ``X`` is ``(n_clips, dim)``; ``ids``, ``y`` (genre), ``groups`` (the
    description a clip was made from), ``paths`` and ``prompts`` are ``(n_clips,)``;
    ``train``/``val`` are index arrays into them.
    """

    ids: np.ndarray
    X: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    train: np.ndarray
    val: np.ndarray
    paths: np.ndarray
    prompts: np.ndarray
    run_path: Path

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.ids, self.X, self.y, self.train, self.val)


def load_synthetic(cfg: Config, split: str = "pipeline") -> SyntheticSet:
    """The embedded clips of ``cfg``'s run folder (stages 2 and 3 done).

    ``split="pipeline"``: the train/validation split of stage 4
    (:func:`helpers.pipeline.training_data`). ``split="description_id"``: the
    same splitter grouped by the prompts table's ``description_id`` (for
    prompt tables whose ``description`` column does not name the description,
    e.g. the genre-only strategy), so tables built from the same descriptions
    and seed get the same split.
    """
    from ..data import load_clip_manifest
    from ..embedding import load_embeddings
    from ..pipeline import embedding_dir, training_data
    from ..training import split_train_val

    if split == "pipeline":
        emb, labels, tr, va = training_data(cfg)
    elif split == "description_id":
        emb = load_embeddings(embedding_dir(cfg), "synthetic")
    else:
        raise ValueError(f"split must be 'pipeline' or 'description_id', got {split!r}")
    clips = load_clip_manifest(cfg.run_path).set_index("id").loc[emb["ids"]]
    prompts = pd.read_csv(cfg.run_path / "prompts" / "prompts.csv").set_index("id").loc[emb["ids"]]
    groups = (prompts["genre"] + "|" + prompts["description_id"].astype(str)).to_numpy()
    if split == "description_id":
        labels = clips["genre"].to_numpy()
        tr, va = split_train_val(labels, groups, cfg.training.val_fraction, cfg.seed)
    return SyntheticSet(ids=np.asarray(emb["ids"]), X=np.asarray(emb["X"], np.float32), y=labels, groups=groups,
                        train=tr, val=va, paths=clips["path"].to_numpy(), prompts=clips["prompt"].to_numpy(),
                        run_path=cfg.run_path)


@dataclass
class RealSet:
    """Embedded real recordings: ``X`` ``(n_windows, dim)``, ``window_track``
    ``(n_windows,)`` the track of each window, and ``tracks`` (one row per
    embedded track: ``track_id, label, group, path``)."""

    X: np.ndarray
    window_track: np.ndarray
    tracks: pd.DataFrame
    skipped: pd.DataFrame
    source: str

    def subset(self, track_ids: Sequence[str]) -> "RealSet":
        keep = np.isin(self.window_track, np.asarray(list(track_ids), dtype=str))
        tracks = self.tracks[self.tracks["track_id"].isin(set(track_ids))].reset_index(drop=True)
        return RealSet(self.X[keep], self.window_track[keep], tracks, self.skipped, self.source)

    def window_labels(self) -> np.ndarray:
        return self.tracks.set_index("track_id").loc[self.window_track, "label"].to_numpy()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.X, self.window_track, self.tracks["label"].to_numpy(),
                           self.tracks["group"].to_numpy())


_PACKAGE_RE = re.compile(r"^(?P<group>.+?)--.+$")


def track_groups(tracks: pd.DataFrame) -> pd.Series:
    """The group of each real track: tracks of one group (artist, album or
    package) always stay on one side of a split.

    The ``group`` column when the table has one (and it is filled); else the
    package a file name ``<package>--<title>.<ext>`` names (the dev set's
    naming); else the track itself.
    """
    def from_name(row) -> str:
        for field in ("source", "path", "track_id"):
            value = row.get(field)
            if isinstance(value, str) and value:
                m = _PACKAGE_RE.match(Path(value).stem)
                if m:
                    return m.group("group")
        return str(row["track_id"])

    derived = tracks.apply(from_name, axis=1) if len(tracks) else pd.Series([], dtype=str)
    if "group" in tracks.columns:
        given = tracks["group"].astype("string")
        return given.where(given.notna() & (given.str.strip() != ""), derived).astype(str)
    return derived.astype(str)


def _csv_groups(source: str, tracks: pd.DataFrame) -> pd.Series:
    """The ``group`` column of a CSV benchmark (``path,label,group``), by track,
    for a track table made by a reader that does not carry it; empty otherwise."""
    empty = pd.Series([None] * len(tracks), index=tracks.index, dtype=object)
    path = Path(str(source))
    if path.suffix.lower() not in (".csv", ".tsv") or not path.is_file():
        return empty
    table = pd.read_csv(path, sep="\t" if path.suffix.lower() == ".tsv" else ",", dtype=str)
    if not {"path", "group"} <= set(table.columns):
        return empty
    by_path = dict(zip(table["path"].str.strip(), table["group"]))
    return tracks["track_id"].map(by_path).astype(object)


def load_real(cfg: Config) -> RealSet | None:
    """The real benchmark embedded by stage 3 of ``cfg``'s run folder, or
    ``None`` when ``cfg`` names no real benchmark."""
    from ..embedding import load_embeddings
    from ..pipeline import real_dir

    if not cfg.evaluation.real_data:
        return None
    rdir = real_dir(cfg)
    if not (rdir / "real.npz").exists():
        raise FileNotFoundError(f"no real-benchmark embeddings in {rdir}: run stage 3 with real_data first")
    emb = load_embeddings(rdir, "real")
    tracks = pd.read_csv(rdir / "tracks.csv", dtype={"track_id": str})
    if "group" not in tracks.columns:
        tracks["group"] = _csv_groups(cfg.evaluation.real_data, tracks)
    tracks["group"] = track_groups(tracks)
    embedded = list(dict.fromkeys(emb["ids"].tolist()))
    tracks = tracks.set_index("track_id").loc[embedded].reset_index()
    skipped = pd.read_csv(rdir / "real.skipped.csv") if (rdir / "real.skipped.csv").exists() else pd.DataFrame()
    return RealSet(np.asarray(emb["X"], np.float32), np.asarray(emb["ids"], dtype=str),
                   tracks[["track_id", "label", "group", "path"]], skipped, str(cfg.evaluation.real_data))


def real_overview(real: RealSet | None) -> pd.DataFrame:
    """Per genre: tracks, groups and the groups' names (what a split can separate)."""
    if real is None:
        return pd.DataFrame(columns=["tracks", "groups", "group names"])
    g = real.tracks.groupby("label")
    return pd.DataFrame({"tracks": g.size(), "groups": g["group"].nunique(),
                         "group names": g["group"].agg(lambda s: ", ".join(sorted(set(s))))})


def prepare_main(cfg: Config, progress: bool = True) -> tuple[SyntheticSet, RealSet | None]:
    """Stages 1-3 of the main run (resumed or skipped when done), then its
    synthetic set (stage 4's split) and its real benchmark."""
    run_stages(cfg, progress=progress)
    return load_synthetic(cfg), load_real(cfg)


# --- training and predictions ----------------------------------------------------------------

def fingerprint(*arrays) -> str:
    """A short digest of arrays (their bytes, shapes and types)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind in "OUS":
            a = np.array([str(x) for x in a.ravel()], dtype=str)
        h.update(str((a.shape, a.dtype.str)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def classifier_seed(cfg: Config, seed: int) -> int:
    """The classifier seed of run ``seed`` (0, 1, ...): offset from the master seed."""
    return int(cfg.seed) + int(seed)


@contextmanager
def torch_threads(n: int = 1) -> Iterator[None]:
    """Run a block with ``n`` torch CPU threads, then restore the old number.

    The study's classifier is small (one hidden layer of 128); on a busy
    machine one thread trains it several times faster than two that wait
    for each other (measured here: 19 s against 74 s for 900 clips).
    """
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def fit(cfg: Config, X, y, X_val, y_val, seed: int):
    """The study's classifier (stage 4's settings) trained with seed ``seed``."""
    from ..pipeline import make_classifier

    with torch_threads(1):
        return make_classifier(cfg, seed=classifier_seed(cfg, seed)).fit(X, y, X_val, y_val, classes=cfg.genres)


def real_predictions(clf, real: RealSet) -> dict[str, str]:
    """``{track_id: predicted genre}``: window probabilities averaged per track."""
    from ..evaluation import track_scores

    if real is None or not len(real.X):
        return {}
    scores = track_scores(clf.predict_proba(real.X), real.window_track, list(clf.classes_))
    return {str(k): str(v) for k, v in scores["predicted"].items()}


def predictions(clf, syn: SyntheticSet | None = None, real: RealSet | None = None,
                val_idx: np.ndarray | None = None) -> dict:
    """What a study keeps of one trained classifier (JSON-ready): its
    predictions on the synthetic validation clips and per real track."""
    out = {"best_epoch": int(clf.best_epoch_), "stopped_epoch": int(clf.stopped_epoch_)}
    if syn is not None:
        idx = syn.val if val_idx is None else val_idx
        out["val"] = dict(zip(syn.ids[idx].tolist(), clf.predict(syn.X[idx]).tolist()))
    if real is not None:
        out["real"] = real_predictions(clf, real)
    return out


class ResultCache:
    """JSON results under ``folder``, one file per key (a dict of everything
    that decides the result: settings, seed, data fingerprints).

    ``get(key, compute)`` returns the stored result or computes, stores
    (atomically) and returns it: a killed study resumes where it stopped, and
    a study re-run with other settings never reads results made with others.
    """

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def digest(key: dict) -> str:
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:20]

    def get(self, key: dict, compute: Callable[[], dict]) -> dict:
        path = self.folder / f"{self.digest(key)}.json"
        if path.exists():
            try:
                stored = json.loads(path.read_text())
                self.hits += 1
                return stored["result"]
            except (OSError, ValueError, KeyError):
                log.warning("unreadable cache entry %s: computing again", path)
        result = compute()
        write_json({"key": json.loads(json.dumps(key, sort_keys=True, default=str)), "result": result}, path)
        self.misses += 1
        return result


def training_key(cfg: Config) -> dict:
    """The settings that decide a trained classifier, for cache keys."""
    return {"training": dict(cfg.training.__dict__), "genres": list(cfg.genres), "master_seed": cfg.seed}


# --- long tables -------------------------------------------------------------------------------------

def long_table(records: Sequence[dict], syn: SyntheticSet | None, real: RealSet | None) -> pd.DataFrame:
    """One row per (run, evaluated item): the run's columns (condition, seed,
    ...), ``set`` (``val`` or ``real``), ``item``, ``unit`` (description group
    or track: what the bootstrap resamples), ``label``, ``predicted``, ``correct``.

    Each record is a dict of the run's columns plus ``result`` (from
    :func:`predictions`).
    """
    rows = []
    val_label = dict(zip(syn.ids, syn.y)) if syn is not None else {}
    val_group = dict(zip(syn.ids, syn.groups)) if syn is not None else {}
    real_label = dict(zip(real.tracks["track_id"], real.tracks["label"])) if real is not None else {}
    for rec in records:
        cols = {k: v for k, v in rec.items() if k != "result"}
        res = rec["result"]
        for cid, pred in res.get("val", {}).items():
            rows.append({**cols, "set": "val", "item": cid, "unit": val_group[cid], "label": val_label[cid],
                         "predicted": pred})
        for tid, pred in res.get("real", {}).items():
            rows.append({**cols, "set": "real", "item": tid, "unit": tid, "label": real_label[tid],
                         "predicted": pred})
    table = pd.DataFrame(rows)
    if len(table):
        table["correct"] = (table["label"] == table["predicted"]).astype(float)
    return table


def bootstrap_ci(sums, counts=None, n_boot: int = 2000, seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """Estimate and percentile interval of ``sum(sums) / sum(counts)`` when
    units (rows) are resampled with replacement.

    ``sums[i]`` is unit i's total (e.g. correct predictions, or a difference
    of two such totals) and ``counts[i]`` its number of items (default 1).
    Returns ``(estimate, low, high)``; NaNs for no units.
    """
    sums = np.asarray(sums, dtype=float)
    counts = np.ones_like(sums) if counts is None else np.asarray(counts, dtype=float)
    if sums.size == 0:
        return float("nan"), float("nan"), float("nan")
    estimate = float(sums.sum() / counts.sum())
    rng = np.random.default_rng(seed)
    stats = np.empty(n_boot)
    for s in range(0, n_boot, 500):  # bounded memory for many units
        idx = rng.integers(0, len(sums), size=(min(500, n_boot - s), len(sums)))
        stats[s:s + len(idx)] = sums[idx].sum(1) / counts[idx].sum(1)
    low, high = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return estimate, float(low), float(high)


def _unit_means(rows: pd.DataFrame, runs: Sequence[str], value: str = "correct") -> pd.DataFrame:
    """Per unit: the sum and count of ``value`` per run, averaged over the runs the unit took part in."""
    per_run = rows.groupby([*runs, "unit"], dropna=False)[value].agg(["sum", "count"]).reset_index()
    return per_run.groupby("unit")[["sum", "count"]].mean()


def summarize(long: pd.DataFrame, by: Sequence[str], runs: Sequence[str] = ("seed",), n_boot: int = 2000,
              seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Accuracy per condition (``by`` + ``set``) with a bootstrap interval over
    units, and the spread over runs.

    Columns: ``by``..., ``set``, ``accuracy`` (units' correctness averaged
    over runs, then pooled), ``ci_low``, ``ci_high``, ``run_mean`` and
    ``run_sd`` (accuracy of each run, e.g. each classifier seed, then their
    mean and standard deviation), ``runs``, ``units``, ``items``.
    """
    keys = [*by, "set"]
    out = []
    if not len(long):
        return pd.DataFrame(columns=[*keys, "accuracy", "ci_low", "ci_high", "run_mean", "run_sd", "runs", "units", "items"])
    for cond, rows in long.groupby(keys, sort=False, dropna=False):
        cond = cond if isinstance(cond, tuple) else (cond,)
        units = _unit_means(rows, list(runs))
        est, lo, hi = bootstrap_ci(units["sum"], units["count"], n_boot, seed, level)
        run_acc = rows.groupby(list(runs), dropna=False)["correct"].mean()
        out.append({**dict(zip(keys, cond)), "accuracy": est, "ci_low": lo, "ci_high": hi,
                    "run_mean": float(run_acc.mean()),
                    "run_sd": float(run_acc.std(ddof=1)) if len(run_acc) > 1 else 0.0,
                    "runs": int(len(run_acc)), "units": int(len(units)), "items": int(rows["item"].nunique())})
    return pd.DataFrame(out)


def paired_gain(long: pd.DataFrame, by: Sequence[str], baseline: dict, runs: Sequence[str] = ("seed",),
                match: Sequence[str] | None = None, n_boot: int = 2000, seed: int = 0,
                level: float = 0.95) -> pd.DataFrame:
    """Each condition's accuracy minus the baseline's, on the same units,
    with a paired bootstrap interval over units.

    ``baseline`` selects the baseline rows by column values (e.g.
    ``{"method": "generated"}``). Each condition is compared with the baseline
    rows that agree with it on ``set`` and on ``match`` (default: the columns
    of ``by`` that ``baseline`` does not fix). Units evaluated under only one
    of the two are left out (``units`` says how many were compared).
    """
    base_mask = np.logical_and.reduce([long[k] == v for k, v in baseline.items()])
    base = long[base_mask]
    match = [c for c in by if c not in baseline] if match is None else list(match)
    out = []
    for cond, rows in long[~base_mask].groupby([*by, "set"], sort=False, dropna=False):
        cond = dict(zip([*by, "set"], cond if isinstance(cond, tuple) else (cond,)))
        b = base[np.logical_and.reduce([base[c] == cond[c] for c in [*match, "set"]])] if len(base) else base
        if not len(b):
            continue
        ua, ub = _unit_means(rows, list(runs)), _unit_means(b, list(runs))
        both = ua.add_suffix("_a").join(ub.add_suffix("_b"), how="inner")
        # per unit: mean correctness difference, weighted by the unit's items
        diff = (both["sum_a"] / both["count_a"] - both["sum_b"] / both["count_b"]) * both["count_a"]
        est, lo, hi = bootstrap_ci(diff, both["count_a"], n_boot, seed, level)
        out.append({**cond, "gain": est, "ci_low": lo, "ci_high": hi, "units": int(len(both))})
    return pd.DataFrame(out)


def format_interval(row, value: str = "accuracy", scale: float = 100.0, digits: int = 1) -> str:
    """``"73.9 [65.2, 82.6]"`` from a summary row (percent by default)."""
    return (f"{scale * row[value]:.{digits}f} [{scale * row['ci_low']:.{digits}f}, "
            f"{scale * row['ci_high']:.{digits}f}]")


def write_tables(folder: str | os.PathLike, **tables) -> dict[str, Path]:
    """Write DataFrames as ``<name>.csv`` and dicts as ``<name>.json`` under ``folder``."""
    folder = Path(folder)
    paths = {}
    for name, obj in tables.items():
        if isinstance(obj, pd.DataFrame):
            paths[name] = write_csv(obj, folder / f"{name}.csv")
        else:
            paths[name] = write_json(obj, folder / f"{name}.json")
    return paths


def headline(summary: pd.DataFrame, where: dict, set_: str) -> dict | None:
    """One summary row as a JSON-ready dict (accuracy and interval in percent), or None."""
    mask = summary["set"] == set_
    for k, v in where.items():
        mask &= summary[k] == v
    rows = summary[mask]
    if not len(rows):
        return None
    r = rows.iloc[0]
    return {"accuracy": round(100 * r["accuracy"], 1), "ci95": [round(100 * r["ci_low"], 1), round(100 * r["ci_high"], 1)],
            "seed_sd": round(100 * r["run_sd"], 1), "units": int(r["units"]), "runs": int(r["runs"])}


# --- plots ---------------------------------------------------------------------------------------

def plot_intervals(summary: pd.DataFrame, x: str, hue: str | None = None, ax=None, title: str = "",
                   logx: bool = False, ylabel: str = "accuracy (%)", dodge: float = 0.0):
    """Accuracy against ``x`` (one line per ``hue``) with the bootstrap
    interval as error bars; ``dodge`` shifts lines apart (fraction of x, for log axes)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    groups = [(None, summary)] if hue is None else list(summary.groupby(hue, sort=False))
    for i, (name, rows) in enumerate(groups):
        rows = rows.sort_values(x)
        xs = rows[x].to_numpy(dtype=float)
        if dodge and len(groups) > 1:
            shift = (i - (len(groups) - 1) / 2) * dodge
            xs = xs * (1 + shift) if logx else xs + shift
        y = 100 * rows["accuracy"].to_numpy()
        err = np.vstack([y - 100 * rows["ci_low"].to_numpy(), 100 * rows["ci_high"].to_numpy() - y])
        ax.errorbar(xs, y, yerr=err, marker="o", capsize=3, label=None if name is None else str(name))
    if logx:
        ax.set_xscale("log")
        ticks = sorted(summary[x].unique())
        ax.set_xticks(ticks)
        ax.set_xticklabels([str(t) for t in ticks])
        ax.minorticks_off()
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if hue is not None:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_bars(summary: pd.DataFrame, x: str, hue: str = "set", ax=None, title: str = ""):
    """Grouped bars of accuracy with interval error bars."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    cats = list(dict.fromkeys(summary[x]))
    hues = list(dict.fromkeys(summary[hue]))
    width = 0.8 / max(len(hues), 1)
    for j, h in enumerate(hues):
        rows = summary[summary[hue] == h].set_index(x).reindex(cats)
        y = 100 * rows["accuracy"].to_numpy()
        err = np.vstack([y - 100 * rows["ci_low"].to_numpy(), 100 * rows["ci_high"].to_numpy() - y])
        ax.bar(np.arange(len(cats)) + (j - (len(hues) - 1) / 2) * width, y, width, yerr=err, capsize=3, label=str(h))
    ax.set_xticks(np.arange(len(cats)))
    ax.set_xticklabels(cats)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return ax
