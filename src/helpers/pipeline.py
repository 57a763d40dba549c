"""The five stages as functions of a :class:`~helpers.config.Config`, and a CLI.

Notebooks call these (and plot what they return); so does the command line::

    python -m helpers.pipeline prompts  --profile offline
    python -m helpers.pipeline generate --profile paper --shard 3/16
    python -m helpers.pipeline merge    --profile paper
    python -m helpers.pipeline embed    --profile paper --shard 3/16
    python -m helpers.pipeline train    --profile offline
    python -m helpers.pipeline evaluate --profile offline --real-data data/realbench-dev
    python -m helpers.pipeline all --profile offline --real-data mtg-jamendo:/data/mtg-jamendo

Each stage reads only what the stage before it wrote under ``cfg.run_path``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import inspect
import json
import logging
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .config import Config, load_config, parse_overrides
from .data import Stage, load_clip_manifest, merge_shard_manifests, read_json, write_csv, write_json
from .errors import MissingInput, StageError, run_entry

log = logging.getLogger(__name__)


def _locked(stage: str):
    """Run the stage function holding the run folder (see :mod:`helpers.locking`): exclusively,
    or for shard i/n (n > 1) shared, with the shard's own lock. A second writer waits, or stops
    with :class:`~helpers.errors.RunFolderBusy` under ``--no-wait``."""
    def wrap(fn):
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def locked(cfg: Config, *args, **kwargs):
            from .data import parse_shard
            from .locking import stage_lock

            shard = signature.bind(cfg, *args, **kwargs).arguments.get("shard")
            with stage_lock(cfg.run_path, stage, parse_shard(shard)):
                return fn(cfg, *args, **kwargs)
        return locked
    return wrap


def _save_config(cfg: Config) -> None:
    from .data import atomic_write_text

    atomic_write_text(cfg.run_path / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))


# --- 1. prompts -------------------------------------------------------------------------

def prompts_settings(cfg: Config, descriptions: pd.DataFrame | None = None) -> dict:
    """What stage 1's done-marker records: everything that decides the prompts table
    (``descriptions``: the table :func:`helpers.prompts.load_descriptions` gives, read when not given)."""
    from .prompts import clips_per_genre_for_total, load_descriptions

    if descriptions is None:
        descriptions = load_descriptions(cfg.prompts.descriptions, cfg.genres)
    digest = hashlib.sha256("\n".join(descriptions["genre"] + "\t" + descriptions["description"]).encode()).hexdigest()
    per_genre = (clips_per_genre_for_total(cfg.prompts.total_clips, cfg.genres)
                 if cfg.prompts.total_clips else {g: cfg.prompts.clips_per_genre for g in cfg.genres})
    return {"genres": cfg.genres, "clips_per_genre": per_genre, "seed": cfg.seed,
            "descriptions_sha256": digest, "max_descriptions_per_genre": cfg.prompts.max_descriptions_per_genre}


@_locked("prompts")
def run_prompts(cfg: Config) -> pd.DataFrame:
    """Descriptions -> balanced prompts table ``prompts/prompts.csv``."""
    from .prompts import build_prompts, load_descriptions
    from .verify import prompts_problems, prompts_record

    _save_config(cfg)
    stage = Stage(cfg.run_path / "prompts")
    descriptions = load_descriptions(cfg.prompts.descriptions, cfg.genres)
    settings = prompts_settings(cfg, descriptions)
    path = stage.path / "prompts.csv"
    if stage.is_done(settings):
        problems = prompts_problems(stage, path)
        if not problems:
            return pd.read_csv(path)
        log.warning("%s; making the prompts again", problems[0])
    with stage.profile(**settings) as prof:
        table = build_prompts(descriptions, settings["clips_per_genre"], cfg.seed, cfg.prompts.max_descriptions_per_genre)
        write_csv(table, path)
        write_csv(descriptions, stage.path / "descriptions.csv")
        prof["rows"] = len(table)
    stage.mark_done(settings, **prompts_record(path, table))
    return table


def load_prompts(cfg: Config) -> pd.DataFrame:
    from .prompts import validate_prompts

    path = cfg.run_path / "prompts" / "prompts.csv"
    if not path.exists():
        raise MissingInput(f"{path} not found: run stage 1 (01_prompts) first")
    return validate_prompts(pd.read_csv(path), str(path), cfg.genres)


# --- 2. generation -------------------------------------------------------------------------

def _generation_stage_settings(cfg: Config, prompts: pd.DataFrame) -> dict:
    """What the stage-2 done-marker records: the clip settings, the table's size, and a digest of
    its ids, prompts and seeds (a new table with the same ids, e.g. another seed, is not "done")."""
    from .generation import generation_settings

    rows = "\n".join(f"{r.id}\t{r.genre}\t{r.prompt}\t{r.seed}" for r in prompts.itertuples())
    return {**generation_settings(cfg.generation), "prompts": len(prompts),
            "prompts_sha256": hashlib.sha256(rows.encode("utf-8")).hexdigest()}


@_locked("generate")
def run_generation(cfg: Config, shard: str | None = None, progress: bool = True, generator=None) -> pd.DataFrame:
    """Prompts -> ``clips/<Genre>/<id>.wav`` + ``clips/metadata.csv``; resumable, shardable.

    A finished stage is checked before it is trusted (:func:`helpers.verify.clips_problems`):
    clips changed or cut short since are named and made again, the others kept. A run (or a
    shard) that ends with a prompt still without its clip fails, naming it.
    """
    from .data import parse_shard, take_shard
    from .generation import generate_clips
    from .verify import clips_problems, clips_record

    _save_config(cfg)
    prompts = load_prompts(cfg)
    out = cfg.run_path / "clips"
    stage = Stage(out)
    settings = _generation_stage_settings(cfg, prompts)
    i, n = parse_shard(shard)
    if n == 1 and stage.is_done(settings):
        problems = clips_problems(cfg.run_path, cfg.generation.sample_rate, cfg.generation.n_samples, prompts["id"])
        if not problems:
            return load_clip_manifest(cfg.run_path)
        log.warning("stage 2 was done, but %s: making only those again", "; ".join(problems))
        stage.clear_done()
    if generator is None:  # weights, device, versions of this stage and the next, before any clip is made
        from .preflight import require_ready

        require_ready(cfg, stages=("generate", "embed"))
    manifest = generate_clips(prompts, out, cfg.generation, generator=generator, shard=(i, n), progress=progress)
    wanted = take_shard(prompts, (i, n))["id"].astype(str)
    missing = sorted(set(wanted) - set(manifest["id"].astype(str)))
    if missing:
        raise StageError(f"stage 2 made {len(manifest)} of {len(wanted)} clips in {out}; no clip for "
                         f"{', '.join(missing[:8])}{' ...' if len(missing) > 8 else ''}")
    if n == 1:
        stage.mark_done(settings, **clips_record(out, manifest))
    manifest["path"] = [str(out / f) for f in manifest["file_name"]]
    return manifest


@_locked("merge")
def merge_generation(cfg: Config) -> pd.DataFrame:
    """Merge the shards' manifests into ``clips/metadata.csv``; mark the stage
    done when every prompt has a valid clip, else fail naming what is missing."""
    from .verify import bad_clips, clips_record

    prompts = load_prompts(cfg)
    out = cfg.run_path / "clips"
    merged = merge_shard_manifests(out, "metadata")
    missing = sorted(set(prompts["id"].astype(str)) - set(merged["id"].astype(str)))
    bad = bad_clips(out, merged, cfg.generation.sample_rate, cfg.generation.n_samples)
    problems = ([f"{len(missing)} prompt(s) have no clip (first: {missing[0]})"] if missing else []) \
        + ([f"{len(bad)} clip(s) are missing or invalid (first: {bad[0]})"] if bad else [])
    if problems:
        raise StageError(f"merged {len(merged)} clips into {out / 'metadata.csv'}, but {'; '.join(problems)}: run "
                         "the unfinished shards again (the launcher resubmits only those), then merge")
    Stage(out).mark_done(_generation_stage_settings(cfg, prompts), **clips_record(out, merged))
    return merged


# --- 3. embedding ----------------------------------------------------------------------------

def embedding_dir(cfg: Config) -> Path:
    """``embeddings/<backend>`` or, with options, ``embeddings/<backend>-<hash of options>``:
    embeddings made with other settings never share a folder."""
    name = cfg.embedding.backend
    if cfg.embedding.options:
        key = json.dumps(cfg.embedding.options, sort_keys=True)
        name += "-" + hashlib.sha256(key.encode()).hexdigest()[:8]
    return cfg.run_path / "embeddings" / name


def real_dir(cfg: Config) -> Path:
    """Real-benchmark embeddings live in a folder keyed by the benchmark and
    windowing (not by the label map: the same tracks' embeddings are reused)."""
    from .benchmarks import source_key

    ev = cfg.evaluation
    key = f"{source_key(ev.real_data)}|{ev.window_s}|{ev.max_windows}"
    return embedding_dir(cfg) / f"real-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def embedding_settings(cfg: Config) -> dict:
    """What stage 3 records: the embedder and its options (the batch size changes only the speed)."""
    return {"backend": cfg.embedding.backend, "options": dict(cfg.embedding.options)}


@_locked("embed")
def run_embedding(cfg: Config, progress: bool = True, embedder=None, shard: str | None = None) -> dict:
    """Clips (and the real benchmark, when configured) -> embeddings.

    Returns ``{"synthetic": {...}, "real": {...} or None}`` as
    :func:`helpers.embedding.embed_files` returns them; the real entry also
    has ``tracks`` (track_id, path, label, dataset_labels, group, source),
    ``skipped`` and ``summary`` (kind, label map and counts, also written to
    ``real.labels.json``).

    The clips are checked against what stage 2 recorded before anything is
    embedded; a clip that cannot be embedded, or a real benchmark of which no
    track can be, fails the stage, naming the files and why.
    """
    from .data import parse_shard, shard_file_name, take_shard
    from .embedding import clip_keys, embed_files, load_embedder
    from .verify import embeddings_record, require_clips

    _save_config(cfg)
    require_clips(cfg.run_path, cfg.generation.sample_rate, cfg.generation.n_samples, load_prompts(cfg)["id"])
    clips = load_clip_manifest(cfg.run_path)
    out = embedding_dir(cfg)
    stage = Stage(out)
    settings = embedding_settings(cfg)
    stage.check_settings(settings, "embeddings")
    if embedder is None:
        from .preflight import require_ready

        # device and presence here; the embedder's own strict load checks the checkpoint's keys right after,
        # so the 300 MB file is not read twice
        require_ready(cfg, stages=("embed",), keys=False)
        embedder = load_embedder(cfg.embedding.backend, **cfg.embedding.options)
    i, n = parse_shard(shard)
    items = take_shard(clips[["id", "path"]].assign(key=clip_keys(clips)), (i, n))
    name = shard_file_name("synthetic", (i, n), "")
    done_before = n == 1 and stage.is_done(settings) and stage.done_info().get("clips") == len(items)
    # every clip embedded by an earlier run: keep that run's profile (its time and rate), record no new one
    profiling = contextlib.nullcontext({}) if done_before else stage.profile(
        shard_file_name("profile", (i, n), ".json"), backend=embedder.name, clips=len(items), shard=[i, n])
    with profiling as prof:
        synthetic = embed_files(items, out, name, embedder, batch_size=cfg.embedding.batch_size, progress=progress)
        prof["dim"] = int(synthetic["X"].shape[1])
    if len(synthetic["skipped"]):
        first = synthetic["skipped"].iloc[0]
        raise StageError(f"{len(synthetic['skipped'])} generated clip(s) could not be embedded (first: {first['path']}: "
                         f"{first['reason']}); run stage 2 again, which remakes invalid clips, then stage 3")
    result = {"synthetic": synthetic, "real": None}
    if n == 1:
        stage.mark_done(settings, **embeddings_record(out / "synthetic.npz", synthetic))
    if cfg.evaluation.real_data and n == 1:
        result["real"] = _embed_real(cfg, embedder, progress)
    return result


def _embed_real(cfg: Config, embedder, progress: bool) -> dict:
    """The real benchmark's windows -> ``real.npz`` in :func:`real_dir`; fails when no track is usable."""
    from .benchmarks import list_real_tracks
    from .embedding import embed_files, file_keys
    from .verify import embeddings_record

    listed = list_real_tracks(cfg.evaluation.real_data, cfg.genres, cfg.evaluation.label_map)
    tracks, missing = listed.tracks, listed.skipped
    rdir = real_dir(cfg)
    rstage = Stage(rdir)
    rstage.clear_done()
    write_csv(tracks, rdir / "tracks.csv")
    items = tracks.rename(columns={"track_id": "id"})[["id", "path"]]
    real = embed_files(items.assign(key=file_keys(items["path"])), rdir, "real", embedder,
                       batch_size=cfg.embedding.batch_size, window_s=cfg.evaluation.window_s,
                       max_windows=cfg.evaluation.max_windows, progress=progress)
    skipped = pd.concat([missing.rename(columns={"source": "id"}), real["skipped"]], ignore_index=True)
    write_csv(skipped, rdir / "real.skipped.csv")
    summary = listed.summary()
    summary.update(skipped=len(skipped), embedded=int(len(set(real["ids"].tolist()))),
                   unreadable=len(real["skipped"]))
    write_json(summary, rdir / "real.labels.json")
    if not len(real["ids"]):
        raise StageError(no_usable_tracks(cfg.evaluation.real_data, len(tracks), skipped))
    rstage.mark_done({"source": str(cfg.evaluation.real_data), "window_s": cfg.evaluation.window_s,
                      "max_windows": cfg.evaluation.max_windows}, **embeddings_record(rdir / "real.npz", real))
    real.update(tracks=tracks, skipped=skipped, summary=summary)
    return real


def no_usable_tracks(source, listed: int, skipped: pd.DataFrame) -> str:
    """The message of a real benchmark none of whose tracks can be used: what was skipped and why."""
    reasons = skipped["reason"].astype(str).value_counts() if len(skipped) else pd.Series(dtype=int)
    why = "; ".join(f"{count} x {reason}" for reason, count in reasons.head(6).items()) or "nothing listed"
    first = ", ".join(f"{r.path} ({r.reason})" for r in skipped.head(3).itertuples()) if len(skipped) else ""
    return (f"no usable track in the real benchmark {source}: {listed} track(s) of the study's genres listed, "
            f"{len(skipped)} skipped ({why}){': ' + first if first else ''}. Check evaluation.real_data "
            "and evaluation.label_map, or run without a real benchmark")


@_locked("merge")
def merge_embedding(cfg: Config) -> dict:
    """Gather the shards' chunks (``synthetic.shard-*.chunks``) into
    ``synthetic.chunks`` and ``synthetic.npz``, in the clip manifest's order,
    and mark the stage done; refuses (naming what is missing) while a clip has
    no embedding, so training never reads a partial set.

    An unsharded ``run_embedding`` afterwards finds every clip done and embeds
    only the real benchmark. Returns what :func:`helpers.embedding.embed_files` returns.
    """
    from .embedding import adopt_chunks, assemble_chunks, chunk_index, clip_keys
    from .verify import embeddings_record

    clips = load_clip_manifest(cfg.run_path)
    out = embedding_dir(cfg)
    stage = Stage(out)
    settings = embedding_settings(cfg)
    stage.check_settings(settings, "embeddings")
    adopt_chunks(out, "synthetic", sorted(out.glob("synthetic.shard-*.chunks")))
    held = chunk_index(out / "synthetic.chunks")
    missing = [c for c, k in zip(clips["id"].astype(str), clip_keys(clips)) if held.get(c) != k]
    if missing:
        raise StageError(f"{len(missing)} of {len(clips)} clips have no embedding in {out} "
                         f"(first: {missing[0]}): finish the embedding shards, then merge again")
    with np.load(sorted((out / "synthetic.chunks").glob("chunk-*.npz"))[0], allow_pickle=False) as z:
        dim = int(z["X"].shape[1])
    merged = assemble_chunks(out, "synthetic", clips[["id", "path"]], dim)
    stage.mark_done(settings, **embeddings_record(out / "synthetic.npz", merged))
    return merged


# --- 4. training --------------------------------------------------------------------------------

def training_data(cfg: Config) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """The synthetic embeddings, their labels and the train/validation split:
    ``(embeddings, labels, train_idx, val_idx)``."""
    from .embedding import load_embeddings
    from .training import split_train_val
    from .verify import require_embeddings

    manifest = load_clip_manifest(cfg.run_path)
    require_embeddings(embedding_dir(cfg), "synthetic", manifest["id"].astype(str))
    emb = load_embeddings(embedding_dir(cfg), "synthetic")
    clips = manifest.astype({"id": str}).set_index("id").loc[emb["ids"]]
    labels = clips["genre"].to_numpy()
    groups = (clips["genre"] + "|" + clips["description"]).to_numpy() if cfg.training.group_by_description else None
    tr, va = split_train_val(labels, groups, cfg.training.val_fraction, cfg.seed)
    return emb, labels, tr, va


def make_classifier(cfg: Config, seed: int | None = None):
    """The study's classifier, with the ``training`` section's settings."""
    from .training import MLPClassifier

    t = cfg.training
    return MLPClassifier(hidden_units=t.hidden_units, learning_rate=t.learning_rate, batch_size=t.batch_size,
                         max_epochs=t.max_epochs, patience=t.patience, class_weights=t.class_weights,
                         standardize=t.standardize, seed=cfg.seed if seed is None else seed, device=t.device)


#: where stage 4 keeps the classifiers of the other seeds (``training.spread_seeds``), under ``model/``
SPREAD_DIR = "spread"


def training_settings(cfg: Config) -> dict:
    """What stage 4 records: the training section and the seed (split and classifier)."""
    return {**cfg.training.__dict__, "seed": cfg.seed}


@_locked("train")
def run_training(cfg: Config, progress: bool = True):
    """Synthetic embeddings -> classifier ``model/classifier.pt``, ``split.csv``, ``history.csv``.

    With ``training.spread_seeds`` = k, k more classifiers (seeds ``seed + 1`` ... ``seed + k``) are
    trained on the same split and kept in ``model/spread/seed-<i>.pt``; stage 5 scores them beside
    the study's own classifier, for the spread of every figure over classifier seeds.
    """
    from .progress import progress_bar

    _save_config(cfg)
    emb, labels, tr, va = training_data(cfg)
    stage = Stage(cfg.run_path / "model")
    clf = make_classifier(cfg)
    with stage.profile(train=len(tr), val=len(va), dim=int(emb["X"].shape[1])) as prof:
        clf.fit(emb["X"][tr], labels[tr], emb["X"][va], labels[va], classes=cfg.genres, progress=progress)
        prof.update(best_epoch=clf.best_epoch_, stopped_epoch=clf.stopped_epoch_)
    clf.save(stage.path / "classifier.pt")
    spread = stage.path / SPREAD_DIR
    if spread.exists():  # a re-run trains every seed again (same bytes), whatever an earlier run left
        shutil.rmtree(spread)
    for i in progress_bar(range(1, cfg.training.spread_seeds + 1), progress=progress and cfg.training.spread_seeds > 0,
                          desc="train (other seeds)", unit="classifier"):
        other = make_classifier(cfg, seed=cfg.seed + i)
        other.fit(emb["X"][tr], labels[tr], emb["X"][va], labels[va], classes=cfg.genres)
        spread.mkdir(exist_ok=True)
        other.save(spread / f"seed-{i}.pt")
    split = pd.DataFrame({"id": emb["ids"], "label": labels, "split": "train"})
    split.loc[va, "split"] = "val"
    write_csv(split, stage.path / "split.csv")
    write_csv(clf.history_, stage.path / "history.csv")
    from .verify import model_record

    stage.mark_done(training_settings(cfg), best_epoch=clf.best_epoch_, **model_record(stage.path / "classifier.pt"))
    return clf, split


# --- 5. evaluation ----------------------------------------------------------------------------------

@_locked("evaluate")
def run_evaluation(cfg: Config) -> dict:
    """Classifier -> metrics on the synthetic validation split and the real
    benchmark; writes ``evaluation/*.csv`` and ``metrics.json``.

    Returns ``{"metrics": {...}, "val_predictions": DataFrame,
    "real_predictions": DataFrame or None, "real_skipped": DataFrame or None}``.
    """
    from .embedding import load_embeddings
    from .evaluation import classification_metrics, seed_spread_summary, track_scores
    from .training import MLPClassifier
    from .verify import require_embeddings, require_model

    require_model(cfg.run_path / "model")
    clf = MLPClassifier.load(cfg.run_path / "model" / "classifier.pt")
    split = pd.read_csv(cfg.run_path / "model" / "split.csv", dtype={"id": str})
    clips = load_clip_manifest(cfg.run_path).astype({"id": str}).set_index("id")
    require_embeddings(embedding_dir(cfg), "synthetic", clips.index)
    emb = load_embeddings(embedding_dir(cfg), "synthetic")
    val_ids = split.loc[split["split"] == "val", "id"].to_numpy()
    pos = {k: i for i, k in enumerate(emb["ids"])}
    proba = clf.predict_proba(emb["X"][[pos[k] for k in val_ids]])
    val = pd.DataFrame(proba, columns=list(clf.classes_))
    val.insert(0, "id", val_ids)
    val.insert(1, "label", clips.loc[val_ids, "genre"].to_numpy())
    val.insert(2, "predicted", clf.classes_[proba.argmax(1)])
    val["path"] = clips.loc[val_ids, "path"].to_numpy()
    val["prompt"] = clips.loc[val_ids, "prompt"].to_numpy()
    labels = list(clf.classes_)
    from .environment import environment_record

    metrics = {"profile": cfg.profile, "labels": labels,
               "generator": cfg.generation.backend, "embedder": cfg.embedding.backend,
               "train_clips": int((split["split"] == "train").sum()),
               "best_epoch": int(clf.best_epoch_), "stopped_epoch": int(clf.stopped_epoch_),
               "synthetic_val": classification_metrics(val["label"], val["predicted"], labels)}
    out = Stage(cfg.run_path / "evaluation")
    write_csv(val, out.path / "synthetic_val_predictions.csv")
    result = {"val_predictions": val, "real_predictions": None, "real_skipped": None}
    real = tracks = None
    if cfg.evaluation.real_data:
        rdir = real_dir(cfg)
        if not Stage(rdir).done_info():
            last = read_json(rdir / "real.labels.json")  # what stage 3's last pass over this benchmark found
            if last.get("embedded") == 0:
                raise StageError(no_usable_tracks(cfg.evaluation.real_data, len(pd.read_csv(rdir / "tracks.csv")),
                                                  pd.read_csv(rdir / "real.skipped.csv", dtype=str)))
            raise MissingInput(f"no real-benchmark embeddings in {rdir}: run stage 3 (03_embed) "
                               f"with real_data={cfg.evaluation.real_data!r} first")
        require_embeddings(rdir, "real", min_files=1)
        tracks = pd.read_csv(rdir / "tracks.csv", dtype={"track_id": str}).set_index("track_id")
        real = load_embeddings(rdir, "real")
        skipped = pd.read_csv(rdir / "real.skipped.csv", dtype=str)
        scores = track_scores(clf.predict_proba(real["X"]), real["ids"], labels, true_labels=tracks["label"])
        scores["path"] = tracks.loc[scores.index, "path"].to_numpy()
        scores = scores.reset_index()
        metrics["real"] = classification_metrics(scores["label"], scores["predicted"], labels)
        metrics["real"].update(tracks=len(scores), skipped=len(skipped), window_s=cfg.evaluation.window_s,
                               max_windows=cfg.evaluation.max_windows, source=str(cfg.evaluation.real_data))
        labels_json = rdir / "real.labels.json"
        if labels_json.exists():  # kind, label map, and how many tracks it mapped, dropped, skipped
            metrics["real"]["label_map"] = json.loads(labels_json.read_text())
        write_csv(scores, out.path / "real_predictions.csv")
        result.update(real_predictions=scores, real_skipped=skipped)
    spread = _score_spread(cfg, clf, emb, pos, val, real, tracks)
    if spread is not None:
        write_csv(spread, out.path / "seed_spread.csv")
        metrics["seed_spread"] = seed_spread_summary(spread, labels)
    metrics["environment"] = environment_record()  # the exact versions this figure was made with
    write_json(metrics, cfg.run_path / "metrics.json")
    result["metrics"] = metrics
    return result


# --- command line ----------------------------------------------------------------------------------------

def _score_spread(cfg: Config, clf, emb: dict, pos: dict, val: pd.DataFrame, real: dict | None,
                  tracks: pd.DataFrame | None) -> pd.DataFrame | None:
    """The study's classifier and stage 4's other seeds (``model/spread/``) scored alike: one row per
    classifier with ``seed``, ``synthetic_val_accuracy`` and, with a real benchmark, ``real_accuracy``
    and ``recall_<genre>`` (None where the benchmark lacks the genre). None without other seeds."""
    from .evaluation import track_figures
    from .training import MLPClassifier

    saved = sorted((cfg.run_path / "model" / SPREAD_DIR).glob("seed-*.pt"), key=lambda p: int(p.stem[5:]))
    if not saved:
        return None
    X_val = emb["X"][[pos[k] for k in val["id"]]]
    labels = list(clf.classes_)
    rows = []
    for seed, model in [(cfg.seed, clf)] + [(cfg.seed + int(p.stem[5:]), MLPClassifier.load(p)) for p in saved]:
        row = {"seed": seed, "synthetic_val_accuracy": float((model.predict(X_val) == val["label"].to_numpy()).mean())}
        if real is not None:
            figures = track_figures(model.predict_proba(real["X"]), real["ids"], labels, tracks["label"])
            row.update({k: v for k, v in figures.items() if k == "real_accuracy" or k.startswith("recall_")})
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None, prog: str | None = None) -> int:
    """The stages' command line; ``prog`` names it in errors (``./synthmir`` passes its own)."""
    parser = argparse.ArgumentParser(prog="python -m helpers.pipeline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=["prompts", "generate", "merge", "embed", "train", "evaluate", "all"])
    parser.add_argument("--profile", default="offline")
    parser.add_argument("--run-dir")
    parser.add_argument("--clips-per-genre", type=int)
    parser.add_argument("--real-data")
    parser.add_argument("--shard", help="i/n: this worker's share of the clips (generate, embed)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="dotted config override, value parsed as YAML (repeatable)")
    parser.add_argument("--no-wait", action="store_true",
                        help="stop at once if another process is writing the run folder (default: wait for it)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    state: dict = {}

    def go() -> int:
        from .locking import no_wait

        cfg = load_config(args.profile, parse_overrides(args.set), "--set", run_dir=args.run_dir,
                          clips_per_genre=args.clips_per_genre, real_data=args.real_data)
        state["run_path"] = cfg.run_path
        with no_wait(args.no_wait):
            return _run(args, cfg)

    return run_entry(go, f"{prog or 'python -m helpers.pipeline'} {args.stage}", lambda: state.get("run_path"))


def _run(args, cfg: Config) -> int:
    stages = ["prompts", "generate", "embed", "train", "evaluate"] if args.stage == "all" else [args.stage]
    for stage in stages:
        if stage == "prompts":
            print(f"{len(run_prompts(cfg))} prompts in {cfg.run_path / 'prompts'}")
        elif stage == "generate":
            print(f"{len(run_generation(cfg, shard=args.shard))} clips in {cfg.run_path / 'clips'}")
        elif stage == "merge":
            print(f"{len(merge_generation(cfg))} clips listed in {cfg.run_path / 'clips' / 'metadata.csv'}")
        elif stage == "embed":
            res = run_embedding(cfg, shard=args.shard)
            print(f"{len(res['synthetic']['ids'])} synthetic embeddings in {embedding_dir(cfg)}")
        elif stage == "train":
            clf, _ = run_training(cfg)
            print(f"best epoch {clf.best_epoch_}, stopped at {clf.stopped_epoch_}")
        elif stage == "evaluate":
            m = run_evaluation(cfg)["metrics"]
            line = f"synthetic val accuracy {m['synthetic_val']['accuracy']:.3f}"
            if "real" in m:
                line += f"; real accuracy {m['real']['accuracy']:.3f} on {m['real']['tracks']} tracks"
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
