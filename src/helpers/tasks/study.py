"""The tempo and key study: features -> training -> evaluation, beside a classic baseline.

Reads what stages 1-2 wrote (``clips/metadata.csv`` with each clip's ``tempo_bpm`` and
``key``, exact for the symbolic generator), and writes under ``<run>/task-<name>/``:

* ``features/<id>.npy``: each clip's front-end (cached: a re-run computes only what is
  missing; a killed run resumes);
* ``model.pt`` and ``model.json`` (its settings and the clips it was trained on; a
  change of either retrains);
* ``predictions-<set>.csv``: reference, model and baseline per item (``synthetic_val``,
  and one per annotated real benchmark);
* ``metrics.json`` of the run, under the task's name: the model and the baseline on each
  set, with 95 % intervals (merged with what the file already holds).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MissingInput, StageError
from . import DEFAULTS, TASK_MODELS
from .features import FEATURES
from .labels import key_index, parse_key, tempo_axis, tempo_class


def task_dir(cfg) -> Path:
    return cfg.run_path / f"task-{cfg.task.name}"


def model_names(cfg) -> tuple[str, str]:
    model, baseline = DEFAULTS[cfg.task.name]
    return cfg.task.model or model, cfg.task.baseline or baseline


def task_settings(cfg) -> dict:
    """What decides the trained model (the real benchmarks only decide the evaluation)."""
    t = cfg.task
    return {"name": t.name, "model": model_names(cfg)[0] if t.name != "genre" else t.model,
            "baseline": model_names(cfg)[1] if t.name != "genre" else t.baseline, "options": dict(t.options),
            "learning_rate": t.learning_rate, "batch_size": t.batch_size, "max_epochs": t.max_epochs,
            "patience": t.patience, "val_fraction": t.val_fraction, "seed": cfg.seed}


def _require_task(cfg) -> str:
    if cfg.task.name not in DEFAULTS:
        raise StageError(f"task.name is {cfg.task.name!r}: helpers.tasks runs the tempo and key tasks "
                         "(genre runs through stages 3-5)")
    return cfg.task.name


# --- labels and features ---------------------------------------------------------------------------

def clip_table(cfg) -> pd.DataFrame:
    """The clips with the task's label: ``id, path, label`` (tempo in BPM, or a key name)."""
    from ..pipeline import load_clip_manifest

    task = _require_task(cfg)
    clips = load_clip_manifest(cfg.run_path)
    column = "tempo_bpm" if task == "tempo" else "key"
    if column not in clips.columns or clips[column].isna().all():
        raise StageError(f"{cfg.run_path / 'clips' / 'metadata.csv'}: no {column} column with values; the "
                         f"{cfg.generation.backend!r} generator does not state what it played. Use the symbolic "
                         "generator (configs/tempo.yaml, configs/key.yaml)")
    clips = clips.dropna(subset=[column])
    out = pd.DataFrame({"id": clips["id"].astype(str), "path": clips["path"], "label": clips[column]})
    if task == "key":
        out["label"] = [parse_key(k) for k in out["label"]]
    return out.reset_index(drop=True)


def _encode(task: str, label) -> int:
    return tempo_class(float(label)) if task == "tempo" else key_index(label)


def clip_features(cfg, clips: pd.DataFrame, progress: bool = True) -> list[np.ndarray]:
    """The front-end of every clip, cached in ``features/<id>.npy``."""
    from ..audio import load_audio
    from ..progress import progress_bar

    task = _require_task(cfg)
    folder = task_dir(cfg) / "features"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for cid, path in progress_bar(list(zip(clips["id"], clips["path"])), desc=f"{task} features", unit="clip",
                                  progress=progress):
        f = folder / f"{cid}.npy"
        if f.is_file():
            try:
                out.append(np.load(f))
                continue
            except (OSError, ValueError):
                f.unlink()  # a file cut short by a kill: made again
        audio, sr = load_audio(path)
        x = FEATURES[task](audio, sr)
        tmp = f.with_name(f.stem + ".tmp.npy")
        np.save(tmp, x)
        tmp.replace(f)
        out.append(x)
    return out


# --- training ----------------------------------------------------------------------------------------

def _fingerprint(cfg, clips: pd.DataFrame) -> dict:
    ids = hashlib.sha256("\n".join(f"{i}\t{label}" for i, label in zip(clips["id"], clips["label"])).encode())
    return {"settings": task_settings(cfg), "clips": len(clips), "clips_sha256": ids.hexdigest()}


def new_model(cfg, seed: int | None = None, model: str | None = None, **options):
    """The task's untrained model with the config's settings (``seed``, ``model`` (a name in
    :data:`TASK_MODELS`) and ``options``, model options or training settings such as
    ``learning_rate``, override them)."""
    t = cfg.task
    settings = {"learning_rate": t.learning_rate, "batch_size": t.batch_size, "max_epochs": t.max_epochs,
                "patience": t.patience, "val_fraction": t.val_fraction, **t.options}
    return TASK_MODELS.get(model or model_names(cfg)[0])(seed=cfg.seed if seed is None else seed,
                                                         **{**settings, **options})


def train_task(cfg, progress: bool = True):
    """Train the task's model on the generated clips (reused when its settings and clips are the same)."""
    from ..data import atomic_write_text

    task = _require_task(cfg)
    clips = clip_table(cfg)
    name = model_names(cfg)[0]
    cls = TASK_MODELS.get(name)
    path, record = task_dir(cfg) / "model.pt", task_dir(cfg) / "model.json"
    fp = _fingerprint(cfg, clips)
    if path.is_file() and record.is_file() and json.loads(record.read_text()).get("fingerprint") == fp:
        return cls.load(path), clips
    # the record goes first: a kill between the new model's save and its record leaves no record, so
    # no later run with the old settings can pair the old record with the new weights
    record.unlink(missing_ok=True)
    X = clip_features(cfg, clips, progress)
    y = [_encode(task, label) for label in clips["label"]]
    model = new_model(cfg)
    model.fit(X, y)
    model.save(path)
    atomic_write_text(record, json.dumps({"fingerprint": fp, "model": name, "best_epoch": model.best_epoch_,
                                          "val_ids": [str(clips["id"][i]) for i in model.val_ids_],
                                          "history": model.history}, indent=1) + "\n")
    return model, clips


# --- evaluation --------------------------------------------------------------------------------------

def _metrics(task: str, reference, estimate, extra: dict | None = None) -> dict:
    from .metrics import key_metrics, tempo_metrics

    if task == "key":
        return key_metrics(list(reference), list(estimate))
    return tempo_metrics(list(reference), list(estimate), **(extra or {}))


def _real_specs(cfg) -> list[str]:
    rd = cfg.task.real_data
    return [] if not rd else [rd] if isinstance(rd, str) else list(rd)


def _estimate(cfg, model, baseline, items: pd.DataFrame, features, audios) -> pd.DataFrame:
    task = cfg.task.name
    out = items.copy()
    if task == "tempo":  # the two strongest tempi, from one pass (the first is predict()'s)
        out["model"], out["model2"] = model.predict_two(features)
    else:
        out["model"] = model.predict(features)
    out["baseline"] = baseline.predict(audios)
    return out


def annotated_items(task: str, spec: str) -> pd.DataFrame:
    """The items of the annotated set ``spec`` that have a label for ``task``: ``id, path, label``
    (tempo in BPM, or a key name), and the reader's other columns."""
    from ..benchmarks.annotated import read_annotated

    tracks = read_annotated(spec)
    column = "tempo_bpm" if task == "tempo" else "key"
    tracks = tracks.dropna(subset=[column])
    if task == "key":
        tracks = tracks.assign(key=[parse_key(k) for k in tracks["key"]]).dropna(subset=["key"])
    return tracks.rename(columns={"track_id": "id", column: "label"}).reset_index(drop=True)


def window_features(task: str, paths, window_s: float, progress: bool = False, desc: str = "items"):
    """Each recording's first ``window_s`` seconds, ``(audio, sample_rate)``, and the task's front-end of it."""
    from ..audio import load_audio
    from ..progress import progress_bar

    audios, features = [], []
    for path in progress_bar(list(paths), desc=desc, unit="item", progress=progress):
        audio, sr = load_audio(path)
        audio = audio[: int(window_s * sr)]
        audios.append((audio, sr))
        features.append(FEATURES[task](audio, sr))
    return audios, features


def evaluate_task(cfg, model=None, progress: bool = True) -> dict:
    """The model and the baseline on the synthetic validation split and on each annotated real set,
    each with the paired difference between them; with two real sets or more, also on all their
    items pooled (``pooled_real``: every item counts once, so the larger sets weigh more)."""
    from ..data import write_csv
    from ..environment import environment_record

    task = _require_task(cfg)
    record = task_dir(cfg) / "model.json"
    if model is None:
        if not record.is_file():
            raise MissingInput(f"{record} not found: train the {task} model first (helpers.tasks.study.train_task)")
        model = TASK_MODELS.get(model_names(cfg)[0]).load(task_dir(cfg) / "model.pt")
    info = json.loads(record.read_text())
    baseline = TASK_MODELS.get(model_names(cfg)[1])()
    clips = clip_table(cfg).set_index("id")
    val = clips.loc[[i for i in info["val_ids"] if i in clips.index]].reset_index()
    results: dict = {"model": model_names(cfg)[0], "baseline": model_names(cfg)[1],
                     "train_clips": int(info["fingerprint"]["clips"] - len(val)), "best_epoch": info["best_epoch"],
                     "sets": {}}
    sets = [("synthetic_val", val)]
    real_tables: dict[str, pd.DataFrame] = {}  # each real set with items: its labels and both estimates
    for spec in _real_specs(cfg):
        sets.append((spec, annotated_items(task, spec)))
    for name, items in sets:
        if items.empty:
            results["sets"][name] = {"items": 0, "note": "no item with a label for this task"}
            continue
        audios, features = window_features(task, items["path"], cfg.task.window_s, progress, f"{task} {name[:24]}")
        table = _estimate(cfg, model, baseline, items, features, audios)
        extra = None
        if task == "tempo" and "tempo2_bpm" in table and table["tempo2_bpm"].notna().any():
            extra = {"reference2": table["tempo2_bpm"].astype(float).to_numpy(),
                     "weight": table["tempo_weight"].fillna(0.5).astype(float).to_numpy(),
                     "estimate2": table["model2"].to_numpy()}
        results["sets"][name] = _score_set(task, table, extra)
        if task == "key":
            from .metrics import key_category

            table["model_category"] = [key_category(r, e) for r, e in zip(table["label"], table["model"])]
            table["baseline_category"] = [key_category(r, e) for r, e in zip(table["label"], table["baseline"])]
        if name != "synthetic_val":
            real_tables[name] = table[["label", "model", "baseline"]]
        write_csv(table, task_dir(cfg) / f"predictions-{_slug(name)}.csv")
    if len(real_tables) > 1:
        results["pooled_real"] = {**_score_set(task, pd.concat(real_tables.values(), ignore_index=True)),
                                  "sets": list(real_tables)}
    _write_metrics(cfg, task, results, environment_record())
    return results


def _score_set(task: str, table: pd.DataFrame, extra: dict | None = None) -> dict:
    """The model's and the baseline's figures on one set of items (``label``, ``model``,
    ``baseline`` columns), and the paired difference of the headline figure between them."""
    from .metrics import compare

    ref = table["label"].astype(float) if task == "tempo" else table["label"]
    return {"items": len(table), "model": _metrics(task, ref, table["model"], extra),
            "baseline": _metrics(task, ref, table["baseline"]),
            "model_minus_baseline": compare(task, list(ref), list(table["model"]), list(table["baseline"]))}


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")[:60] or "set"


def _write_metrics(cfg, task: str, results: dict, environment: dict) -> None:
    from ..data import write_json

    path = cfg.run_path / "metrics.json"
    metrics = json.loads(path.read_text()) if path.is_file() else {}
    metrics.update({"profile": cfg.profile, task: results, "environment": environment})
    write_json(metrics, path)


def run_task(cfg, progress: bool = True) -> dict:
    model, _ = train_task(cfg, progress)
    return evaluate_task(cfg, model, progress)


def predictions(cfg, name: str = "synthetic_val") -> pd.DataFrame:
    return pd.read_csv(task_dir(cfg) / f"predictions-{_slug(name)}.csv")


__all__ = ["task_dir", "task_settings", "clip_table", "clip_features", "new_model", "train_task", "annotated_items",
           "window_features", "evaluate_task", "run_task",
           "predictions", "tempo_axis"]
