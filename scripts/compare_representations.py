"""Which musicnn layers make the best study embedding? A measured comparison.

Embeds a run's synthetic clips (and real benchmark) once with every layer
(max_pool, mean_pool, penultimate, taggram; each averaged over 3 s patches),
then trains the study's classifier on each candidate subset with the same
split and settings, and reports synthetic-validation and real-track accuracy.

    python scripts/compare_representations.py --profile offline --real-data data/realbench-dev
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd

from helpers.config import load_config
from helpers.data import write_json
from helpers.embedding import load_embeddings
from helpers.evaluation import classification_metrics, track_scores
from helpers.embedders.musicnn import LAYER_DIMS
from helpers.pipeline import make_classifier, real_dir, run_embedding, training_data

ALL = ["max_pool", "mean_pool", "penultimate", "taggram"]
CANDIDATES = ["max_pool", "mean_pool", "penultimate", "taggram", "max_pool+penultimate",
              "mean_pool+penultimate", "max_pool+mean_pool", "max_pool+mean_pool+penultimate+taggram"]


def columns(rep: str) -> np.ndarray:
    offsets = np.cumsum([0] + [LAYER_DIMS[k] for k in ALL])
    return np.concatenate([np.arange(offsets[ALL.index(k)], offsets[ALL.index(k) + 1]) for k in rep.split("+")])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="offline")
    p.add_argument("--run-dir")
    p.add_argument("--real-data")
    p.add_argument("--seeds", type=int, default=5, help="classifier seeds to average over")
    a = p.parse_args(argv)
    cfg = load_config(a.profile, {"embedding.options": {"representation": "+".join(ALL)}},
                      run_dir=a.run_dir, real_data=a.real_data)
    run_embedding(cfg)
    emb, y, tr, va = training_data(cfg)
    real = tracks = None
    if cfg.evaluation.real_data:
        real = load_embeddings(real_dir(cfg), "real")
        tracks = pd.read_csv(real_dir(cfg) / "tracks.csv", dtype={"track_id": str}).set_index("track_id")
    rows = []
    for rep in CANDIDATES:
        cols = columns(rep)
        accs, real_accs, real_f1 = [], [], []
        for s in range(a.seeds):
            clf = make_classifier(cfg, seed=cfg.seed + s)
            clf.fit(emb["X"][tr][:, cols], y[tr], emb["X"][va][:, cols], y[va], classes=cfg.genres)
            accs.append(clf.score(emb["X"][va][:, cols], y[va]))
            if real is not None:
                sc = track_scores(clf.predict_proba(real["X"][:, cols]), real["ids"], cfg.genres,
                                  true_labels=tracks["label"])
                m = classification_metrics(sc["label"], sc["predicted"], cfg.genres)
                real_accs.append(m["accuracy"])
                real_f1.append(m["macro"]["f1"])
        row = {"representation": rep, "dim": len(cols), "synthetic_val_accuracy": float(np.mean(accs)),
               "synthetic_val_accuracy_sd": float(np.std(accs))}
        if real is not None:
            row.update(real_accuracy=float(np.mean(real_accs)), real_accuracy_sd=float(np.std(real_accs)),
                       real_macro_f1=float(np.mean(real_f1)))
        rows.append(row)
        print(json.dumps(row))
    table = pd.DataFrame(rows)
    print(table.round(3).to_string(index=False))
    write_json({"profile": cfg.profile, "seeds": a.seeds, "train": len(tr), "val": len(va),
                "real_tracks": None if tracks is None else len(set(real["ids"])), "rows": rows},
               cfg.run_path / "representation_comparison.json")


if __name__ == "__main__":
    main()
