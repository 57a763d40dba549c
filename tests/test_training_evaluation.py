import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from helpers.evaluation import classification_metrics, table1, track_scores
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
