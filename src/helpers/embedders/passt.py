"""Embedder backend ``passt``: PaSST-S scene embeddings (768-d) without torchaudio.

PaSST (Koutini et al., 2022, "Efficient Training of Audio Transformers with
Patchout") is a ViT/DeiT-style audio transformer trained on AudioSet. This
backend follows the HEAR-2021 wrapper of the ``hear21passt`` package
(``hear21passt.base.get_basic_model`` + ``PasstBasicWrapper`` in
``mode="embed_only"``):

* **Front-end** (:class:`PasstMel`): ``hear21passt.models.preprocess.AugmentMelSTFT``
  in eval mode, re-implemented here because it imports torchaudio (which has
  no build for the project's torch). 32 kHz audio -> pre-emphasis
  ``y[t] = x[t+1] - 0.97 x[t]`` (a valid conv, one sample shorter) ->
  ``torch.stft`` (n_fft 1024, symmetric Hann window of 800, hop 320,
  ``center=True`` with reflect padding) -> power -> 128 Kaldi mel bands
  (0 Hz .. 15 kHz, zero weight on the Nyquist bin) -> ``log(mel + 1e-5)`` ->
  ``(x + 4.5) / 5``. A clip of ``n`` samples gives ``1 + (n - 1) // 320``
  frames (1000 for 10 s).
* **Network**: ``hear21passt.models.passt.get_model(arch, pretrained=False)``
  (torchaudio-free), patches 16x16 with stride 10x10, 12 blocks, 768 wide.
  Its time positional embedding covers 998 frames (99 patch columns); shorter
  inputs use the first columns (the model slices it itself), and 10 s at
  32 kHz (1000 frames) also gives exactly 99 columns.
* **Embedding**: the layer before the classifier head: the final LayerNorm
  output of the class token and the distillation token, averaged,
  ``(norm(x)[:, 0] + norm(x)[:, 1]) / 2`` -> 768 floats. This is what
  ``PasstBasicWrapper(mode="embed_only")`` returns (``features`` of
  ``PaSST.forward``); the 527 AudioSet logits are not computed.
* **Clips longer than 10 s**: as ``PasstBasicWrapper.get_scene_embeddings``:
  reflect-pad 5 s on both sides, cut 10 s windows every 2.5 s and average the
  window embeddings.

Weights: ``passt-s-f128-p16-s10-ap.476-swa.pt`` (release asset of the PaSST
project), looked up where timm caches it (``torch.hub.get_dir()/checkpoints``,
i.e. ``$TORCH_HOME/hub/checkpoints`` or ``~/.cache/torch/hub/checkpoints``) or
at an explicit ``checkpoint=`` path; nothing is ever downloaded here.

Throughput: clips are embedded in batches of ``batch_size``; on CUDA the
batch is copied from pinned host memory without blocking and the transformer
runs under bf16 (fp16 where bf16 is unsupported) autocast, while the
front-end always runs in float32. Attention goes through
``F.scaled_dot_product_attention`` (fused kernels) unless ``attention="eager"``
asks for hear21passt's own code.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import shlex
import threading
import types
import warnings
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..embedding import Embedder
from ..errors import SynthMIRError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 32000
EMBED_DIM = 768
DEFAULT_ARCH = "passt_s_swa_p16_128_ap476"
CHECKPOINT_URL = (
    "https://github.com/kkoutini/PaSST/releases/download/v0.0.1-audioset/"
    "passt-s-f128-p16-s10-ap.476-swa.pt"
)
# hear21passt.base / wrapper settings (milliseconds there).
MAX_WINDOW_S = 10.0  # PasstBasicWrapper max_model_window
SCENE_HOP_S = 2.5  # PasstBasicWrapper scene_hop
INPUT_TDIM = 998  # get_model default: frames the positional embedding was trained for
PATCH = 16
STRIDE = 10


class PasstCheckpointMissing(SynthMIRError, FileNotFoundError):
    """The PaSST checkpoint file is not where it was looked for.

    The message names the file, the expected path, the URL it comes from and
    the one shell command that puts it there.
    """

    def __init__(self, path: str | Path, url: str):
        self.path = Path(path)
        self.url = url
        self.command = download_command(self.path, url)
        super().__init__(
            f"PaSST checkpoint {self.path.name!r} not found at {self.path}. "
            f"It is a release asset of the PaSST project: {url} . "
            f"Place it with:\n    {self.command}\n"
            "(or pass checkpoint=PATH to a copy; pretrained=False gives an "
            "untrained, randomly initialised model for tests only)"
        )


class PasstCheckpointError(SynthMIRError, RuntimeError):
    """A checkpoint that cannot be read or does not fit the architecture."""


# --- front-end -------------------------------------------------------------------

def kaldi_mel_banks(n_mels: int, n_fft: int, sample_rate: float, fmin: float,
                    fmax: float) -> torch.Tensor:
    """Kaldi-style triangular mel filters, as ``torchaudio.compliance.kaldi.get_mel_banks``
    computes them without VTLN warping (``vtln_warp_factor=1``).

    Mel scale ``1127 ln(1 + f / 700)``; ``n_mels`` triangles equally spaced in
    mel between ``fmin`` and ``fmax`` (``fmax <= 0`` counts down from
    Nyquist), evaluated in the mel domain at the FFT bin frequencies
    ``k * sample_rate / n_fft`` for ``k < n_fft // 2`` (the Nyquist bin is
    left out, as Kaldi does). Same float32 operations in the same order as
    torchaudio, so the result matches it to the last bit.

    Returns:
        float32 tensor ``(n_mels, n_fft // 2)``.
    """
    if n_mels <= 3:
        raise ValueError(f"need more than 3 mel bins, got {n_mels}")
    if n_fft % 2:
        raise ValueError(f"n_fft must be even, got {n_fft}")
    nyquist = 0.5 * sample_rate
    if fmax <= 0.0:
        fmax += nyquist
    if not (0.0 <= fmin < nyquist and 0.0 < fmax <= nyquist and fmin < fmax):
        raise ValueError(f"bad mel range fmin={fmin} fmax={fmax} for Nyquist {nyquist}")
    fft_bin_width = sample_rate / n_fft
    mel_low = 1127.0 * math.log(1.0 + fmin / 700.0)
    mel_high = 1127.0 * math.log(1.0 + fmax / 700.0)
    mel_delta = (mel_high - mel_low) / (n_mels + 1)

    band = torch.arange(n_mels).unsqueeze(1)  # int64, promoted to float32 below, as torchaudio
    left = mel_low + band * mel_delta  # (n_mels, 1)
    center = mel_low + (band + 1.0) * mel_delta
    right = mel_low + (band + 2.0) * mel_delta
    freqs = fft_bin_width * torch.arange(float(n_fft // 2))  # float32 (n_fft // 2,)
    mel = (1127.0 * (1.0 + freqs / 700.0).log()).unsqueeze(0)  # (1, n_fft // 2)
    up = (mel - left) / (center - left)
    down = (right - mel) / (right - center)
    return torch.max(torch.zeros(1), torch.min(up, down)).to(torch.float32)


class PasstMel(nn.Module):
    """PaSST's log-mel front-end (``AugmentMelSTFT`` of hear21passt, eval mode).

    Inference only: the training-time augmentations of the original (random
    ``fmin``/``fmax`` jitter, frequency and time masking) are not implemented,
    so train and eval mode compute the same thing. Always runs in float32,
    also inside an autocast region.

    Args:
        n_mels, sample_rate, win_length, hop_length, n_fft: as hear21passt's
            ``get_basic_model`` (128, 32000, 800, 320, 1024).
        fmin: lowest mel edge in Hz (0).
        fmax: highest mel edge in Hz; ``None`` means what hear21passt uses
            when it is ``None``: ``sample_rate // 2 - fmax_aug_range // 2``
            (15000 Hz for the defaults).
        fmax_aug_range: only used to derive that default (2000).
    """

    def __init__(self, n_mels: int = 128, sample_rate: int = SAMPLE_RATE, win_length: int = 800,
                 hop_length: int = 320, n_fft: int = 1024, fmin: float = 0.0,
                 fmax: float | None = None, fmax_aug_range: int = 2000):
        super().__init__()
        if fmax is None:
            fmax = sample_rate // 2 - fmax_aug_range // 2
        self.n_mels = n_mels
        self.sample_rate = sample_rate
        self.win_length = win_length
        self.hop_length = hop_length
        self.n_fft = n_fft
        self.fmin = float(fmin)
        self.fmax = float(fmax)
        self.register_buffer("window", torch.hann_window(win_length, periodic=False), persistent=False)
        self.register_buffer("preemphasis", torch.tensor([[[-0.97, 1.0]]]), persistent=False)
        bank = kaldi_mel_banks(n_mels, n_fft, sample_rate, self.fmin, self.fmax)
        # hear21passt pads one zero column so the bank covers all n_fft//2 + 1 STFT bins.
        self.register_buffer("mel_basis", F.pad(bank, (0, 1), mode="constant", value=0.0),
                             persistent=False)

    @property
    def sr(self) -> int:
        """Alias of :attr:`sample_rate`, the name hear21passt's ``PasstBasicWrapper`` reads."""
        return self.sample_rate

    def n_frames(self, n_samples: int) -> int:
        """Frames for a clip of ``n_samples`` (pre-emphasis drops one sample; STFT is centred)."""
        return 1 + (n_samples - 1) // self.hop_length

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``(n, n_samples)`` waveform at :attr:`sample_rate` -> ``(n, n_mels, n_frames)`` float32."""
        if audio.ndim != 2:
            raise ValueError(f"expected (n, n_samples) audio, got shape {tuple(audio.shape)}")
        with torch.autocast(device_type=audio.device.type, enabled=False):
            x = audio.to(torch.float32)
            x = F.conv1d(x.unsqueeze(1), self.preemphasis).squeeze(1)
            spec = torch.stft(x, self.n_fft, hop_length=self.hop_length, win_length=self.win_length,
                              window=self.window, center=True, pad_mode="reflect",
                              normalized=False, return_complex=True)
            power = torch.view_as_real(spec).pow(2).sum(dim=-1)  # (n, n_fft//2 + 1, frames)
            mel = torch.matmul(self.mel_basis, power)
            mel = (mel + 0.00001).log()
            return (mel + 4.5) / 5.0

    def extra_repr(self) -> str:
        return (f"sr={self.sample_rate}, n_fft={self.n_fft}, win={self.win_length}, "
                f"hop={self.hop_length}, n_mels={self.n_mels}, fmin={self.fmin}, fmax={self.fmax}")


# --- weights ---------------------------------------------------------------------

def default_checkpoint_path(filename: str = Path(CHECKPOINT_URL).name) -> Path:
    """Where timm caches the checkpoint: ``torch.hub.get_dir()/checkpoints/filename``."""
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def download_command(path: str | Path, url: str = CHECKPOINT_URL) -> str:
    """The one shell command that puts ``url`` at ``path``."""
    path = Path(path)
    return (f"mkdir -p {shlex.quote(str(path.parent))} && "
            f"curl -L -o {shlex.quote(str(path))} {shlex.quote(url)}")


def _passt_module():
    import hear21passt.models.passt as hp

    # hear21passt prints tensor shapes on its first forward pass; keep stdout clean.
    hp.first_RUN = False
    return hp


def checkpoint_url(arch: str) -> str | None:
    """Release URL of ``arch``'s weights, when hear21passt names the arch directly."""
    cfg = _passt_module().default_cfgs.get(arch)
    return cfg["url"] if cfg else None


_INIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _skip_passt_init_weights():
    """Skip ``PaSST.init_weights`` (truncated-normal init of 86 M parameters, the bulk
    of the build time) for a network whose every parameter is loaded right after."""
    hp = _passt_module()
    with _INIT_LOCK:
        original = hp.PaSST.init_weights
        hp.PaSST.init_weights = lambda self, mode="": None
        try:
            yield
        finally:
            hp.PaSST.init_weights = original


def build_passt(arch: str = DEFAULT_ARCH, seed: int | None = None, init: bool = True) -> nn.Module:
    """hear21passt's PaSST network in eval mode.

    Built with ``get_model(arch, pretrained=False)`` (1 input channel, 527
    classes, 128 x 998 input, 10 x 10 patch strides); hear21passt's own
    prints go to the debug log. ``seed`` makes the random init reproducible
    without touching the global RNG; ``init=False`` leaves PaSST's own weight
    init out, for a network that is about to get a full state dict.
    """
    hp = _passt_module()
    buf = io.StringIO()
    rng = torch.random.fork_rng(devices=[]) if seed is not None else contextlib.nullcontext()
    skip = contextlib.nullcontext() if init else _skip_passt_init_weights()
    with rng, skip, contextlib.redirect_stdout(buf):
        if seed is not None:
            torch.manual_seed(seed)
        net = hp.get_model(arch=arch, pretrained=False, n_classes=527, in_channels=1,
                           fstride=STRIDE, tstride=STRIDE, input_fdim=128, input_tdim=INPUT_TDIM)
    logger.debug("hear21passt get_model(%s) said:\n%s", arch, buf.getvalue()[:2000])
    return net.eval()


def _sdpa_attention_forward(self: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """hear21passt ``Attention.forward`` with the softmax(q k^T / sqrt(d)) v product done by
    ``F.scaled_dot_product_attention`` (fused kernels: flash / memory-efficient on CUDA).
    Same maths and parameters; float32 results differ from the eager code by ~1e-6.
    ``(B, N, C)`` -> ``(B, N, C)``."""
    b, n, c = x.shape
    qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
    drop = self.attn_drop.p if self.training else 0.0
    out = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], dropout_p=drop, scale=self.scale)
    out = out.transpose(1, 2).reshape(b, n, c)
    return self.proj_drop(self.proj(out))


def use_sdpa_attention(net: nn.Module) -> int:
    """Switch every hear21passt ``Attention`` module in ``net`` to
    :func:`_sdpa_attention_forward`; returns how many were switched."""
    attention_cls = _passt_module().Attention
    count = 0
    for module in net.modules():
        if isinstance(module, attention_cls):
            module.forward = types.MethodType(_sdpa_attention_forward, module)
            count += 1
    return count


def load_passt_state_dict(net: nn.Module, state_dict: Mapping[str, Any], source: str = "state dict") -> None:
    """Load PaSST weights strictly: any missing or unexpected key, or a shape
    mismatch, is a :class:`PasstCheckpointError` naming ``source``.

    Accepts the release format (a plain state dict) and ``{"model": state_dict}``
    (as hear21passt's ``checkpoint_filter_fn``); old 3-D patch-embedding
    weights are reshaped to the conv form as there. ImageNet ViT/DeiT
    checkpoints (no ``time_new_pos_embed``) are not PaSST weights and fail.
    """
    if not isinstance(state_dict, Mapping):
        raise PasstCheckpointError(f"{source}: expected a state dict, got {type(state_dict).__name__}")
    if "model" in state_dict and isinstance(state_dict["model"], Mapping):
        state_dict = state_dict["model"]
    sd = dict(state_dict)
    weight = sd.get("patch_embed.proj.weight")
    if isinstance(weight, torch.Tensor) and weight.ndim < 4:
        sd["patch_embed.proj.weight"] = weight.reshape(net.patch_embed.proj.weight.shape)
    expected = set(net.state_dict())
    missing = sorted(expected - set(sd))
    unexpected = sorted(set(sd) - expected)
    if missing or unexpected:
        raise PasstCheckpointError(
            f"{source} does not fit PaSST: missing keys {missing[:10]}"
            f"{' ...' if len(missing) > 10 else ''} ({len(missing)}), unexpected keys "
            f"{unexpected[:10]}{' ...' if len(unexpected) > 10 else ''} ({len(unexpected)})")
    try:
        net.load_state_dict(sd, strict=True)
    except RuntimeError as exc:  # shape mismatches
        raise PasstCheckpointError(f"{source} does not fit PaSST: {exc}") from exc


def read_checkpoint(path: str | Path) -> Mapping[str, Any]:
    """``torch.load(path, weights_only=True)`` on the CPU; an unreadable file is a
    :class:`PasstCheckpointError` naming it."""
    path = Path(path)
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise PasstCheckpointError(
            f"{path}: cannot read PaSST checkpoint ({type(exc).__name__}: {str(exc).strip().splitlines()[0]}); "
            f"if it is a partial download, delete it and fetch it again") from exc


# --- embedder --------------------------------------------------------------------

_DTYPES: dict[str, torch.dtype | None] = {
    "float32": None, "fp32": None, "float": None,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float16": torch.float16, "fp16": torch.float16, "half": torch.float16,
}


def _resolve_device(device: str | torch.device) -> torch.device:
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _resolve_autocast(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype | None:
    """Autocast dtype for the transformer, or ``None`` for plain float32."""
    if dtype is None or dtype == torch.float32:
        return None
    if isinstance(dtype, torch.dtype):
        if dtype not in (torch.bfloat16, torch.float16):
            raise ValueError(f"dtype must be float32, bfloat16 or float16, got {dtype}")
        return dtype
    key = str(dtype).lower()
    if key == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return None
    if key not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; use auto, float32, bfloat16 or float16")
    return _DTYPES[key]


class PasstEmbedder(Embedder):
    """PaSST-S scene embeddings: ``(n, n_samples)`` at 32 kHz -> ``(n, 768)``.

    Args:
        checkpoint: path to the weights; ``None`` looks in the timm / torch hub
            cache (:func:`default_checkpoint_path`). A missing file raises
            :class:`PasstCheckpointMissing` (a ``FileNotFoundError``).
        arch: hear21passt architecture name (``get_model``'s ``arch``; one
            trained on 10 s, 998 frames, hop 320, 10 x 10 patch strides).
        device: ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda:1"``, ...
        dtype: ``"auto"`` (float32 on CPU; bf16 autocast on CUDA, fp16 where
            bf16 is unsupported), ``"float32"``, ``"bfloat16"``, ``"float16"``.
            Weights stay float32; the front-end always runs in float32.
        batch_size: clips (or 10 s windows of longer clips) per forward pass;
            ``None``: 8 on the CPU, 64 on CUDA. :meth:`embed_batch` splits
            whatever it is given into such chunks.
        pretrained: ``False`` builds a randomly initialised network and loads
            nothing, for tests and benchmarks only; it is logged as a warning.
        seed: seed of that random initialisation (``None``: global RNG);
            unused with ``pretrained=True``.
        attention: ``"sdpa"`` computes attention with
            ``torch.nn.functional.scaled_dot_product_attention`` (fused
            kernels; about 1.7x faster on CPU, more on GPU; float32 embeddings
            within ~1e-5 of the eager code), ``"eager"`` runs hear21passt's own
            ``q @ k^T`` code unchanged.
    """

    name = "passt"

    def __init__(self, checkpoint: str | Path | None = None, arch: str = DEFAULT_ARCH,
                 device: str | torch.device = "auto", dtype: str | torch.dtype | None = "auto",
                 batch_size: int | None = None, pretrained: bool = True, seed: int | None = 0,
                 attention: str = "sdpa"):
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if attention not in ("sdpa", "eager"):
            raise ValueError(f"attention must be 'sdpa' or 'eager', got {attention!r}")
        self.arch = arch
        self.device = _resolve_device(device)
        self.autocast_dtype = _resolve_autocast(dtype, self.device)
        self.batch_size = int(batch_size) if batch_size is not None else \
            (64 if self.device.type == "cuda" else 8)
        self.pretrained = bool(pretrained)
        self.checkpoint: Path | None = None

        net: nn.Module | None = None
        if self.pretrained:
            url = checkpoint_url(arch)
            if url is None:
                # arch is an alias (e.g. "openmic"): its URL is in the built model's cfg
                net = build_passt(arch, init=False)
                url = net.default_cfg["url"]
            path = Path(checkpoint).expanduser() if checkpoint is not None else \
                default_checkpoint_path(Path(url).name)
            if not path.is_file():  # fail before spending seconds on building the network
                raise PasstCheckpointMissing(path, url)
            state_dict = read_checkpoint(path)
            net = net if net is not None else build_passt(arch, init=False)
            load_passt_state_dict(net, state_dict, source=str(path))
            del state_dict
            self.checkpoint = path
            logger.info("PaSST %s: loaded weights from %s", arch, path)
        else:
            if checkpoint is not None:
                raise ValueError("checkpoint given together with pretrained=False; drop one of them")
            net = build_passt(arch, seed=seed)
            logger.warning(
                "PaSST %s is RANDOMLY INITIALISED (pretrained=False, seed=%s): no weights were "
                "loaded and its embeddings carry no learned information. Use it only for tests "
                "and benchmarks.", arch, seed)

        if attention == "sdpa":
            use_sdpa_attention(net)
        self.attention = attention
        self.mel = PasstMel().to(self.device).eval()
        self.net = net.to(self.device).eval()
        self.window = int(round(MAX_WINDOW_S * SAMPLE_RATE))
        self.hop = int(round(SCENE_HOP_S * SAMPLE_RATE))
        # Fewest samples giving one 16-frame patch column (and a valid reflect-padded STFT).
        self.min_samples = (PATCH - 1) * self.mel.hop_length + 1
        logger.info("PaSST embedder on %s, %s, %s attention, batch %d", self.device,
                    self.autocast_dtype or torch.float32, attention, self.batch_size)

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    @property
    def dim(self) -> int:
        return EMBED_DIM

    def describe(self) -> dict:
        return {**super().describe(), "arch": self.arch, "pretrained": self.pretrained,
                "checkpoint": str(self.checkpoint) if self.checkpoint else None,
                "device": str(self.device), "attention": self.attention,
                "dtype": str(self.autocast_dtype or torch.float32).replace("torch.", ""),
                "embedding": "mean of final-LayerNorm cls and distillation tokens"}

    # -- internals --

    def features(self, spec: torch.Tensor) -> torch.Tensor:
        """Network part: ``(n, 1, 128, frames)`` log-mel -> ``(n, 768)``, the mean of
        the class and distillation tokens after the final LayerNorm."""
        with warnings.catch_warnings():
            # PatchEmbed warns whenever frames != 998 (also for exactly 10 s).
            warnings.filterwarnings("ignore", message=r"Input image size", category=UserWarning)
            out = self.net.forward_features(spec)
        if isinstance(out, tuple):
            return (out[0] + out[1]) / 2
        return out

    def _forward(self, audio: torch.Tensor) -> torch.Tensor:
        """``(b, n_samples)`` float32 CPU -> ``(b, 768)`` float32 CPU."""
        if self.device.type == "cuda":
            audio = audio.pin_memory().to(self.device, non_blocking=True)
        else:
            audio = audio.to(self.device)
        with torch.inference_mode():
            spec = self.mel(audio).unsqueeze(1)
            with torch.autocast(device_type=self.device.type, dtype=self.autocast_dtype or torch.float32,
                                enabled=self.autocast_dtype is not None):
                emb = self.features(spec)
        return emb.float().cpu()

    def embed_batch(self, batch: np.ndarray) -> np.ndarray:
        """Embed equal-length clips.

        Args:
            batch: float32 ``(n_clips, n_samples)`` at 32 kHz, at least
                :attr:`min_samples` (4801, 0.15 s) long. Up to 10 s goes through
                the network at once; longer clips are averaged over 10 s
                windows with a 2.5 s hop (see the module docstring).
        Returns:
            float32 ``(n_clips, 768)``.
        """
        batch = np.asarray(batch, dtype=np.float32)
        if batch.ndim != 2:
            raise ValueError(f"expected (n_clips, n_samples), got shape {batch.shape}")
        n, n_samples = batch.shape
        if n == 0:
            return np.zeros((0, EMBED_DIM), dtype=np.float32)
        if n_samples < self.min_samples:
            raise ValueError(f"clips of {n_samples} samples are too short for PaSST; need at "
                             f"least {self.min_samples} ({self.min_samples / SAMPLE_RATE:.3f} s)")
        audio = torch.from_numpy(np.ascontiguousarray(batch))
        if n_samples <= self.window:
            out = [self._forward(audio[s:s + self.batch_size]) for s in range(0, n, self.batch_size)]
            return torch.cat(out).numpy().astype(np.float32, copy=False)

        # Longer than 10 s: PasstBasicWrapper.get_scene_embeddings windows.
        pad = self.window // 2
        padded = F.pad(audio.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        windows = padded.unfold(-1, self.window, self.hop)  # view (n, n_windows, window)
        n_windows = windows.shape[1]
        flat = [(i, j) for i in range(n) for j in range(n_windows)]
        out = []
        for s in range(0, len(flat), self.batch_size):
            chunk = torch.stack([windows[i, j] for i, j in flat[s:s + self.batch_size]])
            out.append(self._forward(chunk))
        emb = torch.cat(out).view(n, n_windows, EMBED_DIM).mean(dim=1)
        return emb.numpy().astype(np.float32, copy=False)
