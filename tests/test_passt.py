"""PaSST backend, offline on the CPU: the torchaudio-free front-end against
hear21passt's own (via the stored reference and, where torchaudio imports,
live), a randomly initialised PaSST-S through the real embedder code, and
the checkpoint paths (missing file, strict loading, round trip)."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import torch

pytest.importorskip("hear21passt")
pytest.importorskip("timm")

from helpers.audio import resample  # noqa: E402
from helpers.embedding import EMBEDDERS  # noqa: E402
from helpers.embedders.passt import (  # noqa: E402
    CHECKPOINT_URL,
    PasstCheckpointError,
    PasstCheckpointMissing,
    PasstEmbedder,
    PasstMel,
    _resolve_autocast,
    default_checkpoint_path,
    kaldi_mel_banks,
    load_passt_state_dict,
    use_sdpa_attention,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "passt_frontend_reference.npz"
SR = 32000
# log-mel tolerance: 0.0 against the fixture on the machine that made it, 2.8e-4 on another CPU
# (float32 kernels round differently; the log-mels span about -2..+2)
TOL_MEL = 1e-3


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "make_passt_reference", ROOT / "scripts" / "make_passt_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reference():
    data = np.load(FIXTURE)
    return {k: data[k] for k in data.files}, json.loads(str(data["meta"]))


@pytest.fixture(scope="module")
def signals(reference):
    _, meta = reference
    return _load_script().make_test_signals(meta["seed"])


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture(scope="module")
def random_embedder():
    """Randomly initialised PaSST-S (seed 0) on the CPU, with the log of its construction."""
    handler = _ListHandler()
    log = logging.getLogger("helpers.embedders.passt")
    log.addHandler(handler)
    try:
        emb = PasstEmbedder(pretrained=False, device="cpu", dtype="auto", batch_size=4, seed=0)
    finally:
        log.removeHandler(handler)
    return emb, handler.records


def _clips(n: int, seconds: float, seed: int = 1) -> np.ndarray:
    """``(n, seconds*SR)`` float32: distinct noise + tone mixtures."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    out = [0.1 * rng.standard_normal(t.size) + 0.3 * np.sin(2 * np.pi * (200 + 300 * i) * t)
           for i in range(n)]
    return np.stack(out).astype(np.float32)


# --- front-end -------------------------------------------------------------------

def test_mel_bank_matches_torchaudio_kaldi(reference):
    ref, meta = reference
    assert (meta["fmin"], meta["fmax"]) == (0.0, 15000)
    bank = kaldi_mel_banks(128, 1024, 32000, 0.0, 15000.0)
    assert bank.shape == (128, 512) and bank.dtype == torch.float32
    mel = PasstMel()
    assert mel.mel_basis.shape == ref["mel_bank"].shape == (128, 513)
    # exact on the machine that made the fixture; 1.8e-5 (relative 5e-4, on triangle edges) on another
    # CPU whose float32 log/exp kernels round differently
    np.testing.assert_allclose(mel.mel_basis.numpy(), ref["mel_bank"], rtol=0, atol=5e-5)
    assert not mel.mel_basis[:, -1].any()  # hear21passt's zero Nyquist column


def test_frontend_matches_hear21passt_reference(reference, signals):
    ref, _ = reference
    mel = PasstMel().eval()
    for key in ("long", "short"):
        x = torch.from_numpy(signals[key])[None]
        out = mel(x)[0].numpy()
        assert out.shape == ref[f"mel_{key}"].shape == (128, mel.n_frames(x.shape[1]))
        diff = float(np.max(np.abs(out - ref[f"mel_{key}"])))
        assert diff < TOL_MEL, f"{key}: max abs diff {diff}"
    assert mel.n_frames(10 * SR) == 1000


def test_frontend_matches_hear21passt_live(signals):
    """Only where the real torchaudio imports (not with this project's torch)."""
    try:
        import torchaudio  # noqa: F401
        import torchaudio.compliance.kaldi  # noqa: F401
    except Exception as exc:  # ImportError, OSError or RuntimeError from a mismatched build
        pytest.skip(f"torchaudio not importable: {type(exc).__name__}")
    ref_mel = _load_script().hear21passt_mel()
    mel = PasstMel().eval()
    with torch.no_grad():
        for sig in signals.values():
            x = torch.from_numpy(sig)[None]
            assert float((mel(x) - ref_mel(x)).abs().max()) < TOL_MEL


def test_frontend_is_fp32_under_autocast(signals):
    mel = PasstMel()
    x = torch.from_numpy(signals["short"])[None]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = mel(x)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, mel(x), rtol=0, atol=0)


# --- network through the embedder ------------------------------------------------

def test_random_init_is_loud(random_embedder):
    emb, records = random_embedder
    warnings_ = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    assert any("RANDOMLY INITIALISED" in m for m in warnings_)
    assert emb.pretrained is False and emb.checkpoint is None
    assert EMBEDDERS.get("passt") is PasstEmbedder
    assert (emb.sample_rate, emb.dim) == (32000, 768)
    assert emb.describe()["pretrained"] is False


def test_embeddings_shape_finite_and_batch_consistent(random_embedder):
    emb, _ = random_embedder
    clips = _clips(3, 1.0)
    together = emb.embed_batch(clips)
    assert together.shape == (3, 768) and together.dtype == np.float32
    assert np.isfinite(together).all()
    assert np.abs(together[0] - together[1]).max() > 1e-3  # distinct inputs, distinct outputs
    for i in range(3):
        alone = emb.embed_batch(clips[i:i + 1])
        np.testing.assert_allclose(alone[0], together[i], rtol=0, atol=1e-4)
    old = emb.batch_size
    emb.batch_size = 2  # chunked forward passes: [0, 1], [2]
    try:
        np.testing.assert_allclose(emb.embed_batch(clips), together, rtol=0, atol=1e-4)
    finally:
        emb.batch_size = old


@pytest.mark.filterwarnings("ignore:Input image size")  # hear21passt's own forward, frames != 998
def test_matches_hear21passt_wrapper_embed_only(random_embedder):
    """Same network and front-end inside hear21passt's own PasstBasicWrapper(mode='embed_only'),
    with its eager attention: short clip direct, long clip through its scene windows (scaled down:
    1 s windows, 0.5 s hop instead of 10 s and 2.5 s, so the test stays cheap)."""
    from hear21passt.wrapper import PasstBasicWrapper

    emb, _ = random_embedder
    mel = PasstMel()
    wrapper = PasstBasicWrapper(mel=mel, net=emb.net, mode="embed_only",
                                max_model_window=1000, scene_hop=500).eval()
    short = _clips(2, 0.75, seed=3)
    long = _clips(1, 1.6, seed=4)  # 4 windows
    ours_short = emb.embed_batch(short)
    window, hop = emb.window, emb.hop
    emb.window, emb.hop = wrapper.max_model_window, wrapper.scene_hop
    try:
        ours_long = emb.embed_batch(long)
    finally:
        emb.window, emb.hop = window, hop
    for module in emb.net.modules():  # back to hear21passt's eager attention for the reference
        module.__dict__.pop("forward", None)
    try:
        with torch.no_grad():
            ref_short = wrapper.get_scene_embeddings(torch.from_numpy(short)).numpy()
            ref_long = wrapper.get_scene_embeddings(torch.from_numpy(long)).numpy()
    finally:
        assert use_sdpa_attention(emb.net) == 12
    assert ref_short.shape == (2, 768)
    np.testing.assert_allclose(ours_short, ref_short, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ours_long, ref_long, rtol=0, atol=1e-4)


def test_other_rate_is_resampled(random_embedder):
    emb, _ = random_embedder
    x16 = _clips(1, 0.75, seed=5)[0][: int(0.75 * 16000)]  # treat as 16 kHz audio
    vec = emb.embed(x16, 16000)
    assert vec.shape == (768,) and vec.dtype == np.float32
    direct = emb.embed_batch(resample(x16, 16000, SR)[None])[0]
    np.testing.assert_allclose(vec, direct, rtol=0, atol=1e-5)
    stereo = np.stack([x16, x16], axis=1)
    np.testing.assert_allclose(emb.embed(stereo, 16000), vec, rtol=0, atol=1e-5)


def test_bf16_autocast_path(random_embedder):
    """The autocast code used on CUDA, exercised with CPU bf16."""
    emb, _ = random_embedder
    clips = _clips(2, 0.5, seed=6)
    ref = emb.embed_batch(clips)
    old = emb.autocast_dtype
    emb.autocast_dtype = torch.bfloat16
    try:
        low = emb.embed_batch(clips)
    finally:
        emb.autocast_dtype = old
    assert low.dtype == np.float32 and np.isfinite(low).all()
    cos = (low * ref).sum(1) / np.linalg.norm(low, axis=1) / np.linalg.norm(ref, axis=1)
    assert (cos > 0.99).all(), cos


def test_too_short_and_bad_shapes(random_embedder):
    emb, _ = random_embedder
    assert emb.min_samples == 4801
    with pytest.raises(ValueError, match="too short"):
        emb.embed_batch(np.zeros((1, 4800), np.float32))
    with pytest.raises(ValueError, match="n_clips, n_samples"):
        emb.embed_batch(np.zeros(48000, np.float32))
    assert emb.embed_batch(np.zeros((0, 48000), np.float32)).shape == (0, 768)


def test_dtype_resolution():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert _resolve_autocast("auto", cpu) is None
    assert _resolve_autocast("float32", cuda) is None
    assert _resolve_autocast("bf16", cpu) is torch.bfloat16
    assert _resolve_autocast(torch.float16, cuda) is torch.float16
    with pytest.raises(ValueError):
        _resolve_autocast("int8", cpu)


# --- weights ---------------------------------------------------------------------

def test_missing_checkpoint_explicit_path(tmp_path):
    path = tmp_path / "weights" / "passt-s-f128-p16-s10-ap.476-swa.pt"
    with pytest.raises(PasstCheckpointMissing) as info:
        PasstEmbedder(checkpoint=path, device="cpu")
    err = info.value
    assert isinstance(err, FileNotFoundError)
    msg = str(err)
    assert str(path) in msg and "passt-s-f128-p16-s10-ap.476-swa.pt" in msg
    assert CHECKPOINT_URL in msg
    assert f"mkdir -p {path.parent} && curl -L -o {path} {CHECKPOINT_URL}" in msg


def test_missing_checkpoint_default_path_follows_torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    expected = tmp_path / "th" / "hub" / "checkpoints" / "passt-s-f128-p16-s10-ap.476-swa.pt"
    assert default_checkpoint_path() == expected
    with pytest.raises(FileNotFoundError) as info:
        PasstEmbedder(device="cpu")
    assert str(expected) in str(info.value) and CHECKPOINT_URL in str(info.value)


def test_strict_state_dict_loading(random_embedder):
    emb, _ = random_embedder
    own = emb.net.state_dict()
    missing = {k: v for k, v in own.items() if k != "blocks.3.mlp.fc1.bias"}
    with pytest.raises(PasstCheckpointError, match="blocks.3.mlp.fc1.bias"):
        load_passt_state_dict(emb.net, missing, "missing.pt")
    with pytest.raises(PasstCheckpointError, match="head.2.weight"):
        load_passt_state_dict(emb.net, {**own, "head.2.weight": torch.zeros(1)}, "extra.pt")
    with pytest.raises(PasstCheckpointError, match="size mismatch"):
        load_passt_state_dict(emb.net, {**own, "cls_token": torch.zeros(1, 1, 10)}, "shape.pt")
    load_passt_state_dict(emb.net, {"model": own}, "wrapped.pt")  # hear21passt's {"model": ...} form
    with pytest.raises(ValueError, match="pretrained=False"):
        PasstEmbedder(checkpoint="x.pt", pretrained=False)


def test_checkpoint_round_trip(random_embedder, tmp_path):
    emb, _ = random_embedder
    path = tmp_path / "passt-random.pt"
    torch.save(emb.net.state_dict(), path)
    try:
        clips = _clips(2, 0.5, seed=7)
        loaded = PasstEmbedder(checkpoint=path, device="cpu", batch_size=4)
        assert loaded.pretrained and loaded.checkpoint == path
        for key, value in emb.net.state_dict().items():
            assert torch.equal(loaded.net.state_dict()[key], value), key
        np.testing.assert_allclose(loaded.embed_batch(clips), emb.embed_batch(clips), rtol=0, atol=1e-6)
        path.write_bytes(b"not a checkpoint")
        with pytest.raises(PasstCheckpointError, match="cannot read"):
            PasstEmbedder(checkpoint=path, device="cpu")
    finally:
        path.unlink(missing_ok=True)
