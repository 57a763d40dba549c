"""Which musicnn layers make the best study embedding? A measured comparison.

Embeds a run's synthetic clips (and real benchmark) once with every layer
(max_pool, mean_pool, penultimate, taggram; each averaged over 3 s patches),
then trains the study's classifier on each candidate subset with the same
split and settings, and reports synthetic-validation and real-track accuracy
(helpers.ablation.score_arm does the work; the transfer ablation scores the
same choices for every production arm).

    python scripts/compare_representations.py --profile offline --real-data data/realbench-dev
"""

from __future__ import annotations

import argparse
import json

from helpers.ablation import ALL_LAYERS, score_arm, summarize
from helpers.config import load_config
from helpers.data import write_json

CANDIDATES = ["max_pool", "mean_pool", "penultimate", "taggram", "max_pool+penultimate",
              "mean_pool+penultimate", "max_pool+mean_pool", "max_pool+mean_pool+penultimate+taggram"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--profile", default="offline")
    p.add_argument("--run-dir")
    p.add_argument("--real-data")
    p.add_argument("--seeds", type=int, default=5, help="classifier seeds to average over")
    a = p.parse_args(argv)
    cfg = load_config(a.profile, {"embedding.options": {"representation": "+".join(ALL_LAYERS)}},
                      run_dir=a.run_dir, real_data=a.real_data)
    rows = score_arm(cfg, CANDIDATES, a.seeds)
    table = summarize({cfg.profile: rows}).drop(columns=["arm"])
    print(table.round(3).to_string(index=False))
    write_json({"profile": cfg.profile, "seeds": a.seeds, "rows": json.loads(table.to_json(orient="records"))},
               cfg.run_path / "representation_comparison.json")


if __name__ == "__main__":
    main()
