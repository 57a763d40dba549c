"""Tempo and key: exact annotations of symbolic clips, the spreads, the models, baselines and metrics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GENRES = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")


def _performed(genre, seed, **kw):
    from helpers.generators.symbolic.annotate import annotate
    from helpers.generators.symbolic.arrange import arrange
    from helpers.generators.symbolic.perform import perform

    a = arrange(genre, "a track", seed, **kw)
    midi, owners = perform(a, 10.0)
    ja, _, labels = annotate(a, 10.0, midi, owners)
    return a, midi, ja, labels


# --- 1. the annotations are the score's facts ------------------------------------------------------

def test_beats_are_the_grid_the_drums_play_on():
    """Every kick and snare note of a straight clip lies on the 16th grid of the annotated beats,
    within the humanisation the style allows (Gaussian, clipped at 2 sigma)."""
    from helpers.generators.symbolic.styles import style_for

    checked = 0
    for genre in GENRES:
        for seed in range(6):
            a, midi, ja, labels = _performed(genre, seed, tempo_spread="wide")
            beats = ja.search(namespace="beat")[0].data
            times = np.array([o.time for o in beats])
            assert np.allclose(np.diff(times), 60.0 / a.tempo)  # the tempo annotation's own beat period
            assert [o.value for o in beats[:8]] == [1, 2, 3, 4, 1, 2, 3, 4]  # downbeats every bar (4/4)
            assert labels["tempo_bpm"] == a.tempo and labels["time_signature"] == "4/4"
            if a.swing:
                continue
            grid = (times[:, None] + np.arange(4)[None] * (60.0 / a.tempo) / 4).ravel()
            allowed = 2 * style_for(a.genre, a.variant).humanize_ms / 1000 + 1e-6
            for inst in midi.instruments:
                if inst.is_drum:
                    for note in inst.notes:
                        if note.pitch in (35, 36, 38, 40) and note.start < times[-1]:
                            assert np.abs(grid - note.start).min() <= allowed, (genre, seed, note)
                            checked += 1
    assert checked > 100


def test_the_key_is_what_the_notes_say():
    """The annotated key's scale holds the notes, and a key-profile estimate on the notes' pitch-class
    histogram finds the annotated tonic far above chance (1/12)."""
    from helpers.generators.symbolic.theory import MODE_SCALES
    from helpers.tasks.baselines import profile_key
    from helpers.tasks.labels import key_index

    shares, tonic_hits, n = [], 0, 0
    for genre in GENRES:
        for seed in range(8):
            a, midi, ja, labels = _performed(genre, seed, key_spread="uniform")
            tonic, mode = ja.search(namespace="key_mode")[0].data[0].value.split(":")
            assert mode == a.mode
            pcs = np.zeros(12)
            for inst in midi.instruments:
                if not inst.is_drum:
                    for note in inst.notes:
                        pcs[note.pitch % 12] += note.end - note.start
            scale = [(a.key + d) % 12 for d in MODE_SCALES[a.mode]]
            shares.append(pcs[scale].sum() / pcs.sum())
            tonic_hits += key_index(profile_key(pcs)) % 12 == key_index(labels["key"]) % 12
            n += 1
    assert min(shares) >= 0.8 and np.mean(shares) >= 0.95
    assert tonic_hits / n >= 0.6, tonic_hits / n


def test_chords_and_instruments_are_annotated_in_the_fields_syntax():
    import jams

    a, midi, ja, labels = _performed("Pop", 3)
    ja.validate()  # every namespace's schema (Harte chords, key_mode, beats, tempo)
    chords = ja.search(namespace="chord")[0].data
    assert chords[0].duration == pytest.approx(60.0 / a.tempo * a.beats_per_chord)
    tags = [o.value for o in ja.search(namespace="tag_open")[0].data]
    assert any(t.startswith("Drums/") for t in tags) == (a.drum_kit is not None)
    assert len(tags) >= len({p.name for p in a.parts})
    assert isinstance(ja, jams.JAMS)


# --- 2. the spreads ----------------------------------------------------------------------------------

def test_uniform_keys_cover_all_24_evenly_and_wide_tempi_span_the_benchmarks_range():
    from scipy.stats import chisquare

    from helpers.generators.symbolic.arrange import arrange
    from helpers.tasks.labels import key_index
    from helpers.generators.symbolic.annotate import key_family
    from helpers.generators.symbolic.theory import NOTE_NAMES

    keys, tempi = [], []
    for seed in range(480):
        for genre in GENRES[seed % 5:seed % 5 + 1]:
            a = arrange(genre, "a track", seed, key_spread="uniform", tempo_spread="wide")
            keys.append(key_index(f"{NOTE_NAMES[a.key]} {key_family(a.mode)}"))
            tempi.append(a.tempo)
    counts = np.bincount(keys, minlength=24)
    assert (counts > 0).all() and chisquare(counts).pvalue > 0.001, counts
    assert min(tempi) >= 60 and max(tempi) <= 200 and max(tempi) - min(tempi) > 110


def test_a_named_key_or_tempo_wins_and_the_default_draws_are_untouched():
    from helpers.generators.symbolic.arrange import arrange
    from helpers.generators.symbolic.describe import named_key

    assert named_key("slow, in F# minor") == (6, "minor") and named_key("in E flat major") == (3, "major")
    assert named_key("a major hit") is None
    a = arrange("Funk", "slap bass, in Bb minor at 104 BPM", 7, key_spread="uniform", tempo_spread="wide")
    assert a.key == 10 and a.mode in ("minor", "dorian", "phrygian") and a.tempo == 104.0
    for seed in range(10):  # the spreads draw from their own stream: everything else stays
        plain, spread = arrange("Rock", "guitars", seed).summary(), arrange("Rock", "guitars", seed,
                                                                               key_spread="uniform").summary()
        for k in ("key", "mode", "key_name", "progression", "progression_roman", "beats_per_chord"):
            plain.pop(k), spread.pop(k)
        assert plain == spread


def test_tonal_chords_keep_to_the_major_or_minor_scale():
    from helpers.generators.symbolic.theory import MODE_SCALES, parse_roman, roman_symbol, tonal_chord

    for token in ("I", "ii7", "bVII9", "V7/1", "iv/1", "IV9", "i9", "bVI5", "viio7", "iiø7", "Imaj7"):
        c = parse_roman(token)
        back = parse_roman(roman_symbol(c.root, c.quality, c.inversion))
        assert (back.root, back.quality, back.inversion) == (c.root, c.quality, c.inversion), token
    assert tonal_chord(parse_roman("I7"), "major").symbol == "Imaj7"  # the flat seventh becomes the leading tone
    assert tonal_chord(parse_roman("IV9"), "major").quality == "maj9"
    assert tonal_chord(parse_roman("bVII5"), "major") is None  # a root off the scale is dropped
    assert tonal_chord(parse_roman("V7"), "minor").quality == "7"  # the harmonic minor's dominant
    assert tonal_chord(parse_roman("IV"), "minor").quality == "sus4"  # dorian's major IV loses its third
    for family in ("major", "minor"):
        for token in ("I", "ii", "iii", "IV", "V7", "vi", "i7", "bIII", "bVI", "bVII9", "IV9", "I13"):
            c = tonal_chord(parse_roman(token), family)
            if c is not None:
                allowed = set(MODE_SCALES[family]) | ({11} if family == "minor" and c.root in (7, 11) else set())
                assert set(c.pitch_classes(0)) <= allowed, (family, token, c)
    with pytest.raises(ValueError, match="family"):
        tonal_chord(parse_roman("I"), "dorian")


def test_tonal_key_modes_play_major_and_minor_harmony_and_change_nothing_else():
    from helpers.generators.symbolic.arrange import arrange
    from helpers.generators.symbolic.theory import MODE_SCALES

    modes = set()
    for genre in GENRES:
        for seed in range(12):
            a, midi, ja, labels = _performed(genre, seed, key_spread="uniform", key_modes="tonal")
            assert a.mode in ("major", "minor")
            modes.add(a.mode)
            allowed = {(a.key + d) % 12 for d in MODE_SCALES[a.mode]} | ({(a.key + 11) % 12} if a.mode == "minor"
                                                                          else set())
            for c in a.progression:
                assert set(c.pitch_classes(a.key)) <= allowed, (genre, seed, c)
            style = arrange(genre, "a track", seed, key_spread="uniform").summary()
            tonal = a.summary()
            assert tonal["key"] == style["key"]
            for k in ("key", "mode", "key_name", "progression", "progression_roman", "beats_per_chord"):
                tonal.pop(k), style.pop(k)
            assert tonal == style  # the same parts, sounds, drums and tempo: only the harmony is tonal
    assert modes == {"major", "minor"}
    with pytest.raises(ValueError, match="key_modes"):
        arrange("Pop", "a track", 1, key_modes="modal")


def test_solo_texture_plays_the_full_clips_melody_alone_in_the_same_key():
    from helpers.generators.symbolic.arrange import arrange

    kinds = set()
    for genre in GENRES:
        for seed in range(8):
            a, midi, ja, labels = _performed(genre, seed, key_spread="uniform", key_modes="tonal", texture="solo")
            full = arrange(genre, "a track", seed, key_spread="uniform", key_modes="tonal")
            assert len(a.parts) == 1 and a.parts[0].role in ("vocal", "lead") and a.drum_kit is None
            assert a.section_change == "none" and a.percussion == ()
            melody = [q for q in full.parts if q.role == a.parts[0].role]
            if melody:  # the full clip's own line
                assert (melody[0].program, melody[0].pattern) == (a.parts[0].program, a.parts[0].pattern)
            kinds.add("own" if melody else "drawn")
            assert (a.key, a.mode, a.tempo, a.progression) == (full.key, full.mode, full.tempo, full.progression)
            notes = [n for inst in midi.instruments if not inst.is_drum for n in inst.notes]
            assert not any(inst.is_drum and inst.notes for inst in midi.instruments)
            assert len({(inst.program, inst.is_drum) for inst in midi.instruments if inst.notes}) == 1
            assert notes and min(n.start for n in notes) < 1.0 and max(n.end for n in notes) > 8.0
            _, _, _, full_labels = _performed(genre, seed, key_spread="uniform", key_modes="tonal")
            assert labels == full_labels  # tempo, key, mode and metre: the same labels
    assert kinds == {"own", "drawn"}
    mixed = [arrange("Pop", "a track", s, texture="mixed") for s in range(20)]
    assert {len(m.parts) == 1 and m.drum_kit is None for m in mixed} == {True, False}
    for s, m in enumerate(mixed):  # each clip is exactly its solo or its full twin
        twin = arrange("Pop", "a track", s, texture="solo" if m.drum_kit is None and len(m.parts) == 1 else "full")
        assert m.summary() == twin.summary()
    with pytest.raises(ValueError, match="texture"):
        arrange("Pop", "a track", 1, texture="duo")


# --- 3. the generation stage writes them ------------------------------------------------------------

def test_generated_clips_carry_jams_midi_and_label_columns(tmp_path):
    from helpers import pipeline
    from helpers.config import load_config

    cfg = load_config("key", {"prompts.clips_per_genre": 1, "generation.workers": 1,
                              "generation.duration_s": 4.0}, run_dir=str(tmp_path / "run"))
    pipeline.run_prompts(cfg)
    manifest = pipeline.run_generation(cfg, progress=False)
    assert manifest["key"].notna().all() and manifest["tempo_bpm"].notna().all()
    for row in manifest.itertuples():
        folder = cfg.run_path / "clips"
        assert (folder / row.annotation).is_file() and (folder / row.midi).is_file()
    # a clip adopted after a kill (on disk, not listed) gets its labels back from its JAMS
    csv = cfg.run_path / "clips" / "metadata.csv"
    table = pd.read_csv(csv)
    table.iloc[1:].to_csv(csv, index=False)
    (cfg.run_path / "clips" / ".done").unlink(missing_ok=True)
    again = pipeline.run_generation(cfg, progress=False)
    cols = ["id", "tempo_bpm", "key", "key_mode", "annotation", "midi"]
    pd.testing.assert_frame_equal(again[cols].sort_values("id").reset_index(drop=True),
                                  manifest[cols].sort_values("id").reset_index(drop=True))


# --- 4. metrics, baselines, models -------------------------------------------------------------------

def test_a_kill_between_the_models_save_and_its_record_never_pairs_old_settings_with_new_weights(tmp_path,
                                                                                               monkeypatch):
    import torch

    from helpers import data, pipeline
    from helpers.config import load_config
    from helpers.tasks import study

    def cfg_with(lr):
        return load_config("key", {"prompts.clips_per_genre": 2, "generation.workers": 1, "generation.duration_s": 4.0,
                                   "task.max_epochs": 2, "task.learning_rate": lr}, run_dir=str(tmp_path / "run"))

    a, b = cfg_with(0.01), cfg_with(0.5)
    pipeline.run_prompts(a)
    pipeline.run_generation(a, progress=False)
    model_a, _ = study.train_task(a, progress=False)
    weights = {k: v.clone() for k, v in model_a.net.state_dict().items()}

    real_write = data.atomic_write_text

    def killed(path, text):
        if Path(path).name == "model.json":
            raise KeyboardInterrupt("killed after the model's save")
        return real_write(path, text)

    monkeypatch.setattr(data, "atomic_write_text", killed)
    with pytest.raises(KeyboardInterrupt):
        study.train_task(b, progress=False)  # model.pt now holds b's weights, model.json is gone
    monkeypatch.undo()
    again, _ = study.train_task(a, progress=False)
    assert all(torch.equal(weights[k], v) for k, v in again.net.state_dict().items())
    assert json.loads((study.task_dir(a) / "model.json").read_text())["fingerprint"]["settings"]["learning_rate"] == 0.01


def test_tempo_metrics_count_octave_errors_only_in_accuracy2():
    from helpers.tasks.metrics import tempo_metrics

    m = tempo_metrics([120, 120, 120, 90, 100], [121, 240, 60, 30, 150])
    assert m["accuracy1"] == pytest.approx(1 / 5) and m["accuracy2"] == pytest.approx(4 / 5)
    assert m["accuracy2_ci"][0] < 0.8 < m["accuracy2_ci"][1]


def test_key_metrics_are_mirex_weighted():
    from helpers.tasks.metrics import key_category, key_metrics

    ref = ["C major", "C major", "C major", "C major", "C major"]
    est = ["C major", "G major", "A minor", "C minor", "F# major"]
    m = key_metrics(ref, est)
    assert m["weighted_score"] == pytest.approx((1 + 0.5 + 0.3 + 0.2 + 0) / 5)
    assert m["breakdown"] == {"correct": 1, "fifth": 1, "relative": 1, "parallel": 1, "other": 1}
    assert key_category("A# minor", "Bb minor") == "correct"


def test_model_and_baseline_are_compared_item_by_item_with_a_paired_interval():
    import pandas as pd

    from helpers.tasks.metrics import item_scores, paired_difference
    from helpers.tasks.report import results_table
    from helpers.tasks.study import _score_set

    assert list(item_scores("tempo", [120, 120, 90], [240, 100, 91])) == [1.0, 0.0, 1.0]
    d = paired_difference(np.array([1.0, 1.0, 0.5, 0.0]), np.array([1.0, 0.2, 0.5, 0.3]))
    assert d["difference"] == pytest.approx((0.8 - 0.3) / 4) and (d["model_better"], d["baseline_better"]) == (1, 1)
    assert d["difference_ci"][0] < d["difference"] < d["difference_ci"][1]
    # the same items scored twice: the paired interval is a point, though each side's own interval is wide
    same = _score_set("key", pd.DataFrame({"label": ["C major", "A minor"] * 5, "model": ["C major", "C major"] * 5,
                                           "baseline": ["C major", "C major"] * 5}))
    assert same["model_minus_baseline"] == {"metric": "weighted_score", "items": 10, "difference": 0.0,
                                            "difference_ci": [0.0, 0.0], "model_better": 0, "baseline_better": 0}
    a = pd.DataFrame({"label": ["C major"] * 4, "model": ["C major"] * 4, "baseline": ["G major"] * 4})
    b = pd.DataFrame({"label": ["D minor"] * 2, "model": ["F major"] * 2, "baseline": ["D minor"] * 2})
    results = {"model": "m", "baseline": "b", "sets": {"a": _score_set("key", a), "b": _score_set("key", b)},
               "pooled_real": _score_set("key", pd.concat([a, b], ignore_index=True))}
    assert results["pooled_real"]["model_minus_baseline"]["difference"] == pytest.approx((4 * 0.5 - 2 * 0.7) / 6)
    table = results_table(results, "key").set_index(["set", "estimator"])
    assert table.loc[("a", "m"), "model − baseline"] == "+0.500 [+0.500, +0.500]"
    assert table.loc[("b", "m"), "model − baseline"].startswith("-0.700")
    assert table.loc[("all real sets, pooled", "m"), "items"] == 6 and table.loc[("a", "b"), "model − baseline"] == ""


def test_two_ablation_arms_are_compared_on_the_same_items_and_never_on_different_ones(tmp_path):
    from types import SimpleNamespace

    from helpers.errors import StageError
    from helpers.tasks.report import arm_difference
    from helpers.tasks.study import _slug, task_dir

    def arm(folder, estimates):
        cfg = SimpleNamespace(run_path=tmp_path / folder, task=SimpleNamespace(name="tempo"))
        task_dir(cfg).mkdir(parents=True)
        for name, est in estimates.items():
            pd.DataFrame({"id": [f"t{i}" for i in range(len(est))], "label": [100.0] * len(est), "model": est}
                         ).to_csv(task_dir(cfg) / f"predictions-{_slug(name)}.csv", index=False)
        return cfg

    sets = {"synthetic_val": {"items": 3}, "csv:a.csv": {"items": 4}}
    full = arm("full", {"synthetic_val": [1, 2, 3], "csv:a.csv": [100, 200, 50, 77]})
    own = arm("own", {"synthetic_val": [9], "csv:a.csv": [100, 100, 61, 100]})
    table = arm_difference(full, own, {"sets": sets})
    assert list(table["set"]) == ["csv:a.csv"]  # each arm's synthetic split is its own: not paired
    row = table.iloc[0]
    assert row["accuracy2: difference [95 % CI]"].startswith("+0.000") and (row["items better"], row["items worse"]) == (1, 1)
    short = arm("short", {"csv:a.csv": [100, 100, 61]})
    with pytest.raises(StageError, match="different items"):
        arm_difference(full, short, {"sets": sets})


def test_the_baselines_find_a_plain_key_and_a_click_tempo():
    from helpers.tasks.baselines import KeyProfile, LibrosaTempo

    sr = 22050
    t = np.arange(int(sr * 8)) / sr
    chord = lambda *f: sum(np.sin(2 * np.pi * x * t) for x in f)  # noqa: E731
    # I - IV - V - I in D major
    parts = [chord(293.7, 370.0, 440.0), chord(392.0, 493.9, 587.3), chord(440.0, 554.4, 659.3), chord(293.7, 370.0, 440.0)]
    n = len(t) // 4
    audio = np.concatenate([p[:n] for p in parts]).astype(np.float32) * 0.1
    assert KeyProfile().predict([(audio, sr)]) == ["D major"]
    clicks = np.zeros(int(sr * 10), dtype=np.float32)
    for b in np.arange(0, 10, 0.5):
        clicks[int(b * sr):int(b * sr) + 100] = np.hanning(100)
    assert LibrosaTempo().predict([(clicks, sr)])[0] == pytest.approx(120, rel=0.04)


def test_the_tempo_front_end_peaks_at_the_tempo():
    from helpers.tasks.features import tempo_features
    from helpers.tasks.labels import tempo_axis

    sr = 32000
    clicks = np.zeros(sr * 10, dtype=np.float32)
    for b in np.arange(0, 10, 60 / 132):
        clicks[int(b * sr):int(b * sr) + 300] = np.random.default_rng(0).standard_normal(300)
    f = tempo_features(clicks, sr)
    assert f.shape == (5, 256)
    peaks = tempo_axis()[np.argsort(f[0])[-3:]]
    assert np.any(np.abs(peaks - 132) <= 0.04 * 132)


@pytest.mark.parametrize("name", ["key-cnn", "key-chroma-net", "tempo-cnn"])
def test_the_task_cnns_learn_save_and_reload(tmp_path, name):
    """On separable toy data: the model learns, is deterministic for a seed, and reloads bit for bit."""
    from helpers.tasks import TASK_MODELS

    rng = np.random.default_rng(0)
    cls = TASK_MODELS.get(name)
    if name == "key-cnn":
        X = [rng.standard_normal((120, 20)).astype(np.float32) for _ in range(48)]
        y = [i % 2 for i in range(48)]
        for x, label in zip(X, y):
            x[10 + 40 * label] += 6.0
    elif name == "key-chroma-net":  # a log-magnitude CQT is never negative
        X = [rng.random((120, 20)).astype(np.float32) for _ in range(48)]
        y = [i % 2 for i in range(48)]
        for x, label in zip(X, y):
            x[10 + 40 * label] += 6.0
    else:
        X = [rng.random((5, 256)).astype(np.float32) * 0.1 for _ in range(48)]
        y = [100 + 40 * (i % 2) for i in range(48)]
        for x, label in zip(X, y):
            x[:, label] += 1.0
    a = cls(max_epochs=30, patience=30, seed=1, learning_rate=3e-3).fit(X, y)
    b = cls(max_epochs=30, patience=30, seed=1, learning_rate=3e-3).fit(X, y)
    pa = a.predict_proba(X)
    assert np.array_equal(pa, b.predict_proba(X))
    assert (pa.argmax(1) == np.array(y)).mean() >= 0.9
    a.save(tmp_path / "m.pt")
    assert np.array_equal(cls.load(tmp_path / "m.pt").predict_proba(X), pa)


def test_key_transposition_moves_the_spectrum_and_the_key_together():
    """A CQT moved k semitones up is the same notes k semitones higher, and its key moves with it, mode kept."""
    from helpers.tasks.features import KEY_BINS_PER_OCTAVE
    from helpers.tasks.labels import KEYS
    from helpers.tasks.models import KeyCNN, transpose_cqt, transpose_key

    per = KEY_BINS_PER_OCTAVE // 12
    x = np.zeros((120, 4), np.float32)
    x[20] = 1.0
    assert np.argmax(transpose_cqt(x, 3)[:, 0]) == 20 + 3 * per
    assert np.argmax(transpose_cqt(x, -5)[:, 0]) == 20 - 5 * per
    assert np.array_equal(transpose_cqt(x, 0), x)
    assert not transpose_cqt(x, 60).any()  # moved off the top: silence, not wrapped round
    assert KEYS[transpose_key(KEYS.index("A minor"), 3)] == "C minor"
    assert KEYS[transpose_key(KEYS.index("B major"), 1)] == "C major"
    assert KEYS[transpose_key(KEYS.index("C major"), -1)] == "B major"
    # in training: each example and its label move by the same draw, and the draws repeat for a seed
    X = [x.copy() for _ in range(64)]
    y = np.full(64, KEYS.index("C major"))
    xs, ys = KeyCNN(transpose=6)._augment(X, y, np.random.default_rng(3))
    steps = [(np.argmax(a[:, 0]) - 20) // per for a in xs]
    assert [KEYS[transpose_key(KEYS.index("C major"), k)] for k in steps] == [KEYS[c] for c in ys]
    assert set(steps) == set(range(-6, 7))
    again, _ = KeyCNN(transpose=6)._augment(X, y, np.random.default_rng(3))
    assert all(np.array_equal(a, b) for a, b in zip(xs, again))
    same, same_y = KeyCNN()._augment(X, y, np.random.default_rng(3))  # off by default
    assert same is X and same_y is y


def test_the_learnt_key_profile_follows_the_tonic_exactly():
    """Notes moved k semitones (every octave, every bin) move each key's score to the key k above."""
    import torch

    from helpers.tasks.labels import KEYS
    from helpers.tasks.models import KeyChromaNet, transpose_key

    rng = np.random.default_rng(4)
    x = rng.random((120, 16)).astype(np.float32)
    model = KeyChromaNet(seed=2, hidden=8)
    model.net = model._build()
    model.net.eval()
    with torch.no_grad():
        base = model.net(model._batch([x]))[0].numpy()
        for k in (1, 5, 7):
            moved = np.roll(x.reshape(5, 24, 16), 2 * k, axis=1).reshape(120, 16)  # circular within each octave
            scores = model.net(model._batch([moved]))[0].numpy()
            for i in range(24):
                assert scores[transpose_key(i, k)] == pytest.approx(base[i], abs=1e-5), (k, KEYS[i])
    with pytest.raises(ValueError, match="whole octaves"):
        KeyChromaNet(bins=100)._build()


def test_the_task_names_its_models_and_refuses_genre(tmp_path):
    from helpers.config import load_config
    from helpers.errors import StageError
    from helpers.tasks.study import clip_table, model_names, task_settings

    assert model_names(load_config("tempo")) == ("tempo-cnn", "librosa-tempo")
    assert model_names(load_config("key")) == ("key-chroma-net", "key-profile")
    assert task_settings(load_config("key"))["name"] == "key"
    with pytest.raises(StageError, match="genre runs through stages 3-5"):
        clip_table(load_config("offline", run_dir=str(tmp_path)))


def test_musicgen_prompts_carry_requested_tempo_and_key_marked_as_such():
    from helpers.generation import ClipRequest
    from helpers.generators.musicgen import MusicGenGenerator, build_tiny_musicgen

    model, processor = build_tiny_musicgen()
    gen = MusicGenGenerator.from_model(model, processor, duration_s=0.5, device="cpu", dtype="fp32")
    ja, midi, labels = gen.annotate(ClipRequest("a", "Rock", "", "A Rock track. Loud, at 128 BPM, in E minor.", 1))
    assert midi is None and labels == {"tempo_bpm": 128.0, "key": "E minor", "key_mode": "minor"}
    assert ja.sandbox.synthmir["requested"] is True
    assert all("not verified" in a.annotation_metadata.data_source for a in ja.annotations)
    assert gen.annotate(ClipRequest("b", "Rock", "", "A Rock track. Loud guitars.", 1)) is None
