"""Step 5, memory: the peak GPU memory of one decode batch, and the largest batch that fits.

The estimate is built from the model's config (no weights needed) and the fast
path's own buffers, term by term:

* **weights**: every parameter at its dtype (text encoder and decoder at the
  decode dtype, EnCodec at float32), plus the float32 copies of the LM heads;
* **KV cache**: the static cache, ``2 * layers * rows * hidden * positions`` for
  self-attention and ``2 * layers * rows * hidden * text_len`` for
  cross-attention, ``rows = 2 * batch`` with guidance;
* **logits**: float32 ``(rows * K, V)`` and the few same-sized tensors of the
  guidance, top-k and the Gumbel noise;
* **EnCodec**: its last layers hold ``(chunk, 64, samples)`` float32
  activations, a few of them at once (:data:`ENCODEC_LIVE`), ``chunk`` being
  at most :data:`~helpers.generators.musicgen.generator.DECODE_ELEMENTS`
  elements per layer.

:data:`ENCODEC_LIVE` and :data:`OVERHEAD_BYTES` were fitted on the peaks
measured on an H200 (``benchmarks/results/20261126-032730-gpu-full.json``:
47.79 GiB at batch 256, 74.42 GiB at 512); the tests hold the estimate to
those figures. :func:`choose_batch` keeps :data:`MARGIN` of the free memory
spare for the allocator's fragmentation and other processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ...errors import SynthMIRError

ENCODEC_LIVE = 5.0          # (chunk, 64, samples) float32 activations alive at EnCodec's peak
ENCODEC_CHANNELS = 64       # width of EnCodec's last decoder layers (num_filters)
LOGITS_LIVE = 6             # float32 (rows * K, V) tensors alive during one sampling step
OVERHEAD_BYTES = 1.0 * 2**30  # CUDA context aside: allocator slack, text-encoder activations, small buffers
MARGIN = 0.10               # share of the free memory left unused by batch_size: auto
GiB = 2**30


class BatchTooLarge(SynthMIRError, ValueError):
    """An explicit decode batch that cannot fit on the device."""


@dataclass(frozen=True)
class MemoryEstimate:
    batch: int
    weights: int
    kv_cache: int
    logits: int
    encodec: int
    overhead: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.logits + self.encodec + self.overhead

    def describe(self) -> str:
        parts = ", ".join(f"{name} {getattr(self, name) / GiB:.1f}"
                          for name in ("weights", "kv_cache", "logits", "encodec", "overhead"))
        return f"{self.total / GiB:.1f} GiB for a batch of {self.batch} ({parts})"


def _param_counts(config) -> dict[str, int]:
    """Parameters of each part of a ``MusicgenForConditionalGeneration`` built from ``config`` on the meta device."""
    from transformers import MusicgenForConditionalGeneration

    with torch.device("meta"):
        net = MusicgenForConditionalGeneration(config)
    return param_counts(net)


def param_counts(net) -> dict[str, int]:
    """Parameters of each part of a built MusicGen model (what :func:`estimate_peak` needs)."""
    counts = {name: sum(p.numel() for p in getattr(net, name).parameters())
              for name in ("text_encoder", "audio_encoder", "decoder")}
    proj = getattr(net, "enc_to_dec_proj", None)
    counts["enc_to_dec_proj"] = sum(p.numel() for p in proj.parameters()) if proj is not None else 0
    counts["lm_heads"] = sum(p.numel() for p in net.decoder.lm_heads.parameters())
    return counts


def encodec_chunk(config, duration_s: float, decode_elements: int | None = None) -> int:
    """Clips per EnCodec call by the element cap alone (as ``MusicGenGenerator.decode_codes``)."""
    from .generator import DECODE_ELEMENTS

    decode_elements = DECODE_ELEMENTS if decode_elements is None else decode_elements
    return max(1, decode_elements // (ENCODEC_CHANNELS * _samples(config, duration_s)))


def _samples(config, duration_s: float) -> int:
    audio = config.audio_encoder
    return math.ceil(duration_s * float(audio.frame_rate) - 1e-9) * int(audio.hop_length)


def estimate_peak(config, batch: int, duration_s: float = 10.0, dtype: torch.dtype = torch.bfloat16,
                  guidance: bool = True, text_len: int = 64, decode_elements: int | None = None,
                  counts: dict[str, int] | None = None, chunk: int | None = None) -> MemoryEstimate:
    """The peak memory (bytes, by term) of decoding ``batch`` clips of ``duration_s`` with the fast path
    (EnCodec decoding ``chunk`` clips at a time; default: as many as the element cap allows)."""
    from .generator import DECODE_ELEMENTS

    decode_elements = DECODE_ELEMENTS if decode_elements is None else decode_elements
    counts = counts or _param_counts(config)
    size = torch.empty((), dtype=dtype).element_size()
    dec, audio = config.decoder, config.audio_encoder
    weights = ((counts["text_encoder"] + counts["decoder"] + counts["enc_to_dec_proj"]) * size
               + counts["audio_encoder"] * 4)
    if dtype != torch.float32:
        weights += counts["lm_heads"] * 4  # the float32 heads of cast_for_decoding
    rows = batch * (2 if guidance else 1)
    frame_rate = float(audio.frame_rate)
    n_frames = math.ceil(duration_s * frame_rate - 1e-9)
    positions = 1 + n_frames + int(dec.num_codebooks) - 1
    hidden, layers = int(dec.hidden_size), int(dec.num_hidden_layers)
    kv = 2 * layers * rows * hidden * (positions + text_len) * size
    logits = LOGITS_LIVE * rows * int(dec.num_codebooks) * int(dec.vocab_size) * 4
    samples = n_frames * int(audio.hop_length)
    chunk = min(batch, chunk or encodec_chunk(config, duration_s, decode_elements))
    encodec = int(ENCODEC_LIVE * chunk * ENCODEC_CHANNELS * samples * 4)
    return MemoryEstimate(batch, int(weights), int(kv), int(logits), encodec, int(OVERHEAD_BYTES))


def largest_batch(config, free_bytes: int, margin: float = MARGIN, limit: int = 4096, **kwargs) -> int:
    """The largest batch whose estimate fits in ``(1 - margin) * free_bytes`` (0: not even one clip)."""
    budget = (1.0 - margin) * free_bytes
    counts = kwargs.pop("counts", None) or _param_counts(config)
    fits = lambda b: estimate_peak(config, b, counts=counts, **kwargs).total <= budget  # noqa: E731
    if not fits(1):
        return 0
    lo, hi = 1, 2
    while hi <= limit and fits(hi):
        lo, hi = hi, hi * 2
    hi = min(hi, limit + 1)
    while hi - lo > 1:  # fits(lo), not fits(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def device_memory(device: torch.device) -> tuple[int, int]:
    """``(free, total)`` bytes of a CUDA device (``torch.cuda.mem_get_info``)."""
    free, total = torch.cuda.mem_get_info(device)
    return int(free), int(total)


def auto_chunk(config, free_bytes: int, duration_s: float = 10.0, decode_elements: int | None = None) -> int:
    """EnCodec's clips per call for ``batch_size: auto``: the element cap, lowered so that EnCodec's
    activations take at most :data:`ENCODEC_SHARE` of the budget (on a 24 GB card the cap's 52 clips
    would take most of it, and leave little room for the KV cache)."""
    per_clip = ENCODEC_LIVE * ENCODEC_CHANNELS * _samples(config, duration_s) * 4
    by_share = int(ENCODEC_SHARE * (1.0 - MARGIN) * free_bytes // per_clip)
    return max(1, min(encodec_chunk(config, duration_s, decode_elements), by_share))


ENCODEC_SHARE = 0.25  # with batch_size: auto, EnCodec's chunk takes at most this share of the budget


def choose_batch(config, requested, device: torch.device, setting: str = "generation.options.batch_size",
                 **kwargs) -> tuple[int | None, str, int | None]:
    """Resolve a decode batch against the device's memory: ``(batch, why, encodec chunk or None)``.

    ``requested`` ``"auto"``: the largest batch that fits with :data:`MARGIN` spare,
    EnCodec decoding in chunks of :func:`auto_chunk` (on the CPU, None: the stage's
    batch as it comes). An int: kept when it fits, else :class:`BatchTooLarge`
    naming ``setting`` and the largest size that fits.
    """
    if device.type != "cuda":
        if requested == "auto":
            return None, "on the CPU: no memory rule, each batch the stage hands over is decoded at once", None
        return int(requested), f"batch {int(requested)} (on the CPU: not checked against memory)", None
    free, total = device_memory(device)
    counts = kwargs.pop("counts", None) or _param_counts(config)
    chunk = None
    if requested == "auto":
        chunk = auto_chunk(config, free, kwargs.get("duration_s", 10.0), kwargs.get("decode_elements"))
        kwargs["chunk"] = chunk
    best = largest_batch(config, free, counts=counts, **kwargs)
    where = f"{free / GiB:.1f} GiB free of {total / GiB:.1f} GiB on {torch.cuda.get_device_name(device)}"
    if best == 0:
        need = estimate_peak(config, 1, counts=counts, **kwargs)
        raise BatchTooLarge(f"MusicGen does not fit on {device}: one clip needs {need.describe()}, "
                            f"and {where}. Free the GPU or use a larger one.")
    if requested == "auto":
        est = estimate_peak(config, best, counts=counts, **kwargs)
        return best, (f"batch_size auto: {best}, the largest batch whose estimated peak ({est.describe()}; "
                      f"EnCodec {chunk} clips at a time) fits in {100 * (1 - MARGIN):.0f} % of the {where}"), chunk
    requested = int(requested)
    est = estimate_peak(config, requested, counts=counts, **kwargs)
    if requested > best:
        raise BatchTooLarge(
            f"{setting}: {requested} does not fit on {device}: its estimated peak is {est.describe()}, "
            f"and {where}. The largest batch that fits is {best}; set {setting}: {best} "
            f"(or auto, which picks it).")
    return requested, f"batch {requested}: estimated peak {est.describe()}, {where}", None
