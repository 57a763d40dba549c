"""The tempo or key model's spread over training seeds, for one or more model options.

Trains the task's model on a run's clips (their cached features: run the task's study
first) once per (options, seed), the data fixed, and scores each on the synthetic
validation split and on an annotated real set; the baseline needs no training and is in
the study's metrics. Prints one JSON line per training and the mean and sd per option
set; writes all of it to ``--out``.

    ./synthmir task --profile key --real-data csv:data/keymidi/tracks.csv
    python scripts/task_seeds.py --task key --real-data csv:data/keymidi/tracks.csv    # transpose 0 vs 6
    python scripts/task_seeds.py --task tempo --real-data csv:data/modules-tempo/tracks.csv
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

#: what is compared by default, per task, and the figures reported
OPTION_SETS = {"key": [{"transpose": 0}, {"transpose": 6}], "tempo": [{}]}
FIGURES = {"key": ("weighted_score",), "tempo": ("accuracy1", "accuracy2")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(OPTION_SETS), required=True)
    p.add_argument("--profile", help="default: the task's own (configs/<task>.yaml)")
    p.add_argument("--real-data", required=True, help="an annotated set, e.g. csv:data/keymidi/tracks.csv")
    p.add_argument("--options", type=json.loads, help="a JSON list of model option sets to compare "
                   "(default: key [{\"transpose\": 0}, {\"transpose\": 6}]; tempo [{}], the configured model)")
    p.add_argument("--seeds", default="20231105,1,2", help="training seeds (comma-separated)")
    p.add_argument("--out", help="default: benchmarks/results/<time>-<task>-seeds.json")
    args = p.parse_args(argv)

    from helpers.audio import load_audio
    from helpers.config import load_config
    from helpers.data import write_json
    from helpers.environment import environment_record
    from helpers.tasks.features import FEATURES
    from helpers.tasks.study import _encode, _metrics, annotated_items, clip_features, clip_table, new_model

    task = args.task
    cfg = load_config(args.profile or task)
    if cfg.task.name != task:
        p.error(f"profile {args.profile!r} runs task {cfg.task.name!r}, not {task!r}")
    t = cfg.task
    args.out = args.out or f"benchmarks/results/{time.strftime('%Y%m%d-%H%M%S')}-{task}-seeds.json"
    clips = clip_table(cfg)
    X = clip_features(cfg, clips, progress=False)
    y = [_encode(task, label) for label in clips["label"]]
    real = annotated_items(task, args.real_data)
    ref = real["label"].astype(float).tolist() if task == "tempo" else real["label"].tolist()
    R = []
    for path in real["path"]:
        audio, sr = load_audio(path)
        R.append(FEATURES[task](audio[: int(t.window_s * sr)], sr))
    runs = []
    for options in args.options or OPTION_SETS[task]:
        for seed in [int(s) for s in args.seeds.split(",")]:
            model = new_model(cfg, seed=seed, **options).fit(X, y)
            val = model.val_ids_
            ref_val = [clips["label"][i] for i in val]
            if task == "tempo":
                ref_val = [float(v) for v in ref_val]
            row = {"options": options, "seed": seed, "best_epoch": model.best_epoch_,
                   "synthetic_val": _metrics(task, ref_val, model.predict([X[i] for i in val])),
                   "real": _metrics(task, ref, model.predict(R))}
            runs.append(row)
            print(json.dumps({k: row[k] for k in ("options", "seed", "best_epoch")}
                             | {f"{s} {f}": round(row[s][f], 4) for s in ("synthetic_val", "real")
                                for f in FIGURES[task]}), flush=True)
    summary = {}
    for options in args.options or OPTION_SETS[task]:
        mine = [r for r in runs if r["options"] == options]
        key = json.dumps(options)
        summary[key] = {f"{s} {f}": {"mean": statistics.mean(r[s][f] for r in mine),
                                     "sd": statistics.stdev(r[s][f] for r in mine) if len(mine) > 1 else 0.0}
                        for s in ("synthetic_val", "real") for f in FIGURES[task]}
        print(f"{key}: " + ", ".join(f"{name} {v['mean']:.3f} ± {v['sd']:.3f}" for name, v in summary[key].items()))
    write_json({"task": task, "profile": cfg.profile, "real_data": args.real_data, "clips": len(clips),
                "real_items": len(R), "runs": runs, "summary": summary, "environment": environment_record()},
               args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
