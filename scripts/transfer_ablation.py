"""Reproduce the transfer ablation: which production ingredients make symbolic clips train
classifiers that work on real music (README, "What makes symbolic clips transfer").

    ./synthmir ablation --real-data data/realbench-dev          (or:)
    python scripts/transfer_ablation.py --real-data data/realbench-dev [--arms "full (default)" ...]

Each arm is generated, embedded (all musicnn layers) and scored with several classifier seeds
in its own run folder under runs/ablation/ (resumable: a re-run reuses what is done). Writes
the table to benchmarks/results/transfer_ablation.json and .md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from helpers.ablation import ARMS, LAYER_CHOICES, arm_config, markdown_table, score_arm, summarize
from helpers.config import PROJECT_ROOT
from helpers.data import atomic_write_text, write_json


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--real-data", required=True, help="real development set (folder or CSV)")
    p.add_argument("--arms", nargs="*", default=list(ARMS), help=f"arms to run (default all): {list(ARMS)}")
    p.add_argument("--clips-per-genre", type=int, default=100)
    p.add_argument("--seeds", type=int, default=5, help="classifier seeds per layer choice")
    p.add_argument("--layers", nargs="*", default=["max_pool", "penultimate", "max_pool+mean_pool"],
                   help=f"musicnn layer choices to score (any of {list(LAYER_CHOICES)})")
    p.add_argument("--profile", default="offline")
    p.add_argument("--out", default=str(PROJECT_ROOT / "benchmarks" / "results" / "transfer_ablation"))
    p.add_argument("--figure", nargs=2, metavar=("ARM_BEFORE", "ARM_AFTER"),
                   default=["dry, TimGM6mb (before)", "full (default)"],
                   help="two arms whose real and synthetic embeddings are drawn side by side")
    p.add_argument("--figure-layer", default="max_pool")
    a = p.parse_args(argv)
    import torch

    torch.set_num_threads(1)  # small MLPs and 2-core machines: one thread; more only oversubscribes
    unknown = [x for x in a.arms if x not in ARMS]
    if unknown:
        p.error(f"unknown arm(s) {unknown}; known: {list(ARMS)}")
    real = str(Path(a.real_data).expanduser().resolve())
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
    out = Path(a.out)
    write_json({"real_data": Path(real).name, "clips_per_genre": a.clips_per_genre, "seeds": a.seeds,
                "profile": a.profile, "arm_seconds": times, "table": json.loads(table.to_json(orient="records")),
                "rows": rows}, out.with_suffix(".json"))
    atomic_write_text(out.with_suffix(".md"), text + "\n")
    if all(arm in rows for arm in a.figure):
        import matplotlib

        matplotlib.use("Agg")
        from helpers.ablation import plot_arms_embeddings

        png = PROJECT_ROOT / "docs" / "figures" / "transfer_embeddings.png"
        plot_arms_embeddings(a.figure, a.figure_layer, profile=a.profile, clips_per_genre=a.clips_per_genre,
                             real_data=real, path=png)
        print(f"figure: {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
