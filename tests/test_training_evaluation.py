import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from helpers.evaluation import (beside_paper, classification_metrics, intervals_table, seed_spread_summary,
                                spread_table, table1, track_figures, track_scores, wilson_interval)
from helpers.training import MLPClassifier, balanced_class_weights, split_train_val

LABELS = ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]


def blobs(n_per_class=60, dim=12, sep=3.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, sep, size=(len(LABELS), dim))
    X = np.concatenate([c + rng.normal(size=(n_per_class, dim)) for c in centres]).astype(np.float32)
    y = np.repeat(LABELS, n_per_class)
    return X, y


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.choice(LABELS, size=97)
    y_pred = np.where(rng.random(97) < 0.6, y_true, rng.choice(LABELS[:4], size=97))  # Rock never predicted
    m = classification_metrics(y_true, y_pred, LABELS)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=LABELS, zero_division=0)
    for i, l in enumerate(LABELS):
        assert m["per_class"][l]["precision"] == pytest.approx(p[i])
        assert m["per_class"][l]["recall"] == pytest.approx(r[i])
        assert m["per_class"][l]["f1"] == pytest.approx(f[i])
        assert m["per_class"][l]["support"] == s[i]
    assert m["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert m["confusion"] == confusion_matrix(y_true, y_pred, labels=LABELS).tolist()
    t = table1(m)
    assert t.loc["Accuracy", "Precision"] == pytest.approx(round(100 * m["accuracy"], 1))


def test_track_scores_average_windows():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    s = track_scores(proba, ["a", "a", "b", "a"], ["X", "Y"])
    assert list(s.index) == ["a", "b"]
    assert s.loc["a", "X"] == pytest.approx(1.7 / 3) and s.loc["a", "predicted"] == "X"
    assert s.loc["b", "predicted"] == "Y" and s.loc["a", "n_windows"] == 3


def test_classifier_learns_and_matches_the_paper_architecture():
    X, y = blobs()
    tr, va = split_train_val(y, None, 0.1, seed=0)
    clf = MLPClassifier(learning_rate=1e-3, max_epochs=100, seed=0).fit(X[tr], y[tr], X[va], y[va], classes=LABELS)
    layers = list(clf.model_)
    assert layers[0].out_features == 128 and type(layers[1]).__name__ == "ReLU" and layers[2].out_features == 5
    assert clf.score(X[va], y[va]) > 0.9
    p = clf.predict_proba(X[:3])
    assert p.shape == (3, 5) and np.allclose(p.sum(1), 1, atol=1e-5)


def test_early_stopping_restores_the_best_epoch():
    # pure noise: validation loss soon stops improving
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 16)).astype(np.float32)
    y = rng.choice(LABELS, size=300)
    clf = MLPClassifier(learning_rate=1e-2, max_epochs=200, patience=5, seed=0)
    clf.fit(X[:250], y[:250], X[250:], y[250:], classes=LABELS)
    h = clf.history_
    assert clf.stopped_epoch_ < 200
    assert clf.stopped_epoch_ == clf.best_epoch_ + 5  # exactly `patience` epochs without improvement
    assert h["val_loss"].idxmin() + 1 == clf.best_epoch_
    assert (h["val_loss"].iloc[clf.best_epoch_:] >= h["val_loss"].min()).all()
    # the weights in use are the best epoch's, not the last epoch's
    import torch
    with torch.no_grad():
        Xv = torch.from_numpy(clf._scale(X[250:]))
        yv = torch.tensor(clf._encode(y[250:]))
        loss = torch.nn.functional.cross_entropy(clf.model_(Xv), yv).item()
    assert loss == pytest.approx(h["val_loss"].min(), rel=1e-5)


def test_classifier_is_deterministic_and_round_trips(tmp_path):
    X, y = blobs(30)
    tr, va = split_train_val(y, None, 0.2, seed=0)
    a = MLPClassifier(max_epochs=20, seed=3).fit(X[tr], y[tr], X[va], y[va])
    b = MLPClassifier(max_epochs=20, seed=3).fit(X[tr], y[tr], X[va], y[va])
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
    a.save(tmp_path / "m.pt")
    c = MLPClassifier.load(tmp_path / "m.pt")
    assert np.allclose(a.predict_proba(X), c.predict_proba(X))
    assert c.best_epoch_ == a.best_epoch_


def test_class_weights_and_errors():
    w = balanced_class_weights(np.array([0, 0, 0, 1]), 2)
    assert w.tolist() == pytest.approx([4 / 6, 2.0])
    X, y = blobs(10)
    with pytest.raises(ValueError, match="validation split"):
        MLPClassifier().fit(X, y)
    clf = MLPClassifier(max_epochs=2).fit(X, y, X, y)
    with pytest.raises(ValueError, match=r"expected X of shape \(n, 12\)"):
        clf.predict(X[:, :5])


def test_group_split_keeps_descriptions_on_one_side():
    y = np.repeat(LABELS, 40)
    groups = np.array([f"{l}-{i // 2}" for l in LABELS for i in range(40)])  # two takes per description
    tr, va = split_train_val(y, groups, 0.1, seed=0)
    assert not set(groups[tr]) & set(groups[va])
    assert set(y[va]) == set(LABELS)
    assert 0.05 < len(va) / len(y) < 0.2


def test_training_does_not_depend_on_memory_layout():
    X, y = blobs(20)
    tr, va = split_train_val(y, None, 0.2, seed=0)
    a = MLPClassifier(max_epochs=15, seed=1).fit(X[tr], y[tr], X[va], y[va])
    cols = np.arange(X.shape[1])
    Xt = X[tr][:, cols]  # column fancy-indexing: same numbers, Fortran order
    assert not Xt.flags["C_CONTIGUOUS"]
    b = MLPClassifier(max_epochs=15, seed=1).fit(Xt, y[tr], X[va][:, cols], y[va])
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X[:, cols]))


def test_wilson_intervals_of_small_counts():
    assert wilson_interval(2, 2) == pytest.approx((0.3424, 1.0), abs=1e-4)  # 2 of 2 right is no certainty
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(0, 5)[1] == pytest.approx(0.4345, abs=1e-4)
    assert wilson_interval(40, 50) == pytest.approx((0.6696, 0.8876), abs=1e-4)
    assert wilson_interval(0, 0) is None
    narrow, wide = wilson_interval(92, 100), wilson_interval(92, 100, level=0.99)
    assert wide[0] < narrow[0] < 0.92 < narrow[1] < wide[1]


def test_metrics_carry_intervals_over_items_and_the_tables_show_them():
    y_true = ["a"] * 8 + ["b"] * 2
    y_pred = ["a"] * 6 + ["b"] * 2 + ["b", "a"]
    m = classification_metrics(y_true, y_pred, ["a", "b", "c"])
    assert m["accuracy_ci"] == pytest.approx(wilson_interval(7, 10))
    assert m["per_class"]["a"]["recall_ci"] == pytest.approx(wilson_interval(6, 8))
    assert m["per_class"]["b"]["recall_ci"] == pytest.approx(wilson_interval(1, 2))
    assert m["per_class"]["c"]["recall_ci"] is None  # absent from the benchmark: no recall, no interval
    t = intervals_table(m)
    assert list(t.index) == ["a", "b", "c", "Accuracy"]
    lo, hi = wilson_interval(6, 8)
    assert t.loc["a", "recall [95 % CI]"] == f"75.0 % [{100 * lo:.1f}, {100 * hi:.1f}]" and t.loc["a", "right"] == 6
    assert t.loc["c", "recall [95 % CI]"] == "—" and t.loc["Accuracy", "right"] == 7 and t.loc["Accuracy", "support"] == 10
    side = beside_paper({"synthetic_val": m, "real": m})
    assert side.loc["real-track accuracy", "paper"] == "92.0 % [85.0, 95.9]"
    assert side.loc["synthetic validation accuracy", "paper"] == "84.6 %"  # the paper gives no count to bound it
    assert side.loc["real-track accuracy", "this run [95 % CI]"].startswith("70.0 % [")
    assert list(beside_paper({"synthetic_val": m}).index) == ["synthetic validation accuracy"]


def test_the_spread_over_classifier_seeds():
    rows = pd.DataFrame({"seed": [7, 8, 9], "synthetic_val_accuracy": [0.9, 1.0, 0.95],
                         "real_accuracy": [0.7, 0.8, 0.9], "recall_a": [0.5, 1.0, 0.75], "recall_b": [None] * 3})
    s = seed_spread_summary(rows, ["a", "b"])
    assert s["seeds"] == [7, 8, 9] and s["recall"]["b"] is None
    assert s["real_accuracy"] == pytest.approx({"mean": 0.8, "sd": np.std([0.7, 0.8, 0.9]), "min": 0.7, "max": 0.9})
    t = spread_table({"seed_spread": s})
    assert t.columns.name == "3 classifier seeds"
    assert t.loc["real-track accuracy", "mean ± sd"] == "80.0 ± 8.2 %" and t.loc["real-track accuracy", "range"] == "70.0-90.0 %"
    assert t.loc["recall b", "mean ± sd"] == "—" and t.loc["recall a", "range"] == "50.0-100.0 %"
    only_val = seed_spread_summary(rows[["seed", "synthetic_val_accuracy"]], ["a", "b"])
    assert "real_accuracy" not in only_val and list(spread_table({"seed_spread": only_val}).index) == [
        "synthetic validation accuracy"]
    assert spread_table({}) is None  # one seed only


def test_spread_seeds_must_be_a_whole_number():
    from helpers.config import ConfigError, load_config

    assert load_config("offline").training.spread_seeds == 4 and load_config("smoke").training.spread_seeds == 1
    with pytest.raises(ConfigError, match=r"training.spread_seeds \(from overrides training.spread_seeds=-1\): "
                                          r"-1 is out of range; allowed: >= 0"):
        load_config("smoke", {"training.spread_seeds": -1})
    with pytest.raises(ConfigError, match="training.spread_seeds .*expected an integer, got 1.5"):
        load_config("smoke", {"training.spread_seeds": 1.5})


def test_track_figures_average_windows_then_score_the_tracks():
    proba = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.3, 0.7, 0.0], [0.6, 0.4, 0.0], [0.1, 0.9, 0.0]])
    truth = pd.Series({"a": "X", "b": "Y", "c": "X"})
    f = track_figures(proba, ["a", "a", "b", "a", "c"], ["X", "Y", "Z"], truth)
    assert f["predicted"] == {"a": "X", "b": "Y", "c": "Y"} and f["label"] == {"a": "X", "b": "Y", "c": "X"}
    m = classification_metrics(["X", "Y", "X"], ["X", "Y", "Y"], ["X", "Y", "Z"])
    assert f["real_accuracy"] == pytest.approx(2 / 3) and f["real_macro_f1"] == pytest.approx(m["macro"]["f1"])
    assert (f["recall_X"], f["recall_Y"], f["recall_Z"]) == (0.5, 1.0, None)
    assert (f["support_X"], f["support_Y"], f["support_Z"]) == (2, 1, 0)
