"""musicnn (Pons & Serra, 2019) in PyTorch, with the original TF weights.

The weights come from the ``musicnn`` pip package (``musicnn/MSD_musicnn/``,
a TensorFlow checkpoint read by :mod:`helpers.embedders.tfbundle`); TensorFlow itself
is never needed. The port follows ``musicnn/models.py`` and
``musicnn/extractor.py`` (v0.1.0) op for op:

* audio at 16 kHz -> librosa mel power spectrogram (n_fft 512, hop 256, 96
  Slaney mels) -> ``log10(10000 * mel + 1)`` computed, like musicnn, in
  float16 (here made overflow-safe) -> non-overlapping 187-frame (3 s) patches;
* front-end: input batch-norm; timbral convs [7, 38] and [7, 67] (204 filters,
  time padded by 3, VALID); temporal convs [128|64|32, 1] (51 filters, TF
  'SAME'); each conv -> ReLU -> batch-norm -> max over frequency (561 ch);
* mid-end: three 1-D convs (kernel 7, 64 ch), residual on the 2nd and 3rd;
* back-end: max and mean over time of the 753 dense-connected channels,
  interleaved (1506) -> batch-norm -> dense 200 + ReLU -> batch-norm
  (``penultimate``) -> dense 50 -> sigmoid (``taggram``).

Usage::

    from helpers.embedding import load_embedder
    emb = load_embedder("musicnn")
    out = emb.layers(audio, sr)   # {'max_pool': (P, 753), 'mean_pool': (P, 753),
                                  #  'penultimate': (P, 200), 'taggram': (P, 50)}
    vec = emb.embed(audio, sr)    # mean over patches of the chosen layers
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import warnings
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..embedding import Embedder
from .tfbundle import read_bundle
from ..errors import SynthMIRError

log = logging.getLogger(__name__)

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
N_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
BN_EPS = 1e-3  # tf.compat.v1.layers.batch_normalization default
INSTALL_HINT = "pip install --no-deps musicnn==0.1.0"

MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists", "classic rock",
    "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill", "instrumental",
    "punk", "oldies", "blues", "hard rock", "ambient", "acoustic", "experimental",
    "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy",
    "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop",
    "sad", "House", "happy",
)
MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)
# Both checkpoints share the musicnn architecture (64 mid-end filters, 200 back-end units).
MODELS: dict[str, tuple[str, ...]] = {"MSD_musicnn": MSD_TAGS, "MTT_musicnn": MTT_TAGS}
LAYER_DIMS: dict[str, int] = {"max_pool": 753, "mean_pool": 753, "penultimate": 200, "taggram": 50}


class MusicnnWeightsNotFound(SynthMIRError, FileNotFoundError):
    """The musicnn checkpoint files are not where they were looked for."""


# --- weights ---------------------------------------------------------------------

def weights_dir_for(model: str = "MSD_musicnn", weights_dir: str | Path | None = None) -> Path:
    """Folder holding ``.index`` / ``.data-00000-of-00001`` of ``model``.

    ``weights_dir`` (a folder with those two files) overrides the lookup in the
    installed ``musicnn`` package, which is found without importing it.
    Raises :class:`MusicnnWeightsNotFound` naming the missing file and the fix.
    """
    if weights_dir is not None:
        folder, where = Path(weights_dir), f"the given weights_dir {weights_dir}"
    else:
        spec = importlib.util.find_spec("musicnn")
        locations = list(spec.submodule_search_locations or []) if spec else []
        if not locations:
            raise MusicnnWeightsNotFound(
                f"musicnn checkpoint {model}/.index not found: the 'musicnn' package is not "
                f"installed in this environment. Install only its data files with "
                f"`{INSTALL_HINT}` (TensorFlow is not needed), or pass weights_dir= a folder "
                f"holding the checkpoint files '.index' and '.data-00000-of-00001' of {model}.")
        folder, where = Path(locations[0]) / model, f"the installed musicnn package ({locations[0]})"
    for fname in (".index", ".data-00000-of-00001"):
        if not (folder / fname).is_file():
            raise MusicnnWeightsNotFound(
                f"musicnn checkpoint file {folder / fname} not found (looked in {where}). "
                f"Run `{INSTALL_HINT}` to place the package's {model}/ folder, or pass "
                f"weights_dir= a folder holding '.index' and '.data-00000-of-00001' of {model}.")
    return folder


def load_checkpoint(model: str = "MSD_musicnn", weights_dir: str | Path | None = None
                    ) -> dict[str, np.ndarray]:
    """The checkpoint's model variables (optimizer slots ``*/Adam*`` dropped)."""
    folder = weights_dir_for(model, weights_dir)
    tensors = read_bundle(folder, verify_crc=True)
    return {k: v for k, v in tensors.items() if "/Adam" not in k}


# --- log-mel front end --------------------------------------------------------------

def _round_f16(x: np.ndarray) -> np.ndarray:
    """Round float32 values to float16 precision; values float16 cannot hold stay float32."""
    with np.errstate(over="ignore"):
        r = x.astype(np.float16).astype(np.float32)
    return np.where(np.isfinite(r), r, x)


def log_compress(mel: np.ndarray) -> np.ndarray:
    """musicnn's ``np.log10(10000 * mel.astype(float16) + 1)``, overflow-safe.

    NumPy evaluates that expression in float16 (each step computed in float32 and
    rounded to float16); this reproduces it bit for bit wherever float16 does not
    overflow, and keeps float32 where musicnn would produce ``inf`` (loud audio).
    """
    m = np.clip(np.asarray(mel, dtype=np.float32), 0.0, float(np.finfo(np.float16).max))
    y = _round_f16(m)
    y = _round_f16(np.float32(10000) * y)
    y = _round_f16(y + np.float32(1))
    return _round_f16(np.log10(y)).astype(np.float32)


def logmel(audio: np.ndarray) -> np.ndarray:
    """Compressed log-mel of 16 kHz audio: ``(n,)`` -> ``(T, 96)``, or ``(b, n)`` -> ``(b, T, 96)``,
    with ``T = 1 + n // 256``; float32."""
    import librosa

    audio = np.asarray(audio, dtype=np.float32)
    if audio.shape[-1] == 0:
        raise ValueError("musicnn: cannot compute a log-mel of an empty clip")
    n_out = 1 + audio.shape[-1] // HOP
    if audio.shape[-1] < N_FFT:  # avoid librosa's short-input warning; keep its frame count
        audio = np.pad(audio, [(0, 0)] * (audio.ndim - 1) + [(0, N_FFT - audio.shape[-1])])
    mel = librosa.feature.melspectrogram(y=audio, sr=SR, n_fft=N_FFT, hop_length=HOP,
                                         n_mels=N_MELS, power=2.0)
    return log_compress(np.swapaxes(mel, -1, -2)[..., :n_out, :])


def patches(spec: np.ndarray, n_frames: int = N_FRAMES, pad: str = "repeat") -> np.ndarray:
    """Cut log-mel frames into non-overlapping patches, as musicnn does.

    ``(T, 96)`` -> ``(T // n_frames, n_frames, 96)`` (also batched: ``(b, T, 96)`` ->
    ``(b, P, n_frames, 96)``); frames after the last full patch are dropped.
    A spectrogram shorter than one patch is padded to one patch, with a warning:
    ``pad="repeat"`` tiles the frames (musicnn's training used repeat-pad),
    ``pad="zeros"`` appends zeros (= digital silence after compression).
    """
    spec = np.asarray(spec, dtype=np.float32)
    t = spec.shape[-2]
    if t < n_frames:
        msg = (f"musicnn: clip gives {t} frames ({t * HOP / SR:.2f} s), shorter than one "
               f"{n_frames}-frame patch (3 s); {pad}-padded to one patch")
        warnings.warn(msg, stacklevel=2)
        if pad == "repeat":
            reps = -(-n_frames // t)
            spec = np.concatenate([spec] * reps, axis=-2)[..., :n_frames, :]
        elif pad == "zeros":
            spec = np.concatenate([spec, np.zeros(spec.shape[:-2] + (n_frames - t, spec.shape[-1]),
                                                  np.float32)], axis=-2)
        else:
            raise ValueError(f"pad must be 'repeat' or 'zeros', got {pad!r}")
        t = n_frames
    p = t // n_frames
    return spec[..., : p * n_frames, :].reshape(spec.shape[:-2] + (p, n_frames, spec.shape[-1]))


# --- network ---------------------------------------------------------------------

class _BatchNorm(nn.Module):
    """Inference batch-norm with TF's moving statistics: ``x * scale + shift`` along ``dim``."""

    def __init__(self, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray,
                 dim: int = 1):
        super().__init__()
        scale = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + BN_EPS)
        shift = beta.astype(np.float64) - mean.astype(np.float64) * scale
        self.dim = dim
        self.register_buffer("scale", torch.tensor(scale, dtype=torch.float32))
        self.register_buffer("shift", torch.tensor(shift, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = [1] * x.dim()
        shape[self.dim] = -1
        return x * self.scale.view(shape) + self.shift.view(shape)


class MusicnnNet(nn.Module):
    """The musicnn network (inference only). Input ``(N, 187, 96)`` log-mel patches.

    :meth:`forward` returns a dict of per-patch tensors: ``timbral`` (N, T, 408),
    ``temporal`` (N, T, 153), ``max_pool`` / ``mean_pool`` (N, 753),
    ``penultimate`` (N, 200), ``taggram`` (N, 50), ``logits`` (N, 50).
    """

    # (checkpoint conv name, checkpoint batch-norm name) in the graph's creation order.
    _TIMBRAL = (("conv2d", "batch_normalization_1"), ("conv2d_1", "batch_normalization_2"))
    _TEMPORAL = (("conv2d_2", "batch_normalization_3"), ("conv2d_3", "batch_normalization_4"),
                 ("conv2d_4", "batch_normalization_5"))
    _MIDEND = (("conv2d_5", "batch_normalization_6"), ("conv2d_6", "batch_normalization_7"),
               ("conv2d_7", "batch_normalization_8"))

    def __init__(self, tensors: dict[str, np.ndarray]):
        super().__init__()
        shapes = {
            "conv2d/kernel": (7, 38, 1, 204), "conv2d_1/kernel": (7, 67, 1, 204),
            "conv2d_2/kernel": (128, 1, 1, 51), "conv2d_3/kernel": (64, 1, 1, 51),
            "conv2d_4/kernel": (32, 1, 1, 51), "conv2d_5/kernel": (7, 561, 1, 64),
            "conv2d_6/kernel": (7, 64, 1, 64), "conv2d_7/kernel": (7, 64, 1, 64),
            "dense/kernel": (1506, 200), "dense_1/kernel": (200, 50),
        }
        for name, shape in shapes.items():
            if name not in tensors:
                raise KeyError(f"musicnn checkpoint lacks variable {name!r}")
            if tuple(tensors[name].shape) != shape:
                raise ValueError(f"musicnn checkpoint variable {name!r} has shape "
                                 f"{tuple(tensors[name].shape)}, expected {shape}")

        def t(name: str) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(tensors[name], dtype=np.float32))

        def bn(name: str, dim: int = 1) -> _BatchNorm:
            return _BatchNorm(*(tensors[f"{name}/{k}"] for k in
                                ("gamma", "beta", "moving_mean", "moving_variance")), dim=dim)

        def conv2d(name: str) -> nn.Conv2d:  # TF HWIO -> torch OIHW
            k = t(f"{name}/kernel").permute(3, 2, 0, 1).contiguous()
            m = nn.Conv2d(1, k.shape[0], tuple(k.shape[2:]))
            m.weight.data.copy_(k)
            m.bias.data.copy_(t(f"{name}/bias"))
            return m

        def conv1d(name: str) -> nn.Conv1d:  # [7, C_in, 1, C_out] -> (C_out, C_in, 7)
            k = t(f"{name}/kernel")[:, :, 0, :].permute(2, 1, 0).contiguous()
            m = nn.Conv1d(k.shape[1], k.shape[0], k.shape[2])
            m.weight.data.copy_(k)
            m.bias.data.copy_(t(f"{name}/bias"))
            return m

        def dense(name: str) -> nn.Linear:
            k = t(f"{name}/kernel")
            m = nn.Linear(k.shape[0], k.shape[1])
            m.weight.data.copy_(k.T)
            m.bias.data.copy_(t(f"{name}/bias"))
            return m

        self.bn_input = bn("batch_normalization", dim=1)
        self.timbral = nn.ModuleList(conv2d(c) for c, _ in self._TIMBRAL)
        self.timbral_bn = nn.ModuleList(bn(b) for _, b in self._TIMBRAL)
        self.temporal = nn.ModuleList(conv2d(c) for c, _ in self._TEMPORAL)
        self.temporal_bn = nn.ModuleList(bn(b) for _, b in self._TEMPORAL)
        self.midend = nn.ModuleList(conv1d(c) for c, _ in self._MIDEND)
        self.midend_bn = nn.ModuleList(bn(b) for _, b in self._MIDEND)
        self.bn_pool = bn("batch_normalization_9")
        self.dense = dense("dense")
        self.bn_dense = bn("batch_normalization_10")
        self.dense_out = dense("dense_1")
        self.eval()

    @staticmethod
    def _block(x: torch.Tensor, conv: nn.Conv2d, bn: _BatchNorm) -> torch.Tensor:
        """conv -> ReLU -> batch-norm -> max over frequency: (N, 1, T', 96) -> (N, C, T).

        Computed in an exactly equivalent, cheaper order: ReLU and the per-channel
        affine batch-norm are monotone, so max_f BN(ReLU(y)) = BN(ReLU(max_f y)) for
        channels with scale >= 0 and BN(ReLU(min_f y)) for the others; min_f y is
        taken as -max_f(-y) by convolving with sign-flipped kernels (``sign``), and
        the bias is added after the max. Only the conv and one max touch the full map.
        """
        sign = torch.where(bn.scale < 0, -1.0, 1.0).to(x.dtype)
        ext = F.conv2d(x, conv.weight * sign.view(-1, 1, 1, 1)).amax(dim=3)
        ext = ext * sign.view(1, -1, 1) + conv.bias.view(1, -1, 1)
        return bn(F.relu(ext))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.bn_input(x.unsqueeze(1))  # (N, 1, T, 96); the input BN has one channel
        padded = F.pad(x, (0, 0, 3, 3))  # time only, zeros after the BN as in TF
        timbral = [self._block(padded, c, b) for c, b in zip(self.timbral, self.timbral_bn)]
        temporal = []
        for conv, b in zip(self.temporal, self.temporal_bn):
            k = conv.kernel_size[0]  # TF 'SAME': the odd extra pad goes after
            temporal.append(self._block(F.pad(x, (0, 0, (k - 1) // 2, k // 2)), conv, b))
        front = torch.cat(timbral + temporal, dim=1)  # (N, 561, T)

        c1 = self.midend_bn[0](F.relu(self.midend[0](F.pad(front, (3, 3)))))
        c2 = self.midend_bn[1](F.relu(self.midend[1](F.pad(c1, (3, 3))))) + c1
        c3 = self.midend_bn[2](F.relu(self.midend[2](F.pad(c2, (3, 3))))) + c2
        feats = torch.cat([front, c1, c2, c3], dim=1)  # (N, 753, T)

        max_pool, mean_pool = feats.amax(dim=2), feats.mean(dim=2)
        flat = torch.stack([max_pool, mean_pool], dim=2).flatten(1)  # interleaved (N, 1506)
        penultimate = self.bn_dense(F.relu(self.dense(self.bn_pool(flat))))
        logits = self.dense_out(penultimate)
        return {
            "timbral": torch.cat(timbral, 1).transpose(1, 2),
            "temporal": torch.cat(temporal, 1).transpose(1, 2),
            "max_pool": max_pool, "mean_pool": mean_pool,
            "penultimate": penultimate, "taggram": torch.sigmoid(logits), "logits": logits,
        }


@contextlib.contextmanager
def _exact_fp32(device: torch.device) -> Iterator[None]:
    """Keep cuDNN convolutions in full fp32 (no TF32), for parity with the TF reference."""
    if device.type != "cuda":
        yield
        return
    conv = getattr(torch.backends.cudnn, "conv", None)
    if conv is not None and hasattr(conv, "fp32_precision"):  # torch >= 2.9 API
        owner, attr, exact = conv, "fp32_precision", "ieee"
    else:
        owner, attr, exact = torch.backends.cudnn, "allow_tf32", False
    prev = getattr(owner, attr)
    setattr(owner, attr, exact)
    try:
        yield
    finally:
        setattr(owner, attr, prev)


# --- embedder --------------------------------------------------------------------

class MusicnnEmbedder(Embedder):
    """musicnn as an embedder backend.

    Args:
        model: checkpoint in the musicnn package: ``"MSD_musicnn"`` (default) or ``"MTT_musicnn"``.
        representation: the :meth:`embed` vector: mean over patches of these layers,
            concatenated; a ``+``-joined subset of ``max_pool`` (753), ``mean_pool``
            (753), ``penultimate`` (200), ``taggram`` (50). The default, ``max_pool``,
            is the study's choice: best real-track accuracy in a measured comparison
            (``scripts/compare_representations.py``; see docs/findings.md, "Which musicnn layer").
        device: ``"auto"`` (cuda when available), ``"cpu"``, ``"cuda"``, ...
        batch_size: patches per forward pass (clips x patches are batched together).
        weights_dir: folder with the checkpoint files, instead of the installed package.
        pad: how a clip shorter than one 3 s patch is padded: ``"repeat"`` or ``"zeros"``.
    """

    name = "musicnn"

    def __init__(self, model: str = "MSD_musicnn", representation: str = "max_pool",
                 device: str | torch.device = "auto", batch_size: int = 64,
                 weights_dir: str | Path | None = None, pad: str = "repeat"):
        if model not in MODELS:
            raise ValueError(f"unknown musicnn model {model!r}; known: {', '.join(MODELS)}")
        self.layer_names = self._parse_representation(representation)
        self.representation = "+".join(self.layer_names)
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if pad not in ("repeat", "zeros"):
            raise ValueError(f"pad must be 'repeat' or 'zeros', got {pad!r}")
        self.model, self.batch_size, self.pad = model, int(batch_size), pad
        if str(device) == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.net = MusicnnNet(load_checkpoint(model, weights_dir)).to(self.device)
        log.debug("musicnn %s loaded on %s; embedding = mean over patches of %s (dim %d)",
                  model, self.device, self.representation, self.dim)
        self._tags = list(MODELS[model])

    @staticmethod
    def _parse_representation(representation: str) -> list[str]:
        names = [s.strip() for s in str(representation).split("+") if s.strip()]
        bad = [n for n in names if n not in LAYER_DIMS]
        if not names or bad or len(set(names)) != len(names):
            raise ValueError(f"representation must be a '+'-joined subset of "
                             f"{', '.join(LAYER_DIMS)} without repeats, got {representation!r}")
        return names

    @property
    def sample_rate(self) -> int:
        return SR

    @property
    def dim(self) -> int:
        return sum(LAYER_DIMS[n] for n in self.layer_names)

    @property
    def tags(self) -> list[str]:
        """The model's 50 tag names, in ``taggram`` column order."""
        return list(self._tags)

    def logmel_patches(self, batch: np.ndarray) -> np.ndarray:
        """16 kHz clips ``(n, n_samples)`` -> patches ``(n, P, 187, 96)`` float32."""
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 2:
            raise ValueError(f"batch must be (n_clips, n_samples), got shape {batch.shape}")
        if not np.isfinite(batch).all():
            raise ValueError("musicnn: audio contains NaN or inf")
        return patches(logmel(batch), pad=self.pad)

    def forward_patches(self, x: np.ndarray, layers: Sequence[str] = tuple(LAYER_DIMS)
                        ) -> dict[str, np.ndarray]:
        """Run the network on patches ``(N, 187, 96)``, ``batch_size`` at a time.

        Returns ``{layer: (N, dim) float32}`` for the requested ``layers`` (any
        output of :meth:`MusicnnNet.forward`).
        """
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[2] != N_MELS:
            raise ValueError(f"patches must be (N, T, {N_MELS}), got shape {x.shape}")
        chunks: dict[str, list[np.ndarray]] = {k: [] for k in layers}
        with torch.inference_mode(), _exact_fp32(self.device):
            for s in range(0, len(x), self.batch_size):
                out = self.net(torch.from_numpy(x[s:s + self.batch_size]).to(self.device))
                for k in layers:
                    chunks[k].append(out[k].float().cpu().numpy())
        return {k: (np.concatenate(v) if v else np.zeros((0, LAYER_DIMS.get(k, 0)), np.float32))
                for k, v in chunks.items()}

    def layers_batch(self, batch: np.ndarray, layers: Sequence[str] = tuple(LAYER_DIMS)
                     ) -> dict[str, np.ndarray]:
        """16 kHz clips ``(n, n_samples)`` -> ``{layer: (n, P, dim)}``, P patches per clip."""
        p = self.logmel_patches(batch)
        n, n_patches = p.shape[:2]
        out = self.forward_patches(p.reshape(n * n_patches, N_FRAMES, N_MELS), layers)
        return {k: v.reshape(n, n_patches, -1) for k, v in out.items()}

    def layers(self, audio: np.ndarray, sr: int) -> dict[str, np.ndarray]:
        """One clip of any rate -> ``{'max_pool': (P, 753), 'mean_pool': (P, 753),
        'penultimate': (P, 200), 'taggram': (P, 50)}`` float32, P = 3 s patches."""
        return {k: v[0] for k, v in self.layers_batch(self.prepare(audio, sr)[None, :]).items()}

    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """16 kHz clips ``(n, n_samples)`` -> ``(n, dim)``: per layer of
        :attr:`representation`, the mean over patches, concatenated."""
        out = self.layers_batch(batch, self.layer_names)
        return np.concatenate([out[k].mean(axis=1) for k in self.layer_names], axis=1
                              ).astype(np.float32)

    def describe(self) -> dict:
        return {**super().describe(), "model": self.model, "representation": self.representation,
                "device": str(self.device)}
