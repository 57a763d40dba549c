"""What transposition buys the key CNN: ``task.options.transpose`` values x training seeds.

Trains the key CNN on a key run's clips (their cached features: run the key study
first) once per (transpose, seed), the data fixed, and scores each on the synthetic
validation split and on an annotated real set, beside nothing else: the baseline needs
no training and is in the study's metrics. Prints one JSON line per training and the
mean and sd per value; writes all of it to ``--out``.

    ./synthmir task --profile key --real-data csv:data/keymidi/tracks.csv
    python scripts/key_transposition.py --real-data csv:data/keymidi/tracks.csv
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="key")
    p.add_argument("--real-data", required=True, help="an annotated set, e.g. csv:data/keymidi/tracks.csv")
    p.add_argument("--transpose", default="0,6", help="values to compare (comma-separated)")
    p.add_argument("--seeds", default="20231105,1,2", help="training seeds (comma-separated)")
    p.add_argument("--out", default=f"benchmarks/results/{time.strftime('%Y%m%d-%H%M%S')}-key-transposition.json")
    args = p.parse_args(argv)

    from helpers.audio import load_audio
    from helpers.benchmarks.annotated import read_annotated
    from helpers.config import load_config
    from helpers.data import write_json
    from helpers.environment import environment_record
    from helpers.tasks.features import key_features
    from helpers.tasks.labels import parse_key
    from helpers.tasks.metrics import key_metrics
    from helpers.tasks.models import KeyCNN
    from helpers.tasks.study import _encode, clip_features, clip_table

    cfg = load_config(args.profile)
    t = cfg.task
    clips = clip_table(cfg)
    X = clip_features(cfg, clips, progress=False)
    y = [_encode("key", label) for label in clips["label"]]
    real = read_annotated(args.real_data).dropna(subset=["key"])
    ref = [parse_key(k) for k in real["key"]]
    R = []
    for path in real["path"]:
        audio, sr = load_audio(path)
        R.append(key_features(audio[: int(t.window_s * sr)], sr))
    runs = []
    for transpose in [int(v) for v in args.transpose.split(",")]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            options = {**t.options, "transpose": transpose}
            model = KeyCNN(learning_rate=t.learning_rate, batch_size=t.batch_size, max_epochs=t.max_epochs,
                           patience=t.patience, val_fraction=t.val_fraction, seed=seed, **options).fit(X, y)
            val = model.val_ids_
            row = {"transpose": transpose, "seed": seed, "best_epoch": model.best_epoch_,
                   "synthetic_val": key_metrics([clips["label"][i] for i in val], model.predict([X[i] for i in val])),
                   "real": key_metrics(ref, model.predict(R))}
            runs.append(row)
            print(json.dumps({k: row[k] for k in ("transpose", "seed", "best_epoch")}
                             | {s: round(row[s]["weighted_score"], 4) for s in ("synthetic_val", "real")}), flush=True)
    summary = {}
    for transpose in sorted({r["transpose"] for r in runs}):
        mine = [r for r in runs if r["transpose"] == transpose]
        summary[str(transpose)] = {s: {"mean": statistics.mean(r[s]["weighted_score"] for r in mine),
                                       "sd": statistics.stdev(r[s]["weighted_score"] for r in mine) if len(mine) > 1
                                       else 0.0} for s in ("synthetic_val", "real")}
        print(f"transpose {transpose}: " + ", ".join(f"{s} {v['mean']:.3f} ± {v['sd']:.3f}"
                                                    for s, v in summary[str(transpose)].items()))
    write_json({"profile": args.profile, "real_data": args.real_data, "clips": len(clips), "real_items": len(R),
                "runs": runs, "summary": summary, "environment": environment_record()}, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
