"""The transfer ablation: arms, layer columns, the table, and one tiny arm end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers import ablation as A
from helpers.embedders.musicnn import LAYER_DIMS


def test_layer_columns_cover_the_all_layers_embedding():
    total = sum(LAYER_DIMS[k] for k in A.ALL_LAYERS)
    cols = {k: A.layer_columns(k) for k in A.ALL_LAYERS}
    assert sorted(np.concatenate(list(cols.values())).tolist()) == list(range(total))
    assert len(A.layer_columns("max_pool+mean_pool")) == LAYER_DIMS["max_pool"] + LAYER_DIMS["mean_pool"]


def test_arms_get_their_own_run_folders_and_options():
    cfgs = {name: A.arm_config(name, "smoke", 3, None, root="runs/test-ablation") for name in A.ARMS}
    assert len({c.run_path for c in cfgs.values()}) == len(A.ARMS)
    dry = cfgs["dry, TimGM6mb (before)"].generation.options
    assert dry["stem_fx"] is False and dry["master"] is False and dry["soundfonts"] == "timgm6mb"
    assert cfgs["full - vocals"].generation.options["vocals"] is False
    assert cfgs["full - vocals"].generation.options["stem_fx"] is True
    assert cfgs["full + loudness spread"].generation.loudness_lufs == [-24.0, -9.0]
    assert all(c.embedding.options["representation"] == "+".join(A.ALL_LAYERS) for c in cfgs.values())
    assert cfgs["default + tone spread"].generation.options["tone_spread"] is True
    again, default = cfgs["default, another draw"], cfgs[A.DEFAULT_ARM]  # a replicate: other seeds, same settings
    assert again.seed != default.seed and again.generation.options == default.generation.options
    third = cfgs["default, a third draw"]
    assert len({third.seed, again.seed, default.seed}) == 3 and third.generation.options == default.generation.options
    mtt = cfgs["default, MTT musicnn"]  # an arm may change the embedder's options too
    assert mtt.embedding.options["model"] == "MTT_musicnn" and "model" not in cfgs["full"].embedding.options
    with pytest.raises(KeyError, match="unknown ablation arm"):
        A.arm_config("louder", "smoke")


def test_the_default_arm_is_the_profiles_default_and_full_has_every_ingredient_on():
    from helpers.config import load_config
    from helpers.generators.symbolic.generator import PRODUCTION_DEFAULTS

    def effective(options):
        return {**PRODUCTION_DEFAULTS, "soundfonts": "auto", **options}

    for profile in ("offline", "smoke"):
        assert (effective(A.arm_config(A.DEFAULT_ARM, profile).generation.options)
                == effective(load_config(profile).generation.options))
    full = A.arm_config(A.REFERENCE_ARM, "offline").generation.options
    assert all(full[k] is True for k in ("stem_fx", "master", "vocals", "double_guitars"))


def test_only_a_run_of_every_arm_rewrites_the_committed_table(tmp_path):
    from helpers.config import PROJECT_ROOT

    out, png = A.output_paths(list(A.ARMS))
    assert out == PROJECT_ROOT / "benchmarks" / "results" / "transfer_ablation"
    assert png == PROJECT_ROOT / "docs" / "figures" / "transfer_embeddings.png"
    out, png = A.output_paths(["full", "full - vocals"])  # the README's example
    assert out == PROJECT_ROOT / "runs" / "ablation" / "results" / "transfer_ablation"
    assert png.parent == out.parent and "docs" not in png.parts
    assert A.output_paths(["full"], tmp_path / "t") == (tmp_path / "t", tmp_path / "t_embeddings.png")


def test_summary_table_means_and_spreads():
    rows = {"a": [{"layer": "max_pool", "seed": s, "synthetic_val_accuracy": 0.9, "real_accuracy": acc,
                   "real_macro_f1": 0.5, "recall_Rock": r} for s, (acc, r) in enumerate([(0.6, 0.0), (0.8, 1.0)])]}
    table = A.summarize(rows)
    assert table.loc[0, "real_accuracy"] == pytest.approx(0.7)
    assert table.loc[0, "real_accuracy_sd"] == pytest.approx(0.1)
    assert table.loc[0, "recall_Rock"] == pytest.approx(0.5)
    md = A.markdown_table(table)
    assert "0.700 ± 0.100" in md and "| Rock |" in md.splitlines()[0]
    for r in rows["a"]:
        r["recall_Pop"] = None  # a genre the real set lacks has no recall
    assert A.markdown_table(A.summarize(rows)).splitlines()[2].split(" | ")[-2] == "—"


def test_balanced_recall_leaves_out_genres_with_few_tracks():
    def row(seed, rock, orch, pop):
        return {"layer": "max_pool", "seed": seed, "synthetic_val_accuracy": 0.9, "real_accuracy": 0.5,
                "real_macro_f1": 0.5, "recall_Rock": rock, "recall_Orchestral": orch, "recall_Pop": pop,
                "support_Rock": 4, "support_Orchestral": 3, "support_Pop": 1}

    rows = pd.DataFrame([row(0, 1.0, 0.0, 1.0), row(1, 0.5, 1 / 3, 0.0)])
    assert A.balanced_recall(rows).tolist() == pytest.approx([0.5, 5 / 12])  # Pop (1 track) left out
    assert A.balanced_recall(rows, min_support=5) is None
    table = A.summarize({"a": rows.to_dict("records")})
    assert table.loc[0, "real_balanced_recall"] == pytest.approx(11 / 24)
    assert table.loc[0, "real_balanced_recall_sd"] == pytest.approx(1 / 24)
    md = A.markdown_table(table)
    assert "balanced recall (≥3 tracks)" in md.splitlines()[0] and "| 0.458 ± 0.042 |" in md
    no_support = A.summarize({"b": [{k: v for k, v in r.items() if not k.startswith("support_")}
                                    for r in rows.to_dict("records")]})
    assert "real_balanced_recall" not in no_support and "balanced" not in A.markdown_table(no_support)


def test_intervals_over_tracks_and_the_paired_difference_from_the_reference():
    labels = {f"t{i}": ("Rock" if i < 5 else "Pop") for i in range(10)}
    right = dict(labels)
    wrong_rock = {t: ("Pop" if g == "Rock" else g) for t, g in labels.items()}  # misses the 5 rock tracks

    def rows(pred_by_seed):
        return [{"layer": "max_pool", "seed": s, "synthetic_val_accuracy": 0.9,
                 "real_accuracy": np.mean([p[t] == labels[t] for t in labels]), "real_macro_f1": 0.5,
                 "predicted": p, "label": labels} for s, p in enumerate(pred_by_seed)]

    table = A.summarize({A.REFERENCE_ARM: rows([right, right]), "worse": rows([wrong_rock, right])}, n_boot=500)
    ref, worse = table.iloc[0], table.iloc[1]
    assert ref["real_ci_low"] == ref["real_ci_high"] == 1.0  # every track right under both seeds
    assert worse["real_accuracy"] == pytest.approx(0.75)
    # the 5 rock tracks are right under one seed of two: -0.5 each, -0.25 over the 10 tracks
    assert worse["vs_reference"] == pytest.approx(-0.25)
    assert worse["vs_reference_low"] < -0.25 < worse["vs_reference_high"] <= 0.0
    assert pd.isna(ref["vs_reference"])
    # balanced: Rock -0.5 on each of its 5 tracks, Pop 0 -> (-0.5 + 0) / 2, and no spread to resample
    assert worse["vs_reference_balanced"] == pytest.approx(-0.25)
    assert worse["vs_reference_balanced_low"] == pytest.approx(-0.25) == worse["vs_reference_balanced_high"]
    alone = A.summarize({A.REFERENCE_ARM: rows([right, right])}, n_boot=100)  # the reference by itself
    assert alone.loc[0, "real_ci_low"] == 1.0 and "vs_reference" not in alone
    md = A.markdown_table(table)
    assert "(reference)" in md and "-0.25 [" in md and "95 % CI (tracks)" in md.splitlines()[0]
    assert "balanced vs full [95 % CI]" not in md  # these rows carry no supports: no balanced recall
    assert f"vs {A.REFERENCE_ARM} [95 % CI]" in md.splitlines()[0]
    other = A.summarize({"worse": rows([wrong_rock, right]), "base": rows([right, right])}, reference="base",
                        n_boot=200)
    md = A.markdown_table(other, reference="base")  # the header and the marker name the arm compared with
    assert "vs base [95 % CI]" in md.splitlines()[0] and "| base | max_pool |" in md and "(reference)" in md
    assert "| worse | max_pool | 0.750 ± 0.250 | " in md and "| -0.25 [" in md


def test_one_tiny_arm_end_to_end(tmp_path):
    from helpers.generation import ClipRequest, load_generator

    real = tmp_path / "real"
    gen = load_generator("symbolic", duration_s=12.0, soundfonts="timgm6mb", stem_fx=False, master=False,
                         vocals=False, double_guitars=False, soundfont_per="clip")
    for genre in ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]:
        req = ClipRequest(f"{genre}-r", genre, "", f"A {genre} track.", 777)
        (real / genre.lower()).mkdir(parents=True)
        sf.write(real / genre.lower() / "t.wav", gen.generate_one(req), gen.sample_rate)
    cfg = A.arm_config(A.DEFAULT_ARM, "smoke", 3, str(real), root=tmp_path / "abl",
                       extra={"generation.options": {"soundfonts": "timgm6mb", "soundfont_per": "part"}})
    rows = A.score_arm(cfg, layers=["max_pool", "penultimate"], seeds=2, progress=False)
    assert [(r["layer"], r["seed"]) for r in rows] == [("max_pool", 0), ("max_pool", 1), ("penultimate", 0),
                                                       ("penultimate", 1)]
    assert all(0.0 <= r["real_accuracy"] <= 1.0 and r["support_Rock"] == 1 for r in rows)
    assert all(len(r["predicted"]) == 5 and set(r["predicted"].values()) <= set(cfg.genres) for r in rows)
    assert A.score_arm(cfg, layers=["max_pool", "penultimate"], seeds=2, progress=False) == rows  # cached
    prof = A.audio_profile({"a": cfg}, every=1)
    assert set(prof["set"]) == {"real", "a"} and "all" in set(prof["genre"])
    assert prof[["crest_db", "short_term_range_db"]].notna().all().all()
    tags = A.tag_profile(cfg, top=3)
    assert list(tags["genre"]) == sorted(cfg.genres)
    assert set(tags.columns) == {"genre", "synthetic top", "real top", "real more", "synthetic more"}
    assert all(len(t.split(", ")) == 3 for t in tags["real top"])
    md = A.frame_markdown(tags)
    assert md.splitlines()[0].startswith("| genre | synthetic top") and len(md.splitlines()) == 2 + len(cfg.genres)
    misses = A.missed_tracks(cfg, rows, "max_pool", top=2)
    assert list(misses.columns) == ["track", "label", "called", "seeds wrong", "musicnn hears"]
    for _, m in misses.iterrows():  # each listed track is missed by most seeds, and called something else
        wrong = [r["predicted"][m["track"]] != r["label"][m["track"]] for r in rows if r["layer"] == "max_pool"]
        assert sum(wrong) * 2 > len(wrong) and m["called"] != m["label"] and len(m["musicnn hears"].split(", ")) == 2
    assert len(misses) == sum(sum(r["predicted"][t] != r["label"][t] for r in rows if r["layer"] == "max_pool") > 1
                              for t in rows[0]["label"])
    with pytest.raises(ValueError, match="no scored rows"):
        A.missed_tracks(cfg, rows, "taggram")
    (real / "rock" / "t.wav").rename(real / "rock" / "u.wav")  # another set of real tracks: scored again
    again = A.score_arm(cfg, layers=["max_pool", "penultimate"], seeds=2, progress=False)
    assert sorted(again[0]["predicted"]) != sorted(rows[0]["predicted"]) and len(again[0]["predicted"]) == 5


def _fake_real_benchmark(tmp_path, monkeypatch, tracks):
    """A real benchmark of ``tracks`` ((track id, label, group, centre)) with 2 windows per track whose
    ``max_pool`` columns sit near ``centre`` (a genre's place); the reference reads it as stage 3 wrote it."""
    import helpers.embedding as E
    import helpers.pipeline as P
    from helpers.config import load_config

    rng = np.random.default_rng(0)
    dim = sum(LAYER_DIMS[k] for k in A.ALL_LAYERS)
    X, ids = [], []
    for tid, _, _, centre in tracks:
        for _ in range(2):
            x = rng.normal(0.0, 0.1, dim)
            x[A.layer_columns("max_pool")[:750]] += np.repeat(centre, 150)  # the genre in many columns
            X.append(x)
            ids.append(tid)
    pd.DataFrame([{"track_id": t, "label": lab, "group": g} for t, lab, g, _ in tracks]).to_csv(
        tmp_path / "tracks.csv", index=False)
    monkeypatch.setattr(P, "real_dir", lambda cfg: tmp_path)
    monkeypatch.setattr(E, "load_embeddings", lambda d, name: {"X": np.asarray(X, np.float32), "ids": np.asarray(ids)})
    return load_config("smoke", real_data=str(tmp_path))


def test_the_real_label_reference_leaves_each_artist_out(tmp_path, monkeypatch):
    e, o, r, p = (np.eye(5)[i] * 3.0 for i in range(4))
    tracks = [("e1", "Electronica", "ann", e), ("e2", "Electronica", "ann", e), ("e3", "Electronica", "bob", e),
              ("e4", "Electronica", "bob", r),  # sounds like Rock: a probe that heard real Rock calls it Rock
              ("o1", "Orchestral", "cy", o), ("o2", "Orchestral", "dee", o),
              ("r1", "Rock", "eve", r), ("r2", "Rock", "fay", r), ("r3", "Rock", np.nan, r),  # no artist: its own group
              ("p1", "Pop", "gus", p)]  # the only Pop artist: never in a training fold when it is called
    cfg = _fake_real_benchmark(tmp_path, monkeypatch, tracks)
    rows = A.real_label_reference(cfg, ["max_pool", "penultimate"])
    assert [(x["layer"], x["seed"]) for x in rows] == [("max_pool", 0), ("penultimate", 0)]
    ref = rows[0]
    assert ref["no_other_group"] == ["p1"]
    wrong = sorted(t for t, c in ref["predicted"].items() if c != ref["label"][t])
    assert wrong == ["e4", "p1"] and ref["real_accuracy"] == pytest.approx(0.8)
    assert ref["recall_Rock"] == 1.0 and ref["recall_Electronica"] == 0.75 and ref["recall_Funk"] is None
    assert np.isnan(ref["synthetic_val_accuracy"])
    def drop_nan(rs):
        return [{k: v for k, v in x.items() if k != "synthetic_val_accuracy"} for x in rs]

    assert drop_nan(A.real_label_reference(cfg, ["max_pool"])) == drop_nan(rows[:1])  # deterministic
    table = A.summarize({"syn": [{**ref, "seed": s} for s in range(2)], A.REAL_REFERENCE: rows}, reference="syn")
    md = A.markdown_table(table, "max_pool", reference="syn")
    assert A.REAL_REFERENCE in md and "nan" not in md
    assert "0.800 (one fit)" in md and "0.800 ± 0.000" in md  # the reference has no seeds; the two seeds agree
    misses = A.compare_misses({"syn": [{**ref, "predicted": {**ref["predicted"], "e4": "Electronica", "r1": "Pop"}}],
                               A.REAL_REFERENCE: rows})
    assert list(misses["track"]) == ["e4", "p1", "r1"]
    assert misses.set_index("track").loc["e4"].tolist() == ["Electronica", "✓", "Rock"]
    assert misses.set_index("track").loc["r1"].tolist() == ["Rock", "Pop", "✓"]


def test_the_real_label_reference_needs_two_genres_in_every_fold(tmp_path, monkeypatch):
    e, r = np.eye(5)[0] * 3.0, np.eye(5)[1] * 3.0
    cfg = _fake_real_benchmark(tmp_path, monkeypatch, [("e1", "Electronica", "ann", e), ("r1", "Rock", "bob", r)])
    with pytest.raises(ValueError, match="leaving out group 'ann' leaves fewer than 2 genres"):
        A.real_label_reference(cfg)
