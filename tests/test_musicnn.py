"""musicnn port: checkpoint reader, parity with the TensorFlow reference, embedder API.

Needs the ``musicnn`` package's data files (``pip install --no-deps musicnn==0.1.0``,
as in requirements/nodeps.txt); no network, no TensorFlow.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.audio import resample
from helpers.embedding import load_embedder
from helpers.embedders.musicnn import (LAYER_DIMS, MusicnnEmbedder, MusicnnWeightsNotFound, load_checkpoint,
                             log_compress, logmel, patches, weights_dir_for)
from helpers.embedders.tfbundle import TFBundleError, read_bundle, read_index

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_NAME = "musicnn_msd_reference.npz"  # outputs of the original TF model (see module doc)
FIXTURE_PLACES = [p for p in (os.environ.get("SYNTHMIR_MUSICNN_REFERENCE"),) if p] + [
    ROOT / "tests" / "fixtures" / FIXTURE_NAME, ROOT / "shared" / "fixtures" / FIXTURE_NAME,
    ROOT.parent / "shared" / "fixtures" / FIXTURE_NAME]
TOL = 1e-3


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    found = [Path(p) for p in FIXTURE_PLACES if Path(p).is_file()]
    if not found:  # a failure, not a skip: the parity check is the point of this file
        pytest.fail(f"reference fixture {FIXTURE_NAME} not found in {[str(p) for p in FIXTURE_PLACES]}")
    with np.load(found[0]) as d:
        return {k: d[k] for k in d.files}


@pytest.fixture(scope="module")
def emb() -> MusicnnEmbedder:
    return MusicnnEmbedder(device="cpu")


def _maxdiff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def _synth(sr: int, seconds: float = 10.0) -> np.ndarray:
    """The same band-limited test signal (sines < 6 kHz, slow AM) at any rate."""
    t = np.arange(int(seconds * sr)) / sr
    parts = ((0.3, 110, 0.0), (0.2, 220, 1.0), (0.15, 440, 2.0), (0.1, 1250, 0.5),
             (0.05, 3100, 1.5), (0.03, 5200, 2.5))
    x = sum(a * np.sin(2 * np.pi * f * t + ph) for a, f, ph in parts)
    return (0.5 * (1 + 0.5 * np.sin(2 * np.pi * 0.7 * t)) * x).astype(np.float32)


# --- checkpoint reader ------------------------------------------------------------

def test_checkpoint_variables_and_parameters():
    tensors = load_checkpoint("MSD_musicnn")  # optimizer slots */Adam* dropped
    assert len(tensors) == 66
    network = {k: v for k, v in tensors.items() if not k.endswith("_power")}  # Adam beta powers
    assert len(network) == 64
    assert sum(v.size for v in network.values()) == 792_079
    assert tensors["conv2d/kernel"].shape == (7, 38, 1, 204)
    assert tensors["dense/kernel"].shape == (1506, 200)
    assert all(v.dtype == np.float32 for v in tensors.values())


def test_bundle_index_lists_optimizer_slots_too():
    header, entries = read_index(weights_dir_for("MSD_musicnn"))
    assert header["num_shards"] == 1
    assert len(entries) == 150 and sum("/Adam" in k for k in entries) == 84


def test_malformed_bundle_errors_name_the_file(tmp_path):
    src = weights_dir_for("MSD_musicnn")
    shutil.copy(src / ".data-00000-of-00001", tmp_path / ".data-00000-of-00001")
    raw = (src / ".index").read_bytes()

    (tmp_path / ".index").write_bytes(raw[:-10])  # footer cut off
    with pytest.raises(TFBundleError, match=r"\.index.*magic"):
        read_bundle(tmp_path)

    bad = bytearray(raw)
    bad[40] ^= 0xFF  # flip a byte inside the first data block
    (tmp_path / ".index").write_bytes(bytes(bad))
    with pytest.raises(TFBundleError, match=r"\.index.*checksum"):
        read_bundle(tmp_path)

    (tmp_path / ".index").write_bytes(raw)
    (tmp_path / ".data-00000-of-00001").write_bytes(b"\0" * 100)  # truncated data shard
    with pytest.raises(TFBundleError, match=r"\.data-00000-of-00001"):
        read_bundle(tmp_path)


def test_missing_weights_error_says_where_and_how(tmp_path):
    with pytest.raises(MusicnnWeightsNotFound) as info:
        MusicnnEmbedder(weights_dir=tmp_path)
    msg = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert ".index" in msg and str(tmp_path) in msg
    assert "pip install --no-deps musicnn==0.1.0" in msg


# --- parity with the TensorFlow reference -------------------------------------------

def test_logmel_and_patches_match_reference(ref):
    spec = logmel(ref["signal"])
    assert spec.shape == ref["logmel"].shape == (626, 96)
    # musicnn rounds the mel power to float16 before compressing it: a float32
    # mel value a hair's breadth from a float16 rounding boundary can land on the
    # other side on another CPU's FFT. Allow that (one float16 step, on a handful
    # of cells), nothing more.
    diff = np.abs(spec.astype(np.float64) - ref["logmel"])
    step = np.spacing(np.abs(ref["logmel"]).astype(np.float16)).astype(np.float64)
    off = diff > 1e-6
    assert off.mean() < 1e-4, f"{off.sum()} of {off.size} log-mel cells differ"
    assert np.all(diff[off] <= step[off] + 1e-9), float(diff.max())
    assert patches(spec).shape == ref["batch"].shape == (3, 187, 96)
    np.testing.assert_allclose(patches(ref["logmel"]), ref["batch"], rtol=0, atol=1e-6)  # the cut itself


def test_network_matches_reference_from_batch(emb, ref):
    out = emb.forward_patches(ref["batch"], ["timbral", "temporal", "max_pool", "mean_pool",
                                             "penultimate", "taggram"])
    assert _maxdiff(out["taggram"], ref["taggram"]) < TOL
    assert _maxdiff(out["penultimate"], ref["penultimate"]) < TOL
    for k in ("timbral", "temporal", "mean_pool"):
        assert _maxdiff(out[k], ref[k]) < TOL, k
    # max_pool reaches ~35: compare relative to its scale
    assert _maxdiff(out["max_pool"], ref["max_pool"]) < TOL * max(1.0, np.abs(ref["max_pool"]).max())


def test_layers_match_reference_from_signal(emb, ref):
    out = emb.layers(ref["signal"], int(ref["sr"]))
    assert _maxdiff(out["taggram"], ref["taggram"]) < TOL
    assert _maxdiff(out["penultimate"], ref["penultimate"]) < TOL
    assert _maxdiff(out["mean_pool"], ref["mean_pool"]) < TOL
    assert emb.tags == [str(t) for t in ref["tags"]]


def test_registry_and_layer_shapes(ref):
    e = load_embedder("musicnn", device="cpu")
    out = e.layers(ref["signal"], 16000)
    assert set(out) == {"max_pool", "mean_pool", "penultimate", "taggram"}
    for k, v in out.items():
        assert v.shape == (3, LAYER_DIMS[k]) and v.dtype == np.float32, k
    vec = e.embed(ref["signal"], 16000)  # the study's vector: mean over patches of max_pool
    assert vec.shape == (e.dim,) == (753,) and vec.dtype == np.float32
    np.testing.assert_allclose(vec, out["max_pool"].mean(0), rtol=1e-6, atol=1e-6)
    assert len(e.tags) == 50


def test_representation_is_configurable(ref):
    e = MusicnnEmbedder(device="cpu", representation="taggram+mean_pool")
    assert e.dim == 50 + 753
    vec = e.embed(ref["signal"], 16000)
    np.testing.assert_allclose(vec[:50], ref["taggram"].mean(0), atol=TOL)
    for bad in ("", "logits", "taggram+taggram", "max_pool+nope"):
        with pytest.raises(ValueError, match="representation"):
            MusicnnEmbedder(device="cpu", representation=bad)


# --- robustness ------------------------------------------------------------------

def test_input_at_32k_is_resampled(emb):
    x32 = _synth(32000)
    out32 = emb.layers(x32, 32000)
    assert out32["taggram"].shape == (3, 50)
    manual = emb.layers(resample(x32, 32000, 16000), 16000)
    for k in out32:
        np.testing.assert_array_equal(out32[k], manual[k])
    native = emb.layers(_synth(16000), 16000)  # same signal synthesised at 16 kHz
    assert _maxdiff(out32["taggram"], native["taggram"]) < 1e-2
    assert _maxdiff(out32["penultimate"], native["penultimate"]) < 5e-2


@pytest.mark.parametrize("pad", ["repeat", "zeros"])
def test_short_clip_is_padded_with_warning(pad):
    e = MusicnnEmbedder(device="cpu", pad=pad)
    x = _synth(16000, seconds=1.0)
    with pytest.warns(UserWarning, match="shorter than one"):
        out = e.layers(x, 16000)
    assert all(v.shape == (1, LAYER_DIMS[k]) and np.isfinite(v).all() for k, v in out.items())
    with pytest.warns(UserWarning, match="shorter than one"):
        vec = e.embed(x[:100], 16000)  # shorter than one FFT window
    assert vec.shape == (e.dim,) and np.isfinite(vec).all()


def test_loud_audio_stays_finite(emb):
    t = np.arange(10 * 16000) / 16000
    loud = (1e4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow RuntimeWarning either
        spec = logmel(loud)
        out = emb.layers(loud, 16000)
    assert np.isfinite(spec).all() and spec.max() > np.log10(np.finfo(np.float16).max)
    assert all(np.isfinite(v).all() for v in out.values())
    # compression is monotone and finite up to and past float16's range
    mel = np.array([0, 1e-8, 1.0, 6.5, 6.56, 7.0, 65504, 1e6, 1e30], np.float32)
    y = log_compress(mel)
    assert np.isfinite(y).all() and np.all(np.diff(y) >= 0)


def test_bad_input_is_a_clear_error(emb):
    with pytest.raises(ValueError, match="NaN"):
        emb.embed(np.full(16000, np.nan, np.float32), 16000)
    with pytest.raises(ValueError, match="empty"):
        emb.embed(np.zeros(0, np.float32), 16000)


def test_batch_consistency(emb, ref):
    s = ref["signal"]
    others = [np.roll(s, 5000), 0.3 * s, _synth(16000)]
    alone = emb.embed(s, 16000)
    in_batch = emb.embed_batch(np.stack([others[0], s, others[1], others[2]]))
    np.testing.assert_allclose(in_batch[1], alone, rtol=0, atol=1e-5)
    many = emb.embed_many([others[0], s, s[:80000], others[2]], 16000, batch_size=3)
    np.testing.assert_allclose(many[1], alone, rtol=0, atol=1e-5)
    # tiny forward chunks (2 patches) too: equal up to float32 rounding of the convs
    small = MusicnnEmbedder(device="cpu", batch_size=2)
    np.testing.assert_allclose(small.embed_batch(np.stack([others[0], s]))[1], alone,
                               rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_matches_reference_and_cpu(emb, ref):
    gpu = MusicnnEmbedder(device="cuda")
    out = gpu.forward_patches(ref["batch"], ["penultimate", "taggram"])
    assert _maxdiff(out["taggram"], ref["taggram"]) < TOL
    assert _maxdiff(out["penultimate"], ref["penultimate"]) < TOL
    batch = np.stack([ref["signal"], _synth(16000)])
    np.testing.assert_allclose(gpu.embed_batch(batch), emb.embed_batch(batch), rtol=1e-4, atol=1e-4)
