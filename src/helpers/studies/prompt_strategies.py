"""Study 08: prompt strategies.

Four ways to write the prompt for the same clips (same descriptions, same
clip ids and seeds, same count per genre):

``genre``        ``"A {genre} track."``
``paper``        ``"A {genre} track. {description}."`` (the paper's; stage 1's)
``description``  ``"{description}."`` (no genre word)
``rich``         the paper's prompt with the description expanded by explicit
                 instrumentation and tempo drawn from a per-genre tag vocabulary
                 (:data:`TAG_VOCABULARY`), e.g. ``"A Funk track. Laid-back and
                 smooth, rhodes chords over a fat, rubbery bassline, with slap
                 bass, clavinet and congas, at 104 BPM."``

Each strategy has its own run folder ``<run_dir>/studies/prompts/<strategy>``
(its prompts table is written there, then stages 2 and 3 run on it), so clips
of two strategies never mix. The ``description`` column of a strategy's
table is the text a description-reading generator is given: the symbolic
generator reads that column (and the genre, see :func:`heard_by_symbolic`);
MusicGen reads the ``prompt`` column.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Config
from . import common

STRATEGIES = ("genre", "paper", "description", "rich")

PRESETS = {
    "smoke": {"strategy_clips": 3, "seeds": [0, 1]},
    "medium": {"strategy_clips": 100, "seeds": [0, 1, 2]},
    "full": {"strategy_clips": 200, "seeds": [0, 1, 2, 3, 4]},
}

#: per genre: instruments named as the symbolic generator's parser knows them, and a tempo range (BPM)
TAG_VOCABULARY = {
    "Electronica": {"instruments": ["synth bass", "drum machine", "arpeggiator", "synth pads", "plucks",
                                    "808", "acid bassline", "sequencer"], "bpm": (110, 140)},
    "Funk": {"instruments": ["slap bass", "clavinet", "wah guitar", "horn section", "rhodes", "congas",
                             "hammond organ", "tambourine"], "bpm": (90, 118)},
    "Orchestral": {"instruments": ["strings", "french horns", "timpani", "woodwinds", "harp", "brass",
                                   "choir", "cellos"], "bpm": (60, 110)},
    "Pop": {"instruments": ["piano", "acoustic guitar", "synth pads", "bass guitar", "drums", "handclaps",
                            "electric piano", "glockenspiel"], "bpm": (92, 128)},
    "Rock": {"instruments": ["distorted guitars", "bass guitar", "live drums", "lead guitar", "hammond organ",
                             "power chords", "overdriven guitar", "guitar solo"], "bpm": (105, 160)},
}


def resolve_preset(preset: str | None, profile: str, **given) -> dict:
    """strategy_clips and seeds from a preset (see :func:`common.resolve_preset`)."""
    return common.resolve_preset(PRESETS, preset, profile, given)


def expand_description(genre: str, description: str, seed: int, n_instruments: int = 3) -> str:
    """The ``rich`` strategy's text: the description, then ``n_instruments``
    instruments and a tempo drawn (with the clip's seed) from the genre's tag vocabulary."""
    vocab = TAG_VOCABULARY[genre]
    rng = np.random.default_rng([int(seed), 8])
    inst = [str(x) for x in rng.choice(vocab["instruments"], size=n_instruments, replace=False)]
    lo, hi = vocab["bpm"]
    bpm = int(rng.integers(lo, hi + 1))
    listed = ", ".join(inst[:-1]) + f" and {inst[-1]}" if len(inst) > 1 else inst[0]
    return f"{description.strip().rstrip('.')}, with {listed}, at {bpm} BPM"


def strategy_table(base: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """A strategy's prompts table from stage 1's table (same ids, seeds and
    descriptions; other ``prompt`` and generator-facing ``description``)."""
    from ..prompts import make_prompt

    t = base.copy()
    if strategy == "paper":
        return t
    if strategy == "genre":
        t["prompt"] = [f"A {g} track." for g in t["genre"]]
        t["description"] = t["prompt"]  # nothing but the genre for a generator that reads descriptions
    elif strategy == "description":
        t["prompt"] = [d.strip().rstrip(".") + "." for d in t["description"]]
    elif strategy == "rich":
        t["description"] = [expand_description(g, d, s) for g, d, s in zip(t["genre"], t["description"], t["seed"])]
        t["prompt"] = [make_prompt(g, d) for g, d in zip(t["genre"], t["description"])]
    else:
        raise ValueError(f"unknown prompt strategy {strategy!r}; known: {list(STRATEGIES)}")
    return t


def base_table(cfg: Config, clips_per_genre: int) -> tuple[pd.DataFrame, str]:
    """Stage 1's table (the paper's prompts) for ``clips_per_genre``, and the
    digest of the descriptions it was built from."""
    from ..prompts import build_prompts, load_descriptions

    descriptions = load_descriptions(cfg.prompts.descriptions, cfg.genres)
    digest = hashlib.sha256("\n".join(descriptions["genre"] + "\t" + descriptions["description"]).encode()).hexdigest()
    table = build_prompts(descriptions, {g: int(clips_per_genre) for g in cfg.genres}, cfg.seed,
                          cfg.prompts.max_descriptions_per_genre)
    return table, digest


def strategy_config(cfg: Config, strategy: str, clips_per_genre: int) -> Config:
    return common.derive_config(cfg, common.study_dir(cfg, "prompts") / strategy, clips_per_genre=clips_per_genre)


def prepare(cfg: Config, strategies, clips_per_genre: int, progress: bool = True) -> dict[str, tuple[Config, dict]]:
    """Write each strategy's prompts table into its run folder and run stages
    2 and 3 there (reusing the main run's clips where a prompt row is the same)."""
    from ..embedding import load_embedder

    base, _ = base_table(cfg, clips_per_genre)
    out, embedder = {}, None
    for strategy in strategies:
        sub = strategy_config(cfg, strategy, clips_per_genre)
        common.write_prompts(sub, strategy_table(base, strategy), {"strategy": strategy})
        adopted = common.adopt_from(cfg, sub)
        if embedder is None:  # loaded once for every strategy (stage 3 loads it even when done)
            embedder = load_embedder(cfg.embedding.backend, **cfg.embedding.options)
        common.run_stages(sub, progress=progress, prompts=False, embedder=embedder)
        out[strategy] = (sub, adopted)
    return out


# --- what the symbolic generator hears ------------------------------------------------------------

def heard_by_symbolic(table: pd.DataFrame) -> pd.DataFrame:
    """What :func:`helpers.generators.symbolic.parse_description` understands of
    each row's generator-facing text (the ``description`` column, else the prompt).

    Columns: ``id, instruments, mode, tempo_word, bpm, groove, production,
    mood, keywords`` (counts or flags). The genre is not among them: the
    symbolic generator always receives it as a separate input (it picks the
    genre's style tables), whatever the prompt says.
    """
    from ..generators.symbolic import parse_description

    rows = []
    for r in table.itertuples():
        text = r.description if isinstance(r.description, str) and r.description else r.prompt
        h = parse_description(text)
        rows.append({"id": r.id, "instruments": len(h.instruments) + len(h.percussion) + (h.drums is not None),
                     "mode": h.mode is not None, "tempo_word": h.tempo_window is not None, "bpm": h.bpm is not None,
                     "groove": h.drum_pattern is not None or h.swing,
                     "production": h.lofi or h.reverb is not None,
                     "mood": h.epic or h.calm or h.energy != 1.0, "keywords": len(h.keywords)})
    return pd.DataFrame(rows)


def hearing_summary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per strategy: the share of prompts (percent) in which the symbolic
    generator finds each kind of cue, and the mean number of cues."""
    out = []
    for strategy, table in tables.items():
        h = heard_by_symbolic(table)
        row = {"strategy": strategy, "genre (separate input)": 100.0}
        for col in ("instruments", "mode", "tempo_word", "bpm", "groove", "production", "mood"):
            row[col] = round(100 * float((h[col] > 0).mean()), 1)
        row["mean cues"] = round(float(h["keywords"].mean()), 2)
        out.append(row)
    return pd.DataFrame(out).set_index("strategy")


def identical_audio(run_a: Path, run_b: Path) -> float:
    """Share of clip ids whose WAV files are byte-identical in two run folders."""
    from ..data import load_clip_manifest

    a = load_clip_manifest(run_a).set_index("id")["path"]
    b = load_clip_manifest(run_b).set_index("id")["path"]
    common_ids = a.index.intersection(b.index)
    if not len(common_ids):
        return float("nan")

    def digest(p):
        return hashlib.sha256(Path(p).read_bytes()).hexdigest()

    return float(np.mean([digest(a[i]) == digest(b[i]) for i in common_ids]))


# --- the study ---------------------------------------------------------------------------------

@dataclass
class PromptResult:
    long: pd.DataFrame       # one row per (strategy, seed, evaluated item)
    summary: pd.DataFrame    # accuracy per strategy and set, interval, seed spread
    gains: pd.DataFrame      # each strategy minus the paper's, paired on real tracks
    tables: dict             # strategy -> prompts table
    runs: dict               # strategy -> run folder
    adopted: dict            # strategy -> clips/embeddings reused from the main run


def run(cfg: Config, strategies, clips_per_genre: int, seeds, real: common.RealSet | None = None,
        progress: bool = True, n_boot: int = 2000) -> PromptResult:
    """Generate, embed and train ``len(seeds)`` classifiers per strategy;
    score each on its own synthetic validation split and on the real tracks."""
    from tqdm.auto import tqdm

    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategy(ies) {sorted(unknown)}; known: {list(STRATEGIES)}")
    prepared = prepare(cfg, strategies, clips_per_genre, progress=progress)
    cache = common.ResultCache(common.study_dir(cfg, "prompts") / "cache")
    records, longs, tables = [], [], {}
    for strategy, (sub, _) in prepared.items():
        syn = common.load_synthetic(sub, split="description_id")
        tables[strategy] = pd.read_csv(sub.run_path / "prompts" / "prompts.csv")
        key = {"study": "prompts", "strategy": strategy, "data": syn.fingerprint,
               "real": real.fingerprint if real is not None else None, **common.training_key(cfg)}
        recs = []
        for s in tqdm(seeds, desc=f"prompts ({strategy}): train", disable=not progress):
            def compute(s=s, syn=syn):
                clf = common.fit(cfg, syn.X[syn.train], syn.y[syn.train], syn.X[syn.val], syn.y[syn.val], s)
                return common.predictions(clf, syn, real)

            recs.append({"strategy": strategy, "seed": s, "result": cache.get({**key, "seed": s}, compute)})
        longs.append(common.long_table(recs, syn, real))
    long = pd.concat(longs, ignore_index=True)
    summary = common.summarize(long, ["strategy"], n_boot=n_boot, seed=cfg.seed)
    gains = pd.DataFrame()
    if "paper" in strategies:
        real_long = long[long["set"] == "real"]
        if len(real_long):
            gains = common.paired_gain(real_long, ["strategy"], {"strategy": "paper"}, match=[], n_boot=n_boot,
                                       seed=cfg.seed)
    return PromptResult(long, summary, gains, tables, {k: v[0].run_path for k, v in prepared.items()},
                        {k: v[1] for k, v in prepared.items()})


def example_clips(result: PromptResult, ids) -> pd.DataFrame:
    """The clips ``ids`` under every strategy: ``strategy, id, prompt, path`` (for listening)."""
    rows = []
    for strategy, run_path in result.runs.items():
        clips = pd.read_csv(Path(run_path) / "clips" / "metadata.csv").set_index("id")
        for cid in ids:
            rows.append({"strategy": strategy, "id": cid, "prompt": clips.loc[cid, "prompt"],
                         "path": str(Path(run_path) / "clips" / clips.loc[cid, "file_name"])})
    return pd.DataFrame(rows)


def headlines(result: PromptResult) -> dict:
    out = {"accuracy": {}, "gain_over_paper_real": {}}
    for _, r in result.summary.iterrows():
        out["accuracy"].setdefault(r["strategy"], {})[r["set"]] = common.headline(
            result.summary, {"strategy": r["strategy"]}, r["set"])
    for _, r in result.gains.iterrows():
        out["gain_over_paper_real"][r["strategy"]] = {
            "gain": round(100 * r["gain"], 1), "ci95": [round(100 * r["ci_low"], 1), round(100 * r["ci_high"], 1)]}
    real = result.summary[result.summary["set"] == "real"]
    if len(real):
        out["best_real"] = str(real.sort_values("accuracy", ascending=False)["strategy"].iloc[0])
    return out
