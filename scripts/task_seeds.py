"""The tempo or key model's spread over training seeds, for one or more model options and runs.

Trains the task's model on a run's clips (their cached features: run the task's study
on that run first) once per (run, options, seed), and scores each on the synthetic
validation split and on each annotated real set; the baseline needs no training and is in
the study's metrics. Prints one JSON line per training and the mean and sd per (run,
option set); writes all of it, with each run's generator options, to ``--out``.

    ./synthmir task --profile key --real-data csv:data/keymidi/tracks.csv
    python scripts/task_seeds.py --task key --real-data csv:data/keymidi/tracks.csv    # transpose 0 vs 6
    python scripts/task_seeds.py --task tempo --real-data csv:data/modules-tempo/tracks.csv
    # data made two ways (./synthmir task --run-dir runs/key-tonal --set generation.options.key_modes=tonal ...)
    python scripts/task_seeds.py --task key --run-dir runs/key --run-dir runs/key-tonal --options '[{}]' \
        --real-data csv:data/keymidi/tracks.csv
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

#: what is compared by default, per task, and the figures reported
OPTION_SETS = {"key": [{"transpose": 0}, {"transpose": 6}], "tempo": [{}]}  # of the configured model
FIGURES = {"key": ("weighted_score",), "tempo": ("accuracy1", "accuracy2")}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(OPTION_SETS), required=True)
    p.add_argument("--profile", help="default: the task's own (configs/<task>.yaml)")
    p.add_argument("--real-data", required=True, action="append",
                   help="an annotated set, e.g. csv:data/keymidi/tracks.csv (repeatable)")
    p.add_argument("--run-dir", action="append", help="a run whose clips train the model (repeatable; "
                   "default: the profile's)")
    p.add_argument("--options", type=json.loads, help="a JSON list of model option sets to compare "
                   "(default: key [{\"transpose\": 0}, {\"transpose\": 6}]; tempo [{}], the configured model)")
    p.add_argument("--seeds", default="20231105,1,2", help="training seeds (comma-separated)")
    p.add_argument("--out", help="default: benchmarks/results/<time>-<task>-seeds.json")
    args = p.parse_args(argv)

    from helpers.config import load_config
    from helpers.data import write_json
    from helpers.environment import environment_record
    from helpers.tasks.study import (_encode, _metrics, annotated_items, clip_features, clip_table, new_model,
                                     window_features)

    task = args.task
    cfg = load_config(args.profile or task)
    if cfg.task.name != task:
        p.error(f"profile {args.profile!r} runs task {cfg.task.name!r}, not {task!r}")
    t = cfg.task
    args.out = args.out or f"benchmarks/results/{time.strftime('%Y%m%d-%H%M%S')}-{task}-seeds.json"
    reals = {}
    for spec in args.real_data:
        real = annotated_items(task, spec)
        ref = real["label"].astype(float).tolist() if task == "tempo" else real["label"].tolist()
        reals[spec] = (ref, window_features(task, real["path"], t.window_s)[1])
    option_sets = args.options or OPTION_SETS[task]
    runs, data = [], {}
    for run_dir in args.run_dir or [None]:
        rcfg = load_config(args.profile or task, run_dir=run_dir)
        clips = clip_table(rcfg)
        X = clip_features(rcfg, clips, progress=False)
        y = [_encode(task, label) for label in clips["label"]]
        settings = rcfg.run_path / "clips" / "settings.json"
        data[str(run_dir or rcfg.run_dir)] = {"clips": len(clips), "generation_options": json.loads(
            settings.read_text()).get("options") if settings.is_file() else None}
        for options in option_sets:
            for seed in [int(s) for s in args.seeds.split(",")]:
                # an option set may name another model of the task ({"model": "key-chroma-net", ...})
                model = new_model(rcfg, seed=seed, **options).fit(X, y)
                val = model.val_ids_
                ref_val = [clips["label"][i] for i in val]
                if task == "tempo":
                    ref_val = [float(v) for v in ref_val]
                row = {"run_dir": str(run_dir or rcfg.run_dir), "options": options, "seed": seed,
                       "best_epoch": model.best_epoch_,
                       "synthetic_val": _metrics(task, ref_val, model.predict([X[i] for i in val])),
                       "real": {spec: _metrics(task, ref, model.predict(R)) for spec, (ref, R) in reals.items()}}
                runs.append(row)
                print(json.dumps({k: row[k] for k in ("run_dir", "options", "seed", "best_epoch")}
                                 | {f"synthetic_val {f}": round(row["synthetic_val"][f], 4) for f in FIGURES[task]}
                                 | {f"{spec} {f}": round(m[f], 4) for spec, m in row["real"].items()
                                    for f in FIGURES[task]}), flush=True)
    summary = {}
    for run_dir in data:
        for options in option_sets:
            mine = [r for r in runs if r["options"] == options and r["run_dir"] == run_dir]
            key = f"{run_dir} {json.dumps(options)}"
            figures = [("synthetic_val", f, [r["synthetic_val"][f] for r in mine]) for f in FIGURES[task]]
            figures += [(spec, f, [r["real"][spec][f] for r in mine]) for spec in reals for f in FIGURES[task]]
            summary[key] = {f"{where} {f}": {"mean": statistics.mean(v),
                                             "sd": statistics.stdev(v) if len(v) > 1 else 0.0}
                            for where, f, v in figures}
            print(f"{key}: " + ", ".join(f"{name} {v['mean']:.3f} ± {v['sd']:.3f}" for name, v in summary[key].items()))
    write_json({"task": task, "profile": cfg.profile, "real_data": args.real_data, "data": data,
                "real_items": {spec: len(ref) for spec, (ref, _) in reals.items()}, "runs": runs,
                "summary": summary, "environment": environment_record()}, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
