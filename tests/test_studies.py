"""The studies beyond the paper (notebooks 06-09): their helpers on small
synthetic data, end to end through the stage functions with a tone generator
and a spectrum embedder, and a papermill smoke run of the four notebooks."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.studies import common, mixing, prompt_strategies, quality, scaling

ROOT = Path(__file__).resolve().parents[1]
GENRES = ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]
STUDY_NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[6-9]_*.ipynb"))


# --- bootstrap and summaries ------------------------------------------------------------------------

def test_bootstrap_interval_covers_the_true_mean_at_about_its_level():
    rng = np.random.default_rng(0)
    p, hits = 0.7, 0
    for rep in range(300):
        x = (rng.random(40) < p).astype(float)
        est, lo, hi = common.bootstrap_ci(x, n_boot=400, seed=rep)
        assert lo <= est <= hi
        hits += lo <= p <= hi
    assert 0.88 <= hits / 300 <= 0.99  # a 95% percentile interval, n = 40


def test_bootstrap_resamples_units_not_items():
    # one unit of 100 items and 9 units of 1: a unit-level bootstrap is wide, an item-level one narrow
    sums = np.array([100.0] + [0.0] * 9)
    counts = np.array([100.0] + [1.0] * 9)
    est, lo, hi = common.bootstrap_ci(sums, counts, n_boot=2000, seed=1)
    assert est == pytest.approx(100 / 109)
    assert lo < 0.5 < 0.9 < hi  # resampling the 109 items alone would give about [0.86, 0.97]


def test_summarize_and_paired_gain():
    rows = []
    for seed in range(3):
        for t in range(20):
            rows.append({"method": "a", "seed": seed, "set": "real", "item": f"t{t}", "unit": f"t{t}",
                         "correct": float(t < 10)})
            rows.append({"method": "b", "seed": seed, "set": "real", "item": f"t{t}", "unit": f"t{t}",
                         "correct": float(t < 15)})
    long = pd.DataFrame(rows)
    s = common.summarize(long, ["method"]).set_index("method")
    assert s.loc["a", "accuracy"] == pytest.approx(0.5) and s.loc["b", "accuracy"] == pytest.approx(0.75)
    assert s.loc["a", "run_sd"] == 0 and s.loc["a", "units"] == 20 and s.loc["a", "runs"] == 3
    assert s.loc["a", "ci_low"] < 0.5 < s.loc["a", "ci_high"]
    g = common.paired_gain(long, ["method"], {"method": "a"}).set_index("method")
    assert g.loc["b", "gain"] == pytest.approx(0.25)
    assert 0 < g.loc["b", "ci_low"] <= 0.25 <= g.loc["b", "ci_high"]


# --- scaling ----------------------------------------------------------------------------------------

def _prompt_table(per_genre=30, descs=7):
    rows = []
    for g in GENRES:
        for i in range(per_genre):
            rows.append({"id": f"{g.lower()}-{i % descs:04d}-{i // descs:02d}", "genre": g,
                         "description_id": i % descs, "take": i // descs})
    return pd.DataFrame(rows)


def test_nested_subsets_are_nested_balanced_and_take_first_takes_first():
    table = _prompt_table()
    ranked = scaling.nested_order(table, seed=5)
    pool = table["id"][table["description_id"] != 6]  # a validation split takes a description out
    subsets = scaling.nested_subsets(ranked, pool, [2, 5, 10, 100])
    for small, large in [(2, 5), (5, 10), (10, 100)]:
        assert set(subsets[small]) <= set(subsets[large])
    first = table.set_index("id").loc[subsets[5]]
    assert (first.groupby("genre").size() == 5).all()
    assert (first["take"] == 0).all()  # 6 descriptions left: five first takes before any second take
    assert set(subsets[100]) == set(pool)  # larger than the pool: all of it
    again = scaling.nested_subsets(scaling.nested_order(table, seed=5), pool, [5])
    assert list(again[5]) == list(subsets[5])


def test_clips_needed_leave_room_for_the_validation_split():
    assert scaling.clips_needed(800, 0.1) >= 800 / 0.9
    assert scaling.resolve_preset("auto", "smoke", sizes=[1], seeds=[0]) == scaling.PRESETS["smoke"]
    assert scaling.resolve_preset("auto", "offline", sizes=[1], seeds=[0]) == {"sizes": [1], "seeds": [0]}
    with pytest.raises(ValueError, match="unknown preset"):
        scaling.resolve_preset("huge", "offline")


def test_plateau_is_the_first_size_after_which_nothing_gains():
    steps = pd.DataFrame({"from": [10, 20, 40], "clips_per_genre": [20, 40, 80], "set": "real",
                          "gain": [0.2, 0.1, 0.0], "ci_low": [0.1, 0.02, -0.05], "ci_high": [0.3, 0.2, 0.05],
                          "units": 10})
    assert scaling.plateau(steps, "real") == 40
    assert scaling.detectable_losses(steps, "real") == []
    steps.loc[2, "ci_low"] = 0.01
    assert scaling.plateau(steps, "real") is None
    steps.loc[1, ["ci_low", "ci_high"]] = [-0.3, -0.01]
    assert scaling.detectable_losses(steps, "real") == [(20, 40)]


# --- mixing -----------------------------------------------------------------------------------------

def _tracks(n_groups=6, per_group=3, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for gi in range(n_groups):
        for t in range(per_group):
            rows.append({"track_id": f"pkg{gi}--t{t}", "label": GENRES[(gi + t * (gi % 2)) % 5], "group": f"pkg{gi}",
                         "path": f"/x/pkg{gi}--t{t}.flac"})
    return pd.DataFrame(rows).sample(frac=1, random_state=int(rng.integers(1000))).reset_index(drop=True)


def test_group_splits_never_share_a_group_and_test_every_track():
    tracks = _tracks()
    splits = mixing.group_splits(tracks, repeats=3, seed=7)
    assert len(splits) >= 2
    group = dict(zip(tracks["track_id"], tracks["group"]))
    for sp in splits:
        assert set(sp["train"]).isdisjoint(sp["test"])
        assert set(sp["train"]) | set(sp["test"]) == set(tracks["track_id"])
        assert {group[t] for t in sp["train"]}.isdisjoint({group[t] for t in sp["test"]})
    by_repeat = {}
    for sp in splits:
        by_repeat.setdefault(sp["repeat"], []).append(sp)
    for pair in by_repeat.values():  # both directions of a 2-fold split
        assert len(pair) in (1, 2)
        if len(pair) == 2:
            assert set(pair[0]["train"]) == set(pair[1]["test"])
    assert len({tuple(sp["test"]) for sp in splits}) == len(splits) == 6  # repeats draw halves not used before
    assert mixing.group_splits(tracks, repeats=3, seed=7) == splits  # deterministic
    with pytest.raises(ValueError, match="at least two"):
        mixing.group_splits(tracks.assign(group="one"), 1, 0)
    two = mixing.group_splits(tracks[tracks["group"].isin(["pkg0", "pkg1"])], repeats=4, seed=0)
    assert len(two) == 2  # two groups: one pair of halves, whatever the repeats


def test_pick_k_is_nested_and_capped_by_what_the_training_side_has():
    tracks = _tracks(n_groups=8, per_group=4)
    train = tracks["track_id"].iloc[::2].tolist()
    k2, k5 = mixing.pick_k(tracks, train, 2, seed=3), mixing.pick_k(tracks, train, 5, seed=3)
    label = dict(zip(tracks["track_id"], tracks["label"]))
    for genre, ids in k5.items():
        assert set(k2[genre]) <= set(ids)
        assert len(ids) == min(5, sum(label[t] == genre for t in train))
        assert all(t in train and label[t] == genre for t in ids)


@pytest.mark.parametrize("dim,n_target", [(4, 50), (6, 200)])
def test_coral_matches_the_target_mean_and_covariance(dim, n_target):
    rng = np.random.default_rng(dim)
    source = rng.normal(size=(300, dim)) @ rng.normal(size=(dim, dim)) + 3.0
    target = rng.normal(size=(n_target, dim)) @ rng.normal(size=(dim, dim)) - 1.0
    aligned = mixing.Coral(eps=0.0).fit(source, target).transform(source)
    np.testing.assert_allclose(aligned.mean(0), target.mean(0), atol=1e-4)
    np.testing.assert_allclose(np.cov(aligned, rowvar=False), np.cov(target, rowvar=False), rtol=1e-3, atol=1e-3)
    assert not np.allclose(np.cov(source, rowvar=False), np.cov(target, rowvar=False), atol=1e-1)


def test_finetuning_changes_only_the_last_layer():
    from helpers.training import MLPClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 6)).astype(np.float32)
    y = np.array(GENRES * 20)
    clf = MLPClassifier(max_epochs=3, seed=0).fit(X, y, X, y, classes=GENRES)
    tuned = mixing.finetune_last_layer(clf, X[:10] + 2, y[:10], epochs=20)
    np.testing.assert_array_equal(tuned.model_[0].weight.detach().numpy(), clf.model_[0].weight.detach().numpy())
    assert not np.allclose(tuned.model_[2].weight.detach().numpy(), clf.model_[2].weight.detach().numpy())


# --- quality ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("fraction", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_drop_worst_drops_that_fraction_of_each_genre_worst_first(fraction):
    rng = np.random.default_rng(1)
    scores = pd.DataFrame({"id": [f"c{i:03d}" for i in range(100)], "genre": np.repeat(GENRES, 20),
                           "bad": rng.random(100)})
    dropped = set(quality.drop_worst(scores, "bad", fraction))
    per_genre = scores[scores["id"].isin(dropped)].groupby("genre").size()
    assert len(dropped) == 5 * round(fraction * 20)
    assert all(per_genre.get(g, 0) == round(fraction * 20) for g in GENRES)
    for g, rows in scores.groupby("genre"):
        kept = rows[~rows["id"].isin(dropped)]
        gone = rows[rows["id"].isin(dropped)]
        if len(gone):
            assert gone["bad"].min() >= kept["bad"].max()
    with pytest.raises(ValueError):
        quality.drop_worst(scores, "bad", 1.0)


def test_duplicate_and_centroid_scores_find_the_planted_clips():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 8))
    y = np.repeat(["a", "b", "c"], 20)
    X[y == "b"] += 4
    X[37] = X[12] + 1e-4  # a near-duplicate, later in order
    X[5] = -X[5] * 6  # an outlier of genre a
    dup = quality.duplicate_score(X, np.arange(60))
    assert dup.argmax() == 37 and dup[37] > 0.99 and dup[12] < 0.99
    cen = quality.centroid_distance(X, y)
    assert cen[y == "a"].argmax() == 5


# --- shared pieces --------------------------------------------------------------------------------

def test_track_groups_prefer_the_group_column_then_the_package_name():
    tracks = pd.DataFrame({"track_id": ["Rock/pkg-a--x.flac", "Rock/pkg-a--y.flac", "Pop/solo.wav", "Pop/z.wav"],
                           "source": ["Rock/pkg-a--x.flac", "Rock/pkg-a--y.flac", "Pop/solo.wav", "Pop/z.wav"],
                           "label": ["Rock", "Rock", "Pop", "Pop"]})
    assert common.track_groups(tracks).tolist() == ["pkg-a", "pkg-a", "Pop/solo.wav", "Pop/z.wav"]
    tracks["group"] = ["artist1", None, "artist2", ""]
    assert common.track_groups(tracks).tolist() == ["artist1", "pkg-a", "artist2", "Pop/z.wav"]


def test_a_csv_benchmark_gives_its_group_column(tmp_path):
    (tmp_path / "b.csv").write_text("path,label,group\nRock/a.flac,Rock,Artist A\nRock/b.flac,Rock,\n")
    tracks = pd.DataFrame({"track_id": ["Rock/a.flac", "Rock/b.flac"], "label": "Rock",
                           "source": ["b.csv:2", "b.csv:3"]})
    groups = common._csv_groups(str(tmp_path / "b.csv"), tracks)
    assert groups.iloc[0] == "Artist A" and pd.isna(groups.iloc[1])
    assert common.track_groups(tracks.assign(group=groups)).tolist() == ["Artist A", "Rock/b.flac"]
    assert common._csv_groups(str(tmp_path), tracks).isna().all()  # a folder benchmark has no such column


def test_result_cache_computes_once_per_key(tmp_path):
    cache = common.ResultCache(tmp_path)
    calls = []
    compute = lambda: calls.append(1) or {"x": len(calls)}  # noqa: E731
    assert cache.get({"a": 1}, compute) == {"x": 1}
    assert common.ResultCache(tmp_path).get({"a": 1}, compute) == {"x": 1}
    assert cache.get({"a": 2}, compute) == {"x": 2}
    assert len(calls) == 2


def test_strategy_tables_share_ids_and_seeds_and_differ_in_prompts():
    from helpers.config import load_config

    cfg = load_config("smoke")
    base, _ = prompt_strategies.base_table(cfg, 6)
    tables = {s: prompt_strategies.strategy_table(base, s) for s in prompt_strategies.STRATEGIES}
    for t in tables.values():
        assert t[["id", "seed", "genre", "description_id"]].equals(base[["id", "seed", "genre", "description_id"]])
    assert tables["paper"]["prompt"].equals(base["prompt"])
    assert (tables["genre"]["prompt"] == [f"A {g} track." for g in base["genre"]]).all()
    assert not any(g in p for g, p in zip(base["genre"], tables["description"]["prompt"]))
    assert tables["rich"]["prompt"].str.contains(r"\d+ BPM").all()
    heard = prompt_strategies.hearing_summary(tables)
    assert heard.loc["genre", "instruments"] == 0 and heard.loc["genre", "bpm"] == 0
    assert heard.loc["rich", "bpm"] == 100 and heard.loc["paper", "bpm"] < 100
    assert heard.loc["rich", "mean cues"] > heard.loc["paper", "mean cues"]
    with pytest.raises(ValueError, match="unknown prompt strategy"):
        prompt_strategies.strategy_table(base, "haiku")


# --- end to end through the stage functions (tone generator, spectrum embedder) -------------------

@pytest.fixture
def tone_config(tmp_path):
    from helpers.config import load_config

    def make(run_dir, clips=8, real_data=None):
        return load_config("smoke", {"generation.backend": "tone", "generation.options": {}, "generation.workers": 1,
                                     "generation.duration_s": 2.0, "embedding.backend": "spectrum",
                                     "embedding.options": {}, "training.max_epochs": 15, "evaluation.window_s": 2.0},
                           run_dir=str(run_dir), clips_per_genre=clips, real_data=real_data)
    return make


def _write_tone_benchmark(folder: Path):
    import soundfile as sf

    from helpers.generation import ClipRequest, load_generator

    gen = load_generator("tone", duration_s=5.0)
    for i, genre in enumerate(GENRES):
        for j in range(3):
            req = ClipRequest(f"{genre}-{j}", genre, "", f"A {genre} track.", 50_000 + 10 * i + j)
            (folder / genre.lower()).mkdir(parents=True, exist_ok=True)
            sf.write(folder / genre.lower() / f"pkg{(i + j) % 3}--{genre.lower()}-{j}.wav",
                     gen.generate_batch([req])[0], gen.sample_rate)
    return folder


def test_adopted_clips_and_embeddings_equal_fresh_ones(tmp_path, tone_config):
    main = tone_config(tmp_path / "main", clips=6)
    common.run_stages(main, progress=False)
    sub = common.derive_config(main, tmp_path / "sub", clips_per_genre=9)
    fresh = common.derive_config(main, tmp_path / "fresh", clips_per_genre=9)
    from helpers.pipeline import run_prompts

    run_prompts(sub), run_prompts(fresh)
    keys = ["id", "genre", "description", "prompt", "seed"]
    same = pd.read_csv(tmp_path / "main" / "prompts" / "prompts.csv")[keys].merge(
        pd.read_csv(tmp_path / "sub" / "prompts" / "prompts.csv")[keys])
    assert len(same) > 0
    adopted = common.adopt_from(main, sub)
    assert adopted == {"clips": len(same), "embeddings": len(same)}
    common.run_stages(sub, progress=False, prompts=False)
    common.run_stages(fresh, progress=False, prompts=False)
    a, b = common.load_synthetic(sub), common.load_synthetic(fresh)
    assert list(a.ids) == list(b.ids)
    np.testing.assert_allclose(a.X, b.X, rtol=1e-5, atol=1e-5)
    wavs = sorted((tmp_path / "sub" / "clips").rglob("*.wav"))
    assert common.adopt_from(main, sub) == adopted  # as recorded: nothing adopted twice into a folder with clips
    assert sorted((tmp_path / "sub" / "clips").rglob("*.wav")) == wavs


def test_write_prompts_refuses_another_table_for_the_same_folder(tmp_path, tone_config):
    cfg = tone_config(tmp_path / "p", clips=6)
    base, _ = prompt_strategies.base_table(cfg, 6)
    common.write_prompts(cfg, base, {"strategy": "paper"})
    common.write_prompts(cfg, base, {"strategy": "paper"})  # the same table again: fine
    bigger, _ = prompt_strategies.base_table(cfg, 200)  # another size: the shared ids keep their rows
    assert len(set(bigger["id"]) & set(base["id"])) > 0
    common.write_prompts(cfg, bigger, {"strategy": "paper"})
    with pytest.raises(RuntimeError, match="holds another description for clip"):
        common.write_prompts(cfg, prompt_strategies.strategy_table(base, "genre"), {"strategy": "paper"})
    with pytest.raises(RuntimeError, match="other settings"):
        common.write_prompts(cfg, base, {"strategy": "rich"})


def test_studies_end_to_end_with_tone_clips_resume_from_their_caches(tmp_path, tone_config):
    real_dir = _write_tone_benchmark(tmp_path / "real")
    cfg = tone_config(tmp_path / "run", clips=8, real_data=str(real_dir))
    syn, real = common.prepare_main(cfg, progress=False)
    assert real is not None and len(real.tracks) == 15 and real.tracks["group"].nunique() == 3

    sc = scaling.run(cfg, [2, 5], [0, 1], real, progress=False, n_boot=200)
    assert set(sc.summary["set"]) == {"val", "real"} and set(sc.summary["clips_per_genre"]) == {2, 5}
    assert (sc.subsets.groupby("clips_per_genre")["train_clips"].sum().to_dict() == {2: 10, 5: 25})
    assert len(sc.steps) == 2 and sc.run_path == cfg.run_path / "studies" / "scaling" / "run"
    assert scaling.study_config(cfg, [2, 4])[0] is cfg  # the main run has enough clips for these sizes

    mx = mixing.run(cfg, syn, real, ks=[0, 1, 2], repeats=1, seeds=[0], progress=False, n_boot=200,
                    finetune_epochs=5)
    assert set(mx.summary["method"]) == set(mixing.METHODS)
    assert mx.summary.loc[mx.summary["method"] == "generated", "k"].tolist() == [0]
    for sp, rows in mx.splits.groupby("split"):
        assert set(rows.loc[rows["side"] == "train", "group"]).isdisjoint(rows.loc[rows["side"] == "test", "group"])
    tested = mx.long.groupby("split")["item"].apply(set)
    test_side = mx.splits[mx.splits["side"] == "test"].groupby("split")["track_id"].apply(set)
    assert all(tested[s] <= test_side[s] for s in tested.index)

    ql = quality.run(cfg, syn, real, fractions=[0.0, 0.25], seeds=[0], folds=2, progress=False, n_boot=200)
    n_train = len(syn.train)
    assert len(ql.scores) == n_train and set(quality.SCORERS) <= set(ql.scores.columns)
    per_genre = pd.Series(syn.y[syn.train]).value_counts()
    expected = int(sum(round(0.25 * n) for n in per_genre))
    assert ql.dropped.groupby("scorer").size().to_dict() == {s: expected for s in quality.SCORERS}

    pr = prompt_strategies.run(cfg, ["genre", "paper"], 8, [0], real, progress=False, n_boot=200)
    assert set(pr.summary["strategy"]) == {"genre", "paper"}
    assert pr.adopted["paper"]["clips"] == 40  # the main run's own prompts: every clip reused
    assert len(pr.gains) == 1

    # a second run recomputes nothing: every trained classifier comes from the caches
    before = {p: p.stat().st_mtime_ns for p in (cfg.run_path / "studies").rglob("cache/*.json")}
    sc2 = scaling.run(cfg, [2, 5], [0, 1], real, progress=False, n_boot=200)
    pd.testing.assert_frame_equal(sc.summary, sc2.summary)
    mixing.run(cfg, syn, real, ks=[0, 1, 2], repeats=1, seeds=[0], progress=False, n_boot=200, finetune_epochs=5)
    after = {p: p.stat().st_mtime_ns for p in (cfg.run_path / "studies").rglob("cache/*.json")}
    assert after == before


def test_genre_only_prompts_are_split_by_description_not_by_their_one_text(tmp_path, tone_config):
    # 10 validation folds, and every genre-only clip of a genre shares one "description" text
    cfg = tone_config(tmp_path / "run", clips=10)
    cfg.training.val_fraction = 0.1
    common.run_stages(cfg, progress=False)
    res = prompt_strategies.run(cfg, ["genre", "paper"], 10, [0], None, progress=False, n_boot=50)
    genre, paper = (common.load_synthetic(prompt_strategies.strategy_config(cfg, s, 10), split="description_id")
                    for s in ("genre", "paper"))
    assert list(genre.ids[genre.val]) == list(paper.ids[paper.val])  # the same clips held out
    assert set(res.summary["strategy"]) == {"genre", "paper"}


def test_studies_without_real_data_still_run(tmp_path, tone_config):
    cfg = tone_config(tmp_path / "run", clips=8)
    syn, real = common.prepare_main(cfg, progress=False)
    assert real is None
    sc = scaling.run(cfg, [2, 4], [0], None, progress=False, n_boot=100)
    assert set(sc.summary["set"]) == {"val"}
    ql = quality.run(cfg, syn, None, fractions=[0.0, 0.2], seeds=[0], folds=2, scorers=["random", "centroid"],
                     progress=False, n_boot=100)
    assert set(ql.summary["set"]) == {"val"}


# --- the notebooks -------------------------------------------------------------------------------

def test_study_notebooks_have_one_parameters_cell_and_no_outputs():
    import nbformat

    assert [p.stem for p in STUDY_NOTEBOOKS] == ["06_scaling", "07_mixing", "08_prompts", "09_quality"]
    for path in STUDY_NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells
                   if c.cell_type == "code"), path
        for name in ("profile", "run_dir", "real_data", "seeds", "preset"):
            assert re.search(rf"^{name} = ", tagged[0].source, re.M), (path, name)


@pytest.mark.slow
def test_smoke_run_of_the_study_notebooks(tmp_path, monkeypatch):
    import papermill as pm

    from helpers.config import load_config
    from helpers.generation import ClipRequest, load_generator
    from helpers.reports import render_html
    import soundfile as sf

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # a tiny "real" benchmark: 12 s symbolic tracks (unseen seeds) from three "packages"
    real = tmp_path / "real"
    gen = load_generator("symbolic", duration_s=12.0)
    for i, genre in enumerate(GENRES):
        reqs = [ClipRequest(f"{genre}-{j}", genre, "a test track", f"A {genre} track.", 20_000 + 10 * i + j)
                for j in range(2)]
        for j, (r, audio) in enumerate(zip(reqs, gen.generate_batch(reqs))):
            (real / genre.lower()).mkdir(parents=True, exist_ok=True)
            sf.write(real / genre.lower() / f"pkg{(i + j) % 3}--{r.id.lower()}.wav", audio, gen.sample_rate)

    run_dir = tmp_path / "run"
    params = {"profile": "smoke", "run_dir": str(run_dir), "real_data": str(real), "progress": False}
    for nb in STUDY_NOTEBOOKS:
        out = tmp_path / nb.name
        pm.execute_notebook(str(nb), str(out), cwd=str(ROOT / "notebooks"), kernel_name="python3",
                            parameters=params, progress_bar=False)
        html = render_html(out, tmp_path / f"{nb.stem}.html")
        text = html.read_text()
        assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', text)) >= 1, nb.stem
    studies = run_dir / "studies"
    for name in ("scaling", "mixing", "prompts", "quality"):
        summary = pd.read_csv(studies / name / "summary.csv")
        assert {"accuracy", "ci_low", "ci_high", "run_sd"} <= set(summary.columns), name
        assert ((summary["ci_low"] <= summary["accuracy"]) & (summary["accuracy"] <= summary["ci_high"])).all(), name
        assert "real" in set(summary["set"]), name
        assert json.loads((studies / name / "headlines.json").read_text()), name
    assert (tmp_path / "09_quality.html").read_text().count("data:audio/mpeg;base64,") >= 3
    assert (tmp_path / "08_prompts.html").read_text().count("data:audio/mpeg;base64,") >= 4
    cfg = load_config("smoke", run_dir=str(run_dir))
    assert len(list((cfg.run_path / "clips").rglob("*.wav"))) == 30
