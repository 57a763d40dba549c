"""MusicGen generator backends: ``musicgen`` (transformers) and ``audiocraft``.

``musicgen`` runs :class:`transformers.MusicgenForConditionalGeneration` with
its processor, loaded by hub id (default ``facebook/musicgen-small``) or from a
local folder. It has two decoding paths that share tokenization, settings and
the EnCodec decoder:

* ``fast=True`` (default): this module's own decode loop. Classifier-free
  guidance is batched (conditional and unconditional rows in one forward),
  the KV cache is preallocated (``kv_cache="static"``, this module's single
  token decoder step over the model's own weights, SDPA attention, optionally
  ``torch.compile``-d; CUDA graphs on GPU) or transformers' ``DynamicCache``
  (``kv_cache="dynamic"``, the model's decoder module), and each clip draws
  its sampling noise from its own seed (see *Reproducibility*).
* ``fast=False``: the plain path, one call to ``model.generate``. It samples
  with the global torch RNG, seeded once per batch.

Memory of the static cache: ``2 * layers * rows * hidden * (steps + 1)``
values, ``rows = 2 * batch`` with guidance; for musicgen-small (24 x 1024),
10 s (504 positions) in bf16 that is about 50 MB per row, 25 GB for a batch
of 256 clips.

Both paths apply the same sampling pipeline as ``generate``: guidance
``uncond + g * (cond - uncond)`` on the float32 logits, then temperature,
top-k, top-p, then sampling; with greedy decoding they produce the same
tokens (tested on a tiny model).

Reproducibility
---------------
Fast path: the noise of clip ``i`` at decode step ``t`` is a pure function of
``(seed_i, t, codebook, token)`` (a counter-based hash turned into Gumbel
noise; Gumbel-max sampling is exact sampling from the softmax). It does not
depend on the batch, the batch position, the device or any global RNG state.
So a clip's tokens depend only on its prompt, its seed and the settings --
*as long as the logits are bitwise the same*. The logits can differ in the
last bits when the batch composition changes (matrix-multiply kernels may
block reductions differently for different batch sizes, notably cuBLAS on
GPU; on the CPU the tests observe identical tokens). A last-bit difference
changes a sampled token only when two candidates are within that rounding of
each other after the noise is added, which is rare; but from the first
changed token on, the rest of that clip differs. Text is padded to a fixed
length bucket (``text_pad_multiple``) so that the padding does not depend on
the other prompts in the batch. Exactly repeatable: the same clip re-run with
the same batch composition, batch size, device, dtype and library versions.
The audio comes from batched EnCodec decoding, identical tokens give audio
equal to float rounding (about 1e-6) across batch compositions.

Plain path (``fast=False``): ``generate`` samples with ``torch.multinomial``
on the global RNG, which this backend seeds with the first request's seed
inside a forked RNG state. Output is repeatable for the same batch (same
prompts, seeds, order and batch size) on the same device and versions, but a
clip's audio depends on the rest of its batch.

AudioCraft (``audiocraft`` backend): see :class:`AudioCraftGenerator`.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..generation import ClipRequest, Generator

log = logging.getLogger(__name__)

DEFAULT_MODEL = "facebook/musicgen-small"

#: what a model folder (or hub snapshot) must hold: for each need, the files that satisfy it (any one)
NEEDED_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model config", ("config.json",)),
    ("weights", ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")),
    ("tokenizer", ("tokenizer.json", "spiece.model")),
    ("feature extractor", ("preprocessor_config.json", "processor_config.json")),
)


def _describe_missing(has: Any) -> list[str]:
    """Names of the needs ``has(filename) -> bool`` does not meet, e.g. ``"model.safetensors (weights)"``."""
    missing = []
    for need, names in NEEDED_FILES:
        if not any(has(name) for name in names):
            alternatives = names[:1] + tuple(n for n in names[1:] if not n.endswith(".index.json"))
            missing.append(" or ".join(alternatives) + f" ({need})")
    return missing


_TRUE = {"1", "true", "yes", "on"}


class MissingWeightsError(FileNotFoundError):
    """Model files are not where they were looked for; the message says how to place them."""


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def _resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


_DTYPES = {
    "fp32": torch.float32, "float32": torch.float32, "float": torch.float32,
    "fp16": torch.float16, "float16": torch.float16, "half": torch.float16,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
}


def _resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """``"auto"`` -> float32 on CPU, bfloat16 on CUDA (float16 where bf16 is unsupported)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    try:
        return _DTYPES[str(dtype).lower()]
    except KeyError:
        raise ValueError(f"unknown dtype {dtype!r}; use one of auto, {', '.join(sorted(_DTYPES))}") from None


def _offline_from_env() -> bool:
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_cache_dir(cache_dir: str | os.PathLike | None) -> str:
    if cache_dir is not None:
        return str(cache_dir)
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except Exception:  # pragma: no cover - huggingface_hub always ships with transformers
        return os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub")


def _looks_like_path(model: str) -> bool:
    """A local folder (absolute, ``./``/``~``-relative, existing, or deeper than ``owner/name``) rather than a hub id."""
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or "\\" in model
        or model.count("/") > 1
        or Path(model).expanduser().exists()
    )


def _how_to_place(repo_id: str, cache_dir: str | os.PathLike | None) -> str:
    cache_flag = f" --cache-dir {cache_dir}" if cache_dir is not None else ""
    cache = _hub_cache_dir(cache_dir)
    return (
        "How to place the model: on a machine with internet access run\n"
        f"    hf download {repo_id}{cache_flag}\n"
        f"(older huggingface_hub: `huggingface-cli download {repo_id}{cache_flag}`) and copy the resulting "
        f"models--{repo_id.replace('/', '--')} folder into {cache} here (or point HF_HUB_CACHE / the `cache_dir` "
        "option at the copied cache); or put the model files in any folder (config.json, generation_config.json, "
        "model.safetensors or pytorch_model.bin, tokenizer.json or spiece.model, preprocessor_config.json), e.g. "
        f"`hf download {repo_id} --local-dir /path/to/musicgen-small`, and set the generation option "
        "`model: /path/to/musicgen-small`."
    )


def _hub_reachable(timeout: float = 3.0) -> bool:
    """Whether a TCP connection to the hub endpoint (``HF_ENDPOINT``) opens within ``timeout`` seconds."""
    import socket
    from urllib.parse import urlparse

    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname or "huggingface.co", port), timeout=timeout):
            return True
    except OSError:
        return False


def _check_local_folder(folder: Path, hint_repo: str) -> None:
    """Raise :class:`MissingWeightsError` naming whatever a model folder lacks."""
    if not folder.is_dir():
        raise MissingWeightsError(
            f"MusicGen model folder {folder} does not exist.\n" + _how_to_place(hint_repo, None)
        )
    missing = _describe_missing(lambda name: (folder / name).is_file())
    if missing:
        raise MissingWeightsError(
            f"MusicGen model folder {folder} is missing: {'; '.join(missing)}.\n"
            f"Looked in: {folder.resolve()}\n" + _how_to_place(hint_repo, None)
        )


def _check_hub_cache(repo_id: str, cache_dir: str | os.PathLike | None, reason: str) -> None:
    """Offline: raise :class:`MissingWeightsError` unless the hub cache holds the files."""
    from huggingface_hub import try_to_load_from_cache

    def cached(name: str) -> bool:
        try:
            found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
        except Exception:  # an invalid repo id, for example
            return False
        return isinstance(found, str) and os.path.isfile(found)

    missing = _describe_missing(cached)
    if missing:
        where = _hub_cache_dir(cache_dir)
        raise MissingWeightsError(
            f"MusicGen model {repo_id!r}: {'; '.join(missing)} not found in the Hugging Face cache "
            f"({reason}; nothing is downloaded).\n"
            f"Looked in: {where} (repo folder models--{repo_id.replace('/', '--')})\n"
            + _how_to_place(repo_id, cache_dir)
        )


def load_musicgen(
    model: str | os.PathLike = DEFAULT_MODEL,
    cache_dir: str | os.PathLike | None = None,
    local_files_only: bool | None = None,
) -> tuple[nn.Module, Any]:
    """Load ``(MusicgenForConditionalGeneration, processor)`` by hub id or local folder.

    ``local_files_only=None`` means offline when ``HF_HUB_OFFLINE`` (or
    ``TRANSFORMERS_OFFLINE``) is set; otherwise the hub is asked and, when it
    cannot be reached, transformers uses the cached files of that same repo.
    Nothing falls back to other weights: any missing file raises
    :class:`MissingWeightsError` naming the file, where it was looked for and
    how to place it.
    """
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    model = str(model)
    is_path = _looks_like_path(model)
    reason = "local_files_only=True"
    if local_files_only is None:
        local_files_only = _offline_from_env()
        reason = "offline mode: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set"
        if not local_files_only and not is_path and not _hub_reachable():
            log.info("Hugging Face hub not reachable: loading %s from the local cache only", model)
            local_files_only = True
            reason = f"the hub ({os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}) is not reachable"
    kwargs: dict[str, Any] = {"cache_dir": cache_dir, "local_files_only": bool(local_files_only)}
    if is_path:
        folder = Path(model).expanduser()
        _check_local_folder(folder, DEFAULT_MODEL)
        source = str(folder)
    else:
        if local_files_only:
            _check_hub_cache(model, cache_dir, reason)
        source = model
    try:
        # transformers picks SDPA for the decoder and text encoder by default (EnCodec has no attention choice)
        net = MusicgenForConditionalGeneration.from_pretrained(source, **kwargs)
        processor = AutoProcessor.from_pretrained(source, **kwargs)
    except OSError as exc:  # transformers / huggingface_hub report missing files and an unreachable hub as OSError
        if is_path:
            where = f"the folder {Path(source).resolve()}"
        else:
            where = f"the Hugging Face cache at {_hub_cache_dir(cache_dir)}"
            if not local_files_only:
                where = f"the hub ({os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}) and " + where
        raise MissingWeightsError(
            f"Could not load MusicGen model {model!r} (looked in {where}; local_files_only={bool(local_files_only)}): "
            f"{exc}\n" + _how_to_place(DEFAULT_MODEL if is_path else model, cache_dir)
        ) from exc
    return net, processor


# --------------------------------------------------------------------------
# counter-based per-clip noise
# --------------------------------------------------------------------------

_M32 = 0xFFFFFFFF


def _mul32(x: torch.Tensor, c: int) -> torch.Tensor:
    """``(x * c) mod 2**32`` for int64 ``x`` in ``[0, 2**32)`` without int64 overflow."""
    lo = x & 0xFFFF
    hi = x >> 16
    return (lo * c + (((hi * c) & 0xFFFF) << 16)) & _M32


def _hash32(x: torch.Tensor) -> torch.Tensor:
    """A 32-bit integer mixer (``lowbias32``) on int64 tensors holding values in ``[0, 2**32)``."""
    x = x ^ (x >> 16)
    x = _mul32(x, 0x7FEB352D)
    x = x ^ (x >> 15)
    x = _mul32(x, 0x846CA68B)
    return x ^ (x >> 16)


def seed_keys(seeds: Sequence[int], device: torch.device | str = "cpu") -> torch.Tensor:
    """Per-clip hash keys ``(B,)`` int64 in ``[0, 2**32)`` from integer seeds (any size; taken mod 2**64)."""
    vals = [int(s) % (1 << 64) for s in seeds]
    lo = torch.tensor([v & _M32 for v in vals], dtype=torch.int64, device=device)
    hi = torch.tensor([v >> 32 for v in vals], dtype=torch.int64, device=device)
    return _hash32(_hash32(lo ^ 0x9E3779B9) ^ hi)


def gumbel_noise(keys: torch.Tensor, step: int, n_codebooks: int, vocab: int) -> torch.Tensor:
    """Gumbel noise ``(B, n_codebooks, vocab)`` float32, a pure function of ``(key, step, codebook, token)``.

    Uniforms have 24 random bits, centred in their bins, so they lie strictly
    inside ``(0, 1)``; ``-log(-log(u))`` turns them into standard Gumbel noise.
    """
    device = keys.device
    k_step = _hash32(keys ^ (int(step) & _M32))  # (B,)
    cells = torch.arange(n_codebooks * vocab, device=device, dtype=torch.int64).view(1, n_codebooks, vocab)
    h = _hash32(_hash32(k_step.view(-1, 1, 1) ^ cells) ^ 0x5BD1E995)
    u = ((h >> 8).to(torch.float32) + 0.5) * (1.0 / (1 << 24))
    return -torch.log(-torch.log(u))


def process_logits(
    scores: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 0.0
) -> torch.Tensor:
    """Temperature, top-k, top-p on float32 logits ``(..., V)``, in transformers' order and semantics.

    ``top_k <= 0`` and ``top_p`` outside ``(0, 1)`` disable that filter
    (AudioCraft's convention: ``top_p=0`` means off). Removed entries are ``-inf``.
    """
    if temperature != 1.0:
        scores = scores / temperature
    vocab = scores.shape[-1]
    if top_k and top_k > 0 and top_k < vocab:
        kth = torch.topk(scores, int(top_k), dim=-1).values[..., -1:]
        scores = scores.masked_fill(scores < kth, float("-inf"))
    if top_p and 0.0 < top_p < 1.0:
        sorted_logits, sorted_idx = torch.sort(scores, descending=False, dim=-1)
        cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
        remove_sorted = cum <= (1 - top_p)
        remove_sorted[..., -1:] = False  # keep at least one token
        remove = remove_sorted.scatter(-1, sorted_idx, remove_sorted)
        scores = scores.masked_fill(remove, float("-inf"))
    return scores


# --------------------------------------------------------------------------
# the static-cache decoder step
# --------------------------------------------------------------------------

class StaticDecoderStep(nn.Module):
    """One-token MusicGen decoder step over a preallocated KV cache.

    Uses the modules (and so the weights and dtype) of a transformers
    ``MusicgenForCausalLM``; re-implements only the wiring of its forward for
    a single new token: summed codebook embeddings + sinusoidal position,
    pre-LN layers (causal self-attention over the cache, cross-attention over
    precomputed text keys/values, GELU MLP), final LayerNorm, one LM head per
    codebook. All shapes are fixed for a given ``(rows, max_len, text_len)``,
    so the step can be compiled / captured in a CUDA graph.

    Buffers: ``self_k``/``self_v`` ``(layers, rows, heads, max_len, head_dim)``;
    ``cross_k``/``cross_v`` ``(layers, rows, heads, text_len, head_dim)``;
    ``cross_bias`` ``(rows, 1, 1, text_len)`` additive mask.
    """

    def __init__(self, decoder: nn.Module, rows: int, max_len: int, text_len: int):
        super().__init__()
        self.lm = decoder  # MusicgenForCausalLM
        core = decoder.model.decoder
        cfg = decoder.config
        self.core = core
        self.num_codebooks = int(cfg.num_codebooks)
        self.heads = int(cfg.num_attention_heads)
        self.hidden = int(cfg.hidden_size)
        self.head_dim = self.hidden // self.heads
        self.rows, self.max_len, self.text_len = rows, max_len, text_len
        p = next(decoder.parameters())
        n_layers = len(core.layers)
        shape_self = (n_layers, rows, self.heads, max_len, self.head_dim)
        shape_cross = (n_layers, rows, self.heads, text_len, self.head_dim)
        self.register_buffer("self_k", torch.zeros(shape_self, dtype=p.dtype, device=p.device), persistent=False)
        self.register_buffer("self_v", torch.zeros(shape_self, dtype=p.dtype, device=p.device), persistent=False)
        self.register_buffer("cross_k", torch.zeros(shape_cross, dtype=p.dtype, device=p.device), persistent=False)
        self.register_buffer("cross_v", torch.zeros(shape_cross, dtype=p.dtype, device=p.device), persistent=False)
        self.register_buffer(
            "cross_bias", torch.zeros((rows, 1, 1, text_len), dtype=p.dtype, device=p.device), persistent=False
        )
        self.register_buffer("positions", torch.arange(max_len, device=p.device), persistent=False)
        if core.embed_positions.weights.shape[0] < max_len:
            core.embed_positions.make_weights(max_len, self.hidden)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, L, D)`` -> ``(N, heads, L, head_dim)``."""
        n, length, _ = x.shape
        return x.view(n, length, self.heads, self.head_dim).transpose(1, 2)

    @torch.no_grad()
    def set_text(self, encoder_states: torch.Tensor, encoder_mask: torch.Tensor) -> None:
        """Precompute cross-attention keys/values.

        ``encoder_states`` ``(rows, text_len, hidden)`` (already projected and
        masked), ``encoder_mask`` ``(rows, text_len)`` 1 = real token.
        """
        states = encoder_states.to(self.cross_k.dtype)
        for i, layer in enumerate(self.core.layers):
            attn = layer.encoder_attn
            self.cross_k[i].copy_(self._split(attn.k_proj(states)))
            self.cross_v[i].copy_(self._split(attn.v_proj(states)))
        neg = torch.finfo(self.cross_bias.dtype).min
        bias = torch.where(encoder_mask.bool(), 0.0, neg).to(self.cross_bias.dtype)
        self.cross_bias.copy_(bias.view(self.rows, 1, 1, self.text_len))

    def forward(self, tokens: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """``tokens`` ``(rows * K,)`` int64 at position ``pos`` ``(1,)`` -> logits ``(rows * K, V)``."""
        core = self.core
        codes = tokens.view(self.rows, self.num_codebooks)
        h = core.embed_tokens[0](codes[:, 0])
        for k in range(1, self.num_codebooks):
            h = h + core.embed_tokens[k](codes[:, k])
        h = h.unsqueeze(1) + core.embed_positions.weights.index_select(0, pos).to(h.device)  # (N, 1, D)
        self_mask = (self.positions <= pos).view(1, 1, 1, self.max_len)
        sdpa = nn.functional.scaled_dot_product_attention
        for i, layer in enumerate(core.layers):
            sa = layer.self_attn
            residual = h
            x = layer.self_attn_layer_norm(h)
            q = self._split(sa.q_proj(x))
            self.self_k[i].index_copy_(2, pos, self._split(sa.k_proj(x)))
            self.self_v[i].index_copy_(2, pos, self._split(sa.v_proj(x)))
            a = sdpa(q, self.self_k[i], self.self_v[i], attn_mask=self_mask, scale=sa.scaling)
            h = residual + sa.out_proj(a.transpose(1, 2).reshape(self.rows, 1, self.hidden))

            ca = layer.encoder_attn
            residual = h
            x = layer.encoder_attn_layer_norm(h)
            q = self._split(ca.q_proj(x))
            a = sdpa(q, self.cross_k[i], self.cross_v[i], attn_mask=self.cross_bias, scale=ca.scaling)
            h = residual + ca.out_proj(a.transpose(1, 2).reshape(self.rows, 1, self.hidden))

            residual = h
            x = layer.final_layer_norm(h)
            h = residual + layer.fc2(layer.activation_fn(layer.fc1(x)))
        h = core.layer_norm(h)
        logits = torch.stack([head(h[:, 0]) for head in self.lm.lm_heads], dim=1)  # (N, K, V)
        return logits.reshape(self.rows * self.num_codebooks, -1)


class _RecordCodes:
    """Context manager: records the codes ``generate`` hands to the EnCodec decoder (plain path).

    ``generate`` returns only audio, and in transformers 5.x its ``streamer``
    argument does not reach the sampling loop; the codes it decodes are the
    reliable record of its tokens. The wrapper is set on the instance and
    removed on exit.
    """

    def __init__(self, audio_encoder: nn.Module):
        self.audio_encoder = audio_encoder
        self.codes: list[torch.Tensor] = []

    def __enter__(self) -> "_RecordCodes":
        original = self.audio_encoder.decode

        def decode(audio_codes, *args, **kwargs):
            self.codes.append(audio_codes.detach())
            return original(audio_codes, *args, **kwargs)

        self.audio_encoder.decode = decode
        return self

    def __exit__(self, *exc) -> None:
        del self.audio_encoder.decode  # back to the class method


# --------------------------------------------------------------------------
# the backend
# --------------------------------------------------------------------------

DECODE_ELEMENTS = 2**30  # EnCodec decodes at most this many activation elements per layer at once


class MusicGenGenerator(Generator):
    """MusicGen through transformers: prompts -> mono float32 clips at the EnCodec rate (32 kHz for musicgen-small).

    Options (all from the generation config):

    ``model``: hub id or local folder (default ``facebook/musicgen-small``),
    or an already built ``MusicgenForConditionalGeneration`` (then pass
    ``processor`` too; see :meth:`from_model`). ``guidance_scale`` (3.0;
    ``<= 1`` disables classifier-free guidance, as in transformers),
    ``top_k`` (250; ``0`` off), ``top_p`` (0.0 = off), ``temperature`` (1.0),
    ``do_sample`` (True; False = greedy), ``batch_size`` (None: decode each
    batch the caller hands over, i.e. the stage's ``generation.batch_size``,
    in one go; an int caps it, e.g. to bound GPU memory), ``dtype`` (``"auto"``: float32 on CPU,
    bfloat16 on CUDA; the EnCodec decoder always runs in float32), ``device``
    (``"auto"``), ``fast`` (True: own decode loop with per-clip seeds; False:
    ``model.generate``), ``kv_cache`` (``"static"`` or ``"dynamic"``, fast
    path only), ``compile`` (False; True compiles the static decoder step,
    with CUDA graphs on GPU), ``text_pad_multiple`` (64: prompt tokens are
    padded to a multiple of this), ``cache_dir``, ``local_files_only``
    (None: offline when ``HF_HUB_OFFLINE`` is set).
    """

    name = "musicgen"

    def __init__(
        self,
        duration_s: float = 10.0,
        model: Any = DEFAULT_MODEL,
        processor: Any = None,
        guidance_scale: float = 3.0,
        top_k: int = 250,
        top_p: float = 0.0,
        temperature: float = 1.0,
        do_sample: bool = True,
        batch_size: int | None = None,
        dtype: str | torch.dtype = "auto",
        device: str | torch.device = "auto",
        fast: bool = True,
        kv_cache: str = "static",
        compile: bool = False,
        text_pad_multiple: int = 64,
        cache_dir: str | os.PathLike | None = None,
        local_files_only: bool | None = None,
        **options: Any,
    ):
        super().__init__(duration_s=duration_s)
        if options:
            log.warning("musicgen backend ignores unknown options: %s", ", ".join(sorted(options)))
        if temperature <= 0 and do_sample:
            raise ValueError(f"temperature must be > 0 when sampling, got {temperature}")
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {batch_size}")
        if kv_cache not in ("static", "dynamic"):
            raise ValueError(f"kv_cache must be 'static' or 'dynamic', got {kv_cache!r}")
        if int(text_pad_multiple) < 1:
            raise ValueError(f"text_pad_multiple must be >= 1, got {text_pad_multiple}")
        self.guidance_scale = float(guidance_scale)
        self.top_k = int(top_k or 0)
        self.top_p = float(top_p or 0.0)
        self.temperature = float(temperature)
        self.do_sample = bool(do_sample)
        self.batch_size = int(batch_size) if batch_size is not None else None
        self.fast = bool(fast)
        self.kv_cache = kv_cache
        self.compile = bool(compile)
        self.text_pad_multiple = int(text_pad_multiple)
        self.device = _resolve_device(device)
        self.dtype = _resolve_dtype(dtype, self.device)

        if isinstance(model, nn.Module):
            if processor is None:
                raise ValueError("a prebuilt MusicGen model needs its `processor` (or tokenizer) too")
            self.model_name = getattr(model.config, "_name_or_path", "") or "<prebuilt>"
            net = model
        else:
            self.model_name = str(model)
            net, processor = load_musicgen(model, cache_dir=cache_dir, local_files_only=local_files_only)
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        net.eval()
        net.to(device=self.device, dtype=self.dtype)
        net.audio_encoder.to(dtype=torch.float32)  # EnCodec decoding at full precision
        self.model = net

        cfg = net.config
        self.num_codebooks = int(cfg.decoder.num_codebooks)
        if int(cfg.decoder.audio_channels) != 1:
            raise ValueError("only mono MusicGen checkpoints are supported (decoder.audio_channels must be 1)")
        self.vocab_size = int(cfg.decoder.vocab_size)
        self.frame_rate = float(cfg.audio_encoder.frame_rate)
        self.hop_length = int(cfg.audio_encoder.hop_length)
        gen_cfg = net.generation_config
        start = getattr(gen_cfg, "decoder_start_token_id", None)
        self.start_token_id = int(start if start is not None else cfg.decoder.pad_token_id)
        pad = getattr(gen_cfg, "pad_token_id", None)
        self.pad_token_id = int(pad if pad is not None else cfg.decoder.pad_token_id)
        self.n_frames = int(math.ceil(self.duration_s * self.frame_rate - 1e-9))
        self.max_new_tokens = self.n_frames + self.num_codebooks - 1
        self.n_samples = int(round(self.duration_s * self.sample_rate))
        # the static decoder step (KV buffers) of the last batch shape, kept for reuse across batches
        self._steppers: dict[tuple[int, int], StaticDecoderStep] = {}
        self._compiled: dict[tuple[int, int], Any] = {}

    @classmethod
    def from_model(cls, model: nn.Module, processor: Any, **options: Any) -> "MusicGenGenerator":
        """Wrap an already built ``MusicgenForConditionalGeneration`` and its processor (or tokenizer)."""
        return cls(model=model, processor=processor, **options)

    # -- properties ---------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        return int(self.model.config.audio_encoder.sampling_rate)

    def describe(self) -> dict:
        info = super().describe()
        info.update(
            model=self.model_name, guidance_scale=self.guidance_scale, top_k=self.top_k, top_p=self.top_p,
            temperature=self.temperature, do_sample=self.do_sample, batch_size=self.batch_size,
            dtype=str(self.dtype).replace("torch.", ""), device=str(self.device), fast=self.fast,
            kv_cache=self.kv_cache if self.fast else None, compile=self.compile if self.fast else None,
            n_frames=self.n_frames, frame_rate=self.frame_rate,
        )
        return info

    # -- public API ---------------------------------------------------------

    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        """One float32 clip ``(n_samples,)`` at :attr:`sample_rate` per request."""
        out: list[np.ndarray] = []
        step = self.batch_size or max(len(requests), 1)
        for start in range(0, len(requests), step):
            chunk = list(requests[start : start + step])
            prompts = [r.prompt for r in chunk]
            seeds = [int(r.seed) for r in chunk]
            audio = self.generate_audio(prompts, seeds)
            out.extend(np.ascontiguousarray(a, dtype=np.float32) for a in audio.cpu().numpy())
        return out

    def generate_audio(self, prompts: Sequence[str], seeds: Sequence[int]) -> torch.Tensor:
        """Prompts + seeds -> audio ``(B, n_samples)`` float32 on the CPU."""
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if not self.fast and prompts:
            return self._run_plain(prompts, seeds)[1]
        return self.decode_codes(self.generate_codes(prompts, seeds))

    def generate_codes(self, prompts: Sequence[str], seeds: Sequence[int]) -> torch.Tensor:
        """Prompts + seeds -> EnCodec codes ``(B, K, n_frames)`` int64, with the delay pattern undone."""
        if len(prompts) != len(seeds):
            raise ValueError(f"{len(prompts)} prompts but {len(seeds)} seeds")
        if not prompts:
            return torch.zeros((0, self.num_codebooks, self.n_frames), dtype=torch.long)
        if self.fast:
            return self._codes_fast(prompts, seeds)
        return self._run_plain(prompts, seeds)[0]

    @torch.no_grad()
    def decode_codes(self, codes: torch.Tensor) -> torch.Tensor:
        """Codes ``(B, K, n_frames)`` -> audio ``(B, n_samples)`` float32 on the CPU, in batched EnCodec calls."""
        enc = self.model.audio_encoder
        codes = codes.to(self.device)
        # in chunks: EnCodec's last layers hold (B, 64, n_samples) activations, and past 2**31 elements
        # (about 100 clips of 10 s) CUDA's padding kernels refuse the tensor ("must fit into 32-bit index math")
        chunk = max(1, DECODE_ELEMENTS // (64 * max(self.n_samples, 1)))
        parts = []
        for s in range(0, codes.shape[0], chunk):
            part = codes[s : s + chunk]
            values = enc.decode(part[None], [None] * part.shape[0]).audio_values  # (b, 1, n_frames * hop)
            parts.append(values[:, 0, : self.n_samples].float().cpu())
        audio = torch.cat(parts, dim=0) if parts else torch.zeros((0, self.n_samples))
        if audio.shape[1] < self.n_samples:
            audio = nn.functional.pad(audio, (0, self.n_samples - audio.shape[1]))
        return audio

    # -- shared pieces --------------------------------------------------------

    def _tokenize(self, prompts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompts -> ``input_ids``, ``attention_mask`` ``(B, S)``, right-padded to a multiple of ``text_pad_multiple``.

        Each prompt is tokenized alone, so the ids never depend on the batch.
        """
        ids = [list(x) for x in self.tokenizer(list(prompts), padding=False)["input_ids"]]
        longest = max(len(x) for x in ids)
        m = self.text_pad_multiple
        length = max(m, int(math.ceil(longest / m)) * m)
        pad_id = getattr(self.tokenizer, "pad_token_id", None) or 0
        input_ids = torch.full((len(ids), length), int(pad_id), dtype=torch.long)
        mask = torch.zeros((len(ids), length), dtype=torch.long)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = 1
        return input_ids.to(self.device), mask.to(self.device)

    @property
    def _cfg(self) -> bool:
        return self.guidance_scale > 1.0

    def _encode_text(self, input_ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Text -> decoder-ready encoder states ``(R, S, D)`` and mask ``(R, S)``, ``R = 2B`` with guidance.

        Mirrors ``generate``: T5 states, unconditional rows are zeros with an
        all-zero mask, projection to the decoder width, then masking.
        """
        net = self.model
        states = net.text_encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
        if self._cfg:
            states = torch.cat([states, torch.zeros_like(states)], dim=0)
            mask = torch.cat([mask, torch.zeros_like(mask)], dim=0)
        if (
            net.text_encoder.config.hidden_size != net.decoder.config.hidden_size
            and net.decoder.config.cross_attention_hidden_size is None
        ):
            states = net.enc_to_dec_proj(states)
        states = states * mask[..., None]
        return states, mask

    def _delay_pattern(self, batch: int, max_length: int) -> torch.Tensor:
        """``(B * K, max_length)``: ``-1`` where a token is generated, else the forced (pad) id."""
        # built on the CPU: transformers takes min() over the ids in Python, one host sync per row on a GPU
        # (about 4,400 device-to-host copies per batch of 256 in the H200 profile)
        start = torch.full((batch * self.num_codebooks, 1), self.start_token_id, dtype=torch.long)
        _, pattern = self.model.decoder.build_delay_pattern_mask(start, self.start_token_id, max_length=max_length)
        return pattern.to(self.device)

    def _undelay(self, seq: torch.Tensor, batch: int) -> torch.Tensor:
        """Raw ids ``(B * K, max_length)`` -> codes ``(B, K, n_frames)``: codebook k is read from k + 1 on."""
        seq = seq.view(batch, self.num_codebooks, -1)
        return torch.stack(
            [seq[:, k, k + 1 : k + 1 + self.n_frames] for k in range(self.num_codebooks)], dim=1
        ).cpu()

    # -- fast path -------------------------------------------------------------

    def _stepper(self, rows: int, max_len: int, text_len: int):
        """A (cached) static decoder step for this shape, compiled when asked."""
        key = (rows, text_len)
        step = self._steppers.get(key)
        if step is None or step.max_len != max_len:
            # one set of KV buffers at a time: at 256 clips with guidance they take ~25 GB in bf16
            self._steppers.clear()
            self._compiled.clear()
            step = StaticDecoderStep(self.model.decoder, rows, max_len, text_len)
            self._steppers[key] = step
            self._compiled.pop(key, None)
        if not self.compile:
            return step, step
        fn = self._compiled.get(key)
        if fn is None:
            for buf in (step.self_k, step.self_v, step.cross_k, step.cross_v, step.cross_bias):
                torch._dynamo.mark_static_address(buf)
            mode = "reduce-overhead" if self.device.type == "cuda" else "default"
            fn = torch.compile(step, mode=mode, fullgraph=True, dynamic=False)
            self._compiled[key] = fn
        return step, fn

    @torch.no_grad()
    def _codes_fast(self, prompts: Sequence[str], seeds: Sequence[int]) -> torch.Tensor:
        batch, K = len(prompts), self.num_codebooks
        input_ids, text_mask = self._tokenize(prompts)
        states, mask = self._encode_text(input_ids, text_mask)
        rows = states.shape[0]
        max_length = 1 + self.max_new_tokens
        pattern = self._delay_pattern(batch, max_length)
        keys = seed_keys(seeds, self.device)

        if self.kv_cache == "static":
            step, fn = self._stepper(rows, max_length, states.shape[1])
            step.set_text(states, mask)

            positions = torch.arange(max_length, device=self.device)

            def forward(tokens: torch.Tensor, pos: int) -> torch.Tensor:
                return fn(tokens, positions[pos : pos + 1])  # a device tensor: no host sync per step
        else:
            from transformers.cache_utils import DynamicCache, EncoderDecoderCache

            dec_cfg = self.model.decoder.config
            try:
                cache = EncoderDecoderCache(DynamicCache(config=dec_cfg), DynamicCache(config=dec_cfg))
            except TypeError:  # older transformers
                cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
            import inspect

            cache_kw = "cache" if "cache" in inspect.signature(self.model.decoder.forward).parameters else "past_key_values"

            def forward(tokens: torch.Tensor, pos: int) -> torch.Tensor:
                out = self.model.decoder(
                    input_ids=tokens[:, None], encoder_hidden_states=states, encoder_attention_mask=mask,
                    use_cache=True, **{cache_kw: cache},
                )
                return out.logits[:, -1]

        seq = torch.empty((batch * K, max_length), dtype=torch.long, device=self.device)
        seq[:, 0] = pattern[:, 0]
        current = seq[:, 0]
        for t in range(1, max_length):
            tokens = current.repeat(2) if self._cfg else current
            current = self._next_tokens(forward(tokens, t - 1).to(torch.float32), keys, t, pattern[:, t])
            seq[:, t] = current
        return self._undelay(seq, batch)

    def _next_tokens(self, logits: torch.Tensor, keys: torch.Tensor, t: int, forced: torch.Tensor) -> torch.Tensor:
        """One step's tokens ``(B * K,)`` from float32 logits (``(2 * B * K, V)`` conditional then
        unconditional rows with guidance, else ``(B * K, V)``): the guidance mix, then top-k/top-p and
        Gumbel-max sampling keyed by the clips' seeds (or argmax), then the delay pattern's forced ids
        where ``forced`` is not ``-1``."""
        K, V = self.num_codebooks, self.vocab_size
        batch = keys.shape[0]
        if self._cfg:
            cond, uncond = logits.split(batch * K, dim=0)
            logits = uncond + (cond - uncond) * self.guidance_scale
        if self.do_sample:
            scores = process_logits(logits, self.temperature, self.top_k, self.top_p).view(batch, K, V)
            nxt = torch.argmax(scores + gumbel_noise(keys, t, K, V), dim=-1).view(-1)
        else:
            nxt = torch.argmax(logits, dim=-1)
        return torch.where(forced == -1, nxt, forced)

    # -- plain path ------------------------------------------------------------

    @torch.no_grad()
    def _run_plain(self, prompts: Sequence[str], seeds: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """``model.generate`` on the batch -> codes ``(B, K, n_frames)`` and audio ``(B, n_samples)`` (CPU).

        Seeds the global RNG with the first request's seed inside a forked RNG
        state, so the caller's RNG is untouched.
        """
        input_ids, mask = self._tokenize(prompts)
        gen_kwargs: dict[str, Any] = dict(
            input_ids=input_ids, attention_mask=mask, max_new_tokens=self.max_new_tokens,
            guidance_scale=self.guidance_scale if self._cfg else None, do_sample=self.do_sample,
        )
        if self.do_sample:
            gen_kwargs.update(
                temperature=self.temperature, top_k=self.top_k if self.top_k > 0 else None,
                top_p=self.top_p if 0.0 < self.top_p < 1.0 else 1.0,
            )
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices), _RecordCodes(self.model.audio_encoder) as rec:
            torch.manual_seed(int(seeds[0]) % (1 << 63))
            values = self.model.generate(**gen_kwargs)  # (B, 1, samples)
        if len(rec.codes) != 1:
            raise RuntimeError(f"expected generate to decode once, it decoded {len(rec.codes)} times")
        codes = rec.codes[0][0].cpu()  # (1, B, K, T) -> (B, K, T)
        audio = values[:, 0, : self.n_samples].float().cpu()
        if audio.shape[1] < self.n_samples:
            audio = nn.functional.pad(audio, (0, self.n_samples - audio.shape[1]))
        return codes, audio


# --------------------------------------------------------------------------
# AudioCraft
# --------------------------------------------------------------------------

_AUDIOCRAFT_HINT = (
    "The `audiocraft` backend needs Meta's audiocraft package, which pins torch 2.1; install it in a "
    "separate environment, e.g.\n"
    "    python3.10 -m venv ~/.venvs/audiocraft && ~/.venvs/audiocraft/bin/pip install "
    "'torch==2.1.0' 'torchaudio==2.1.0' 'audiocraft==1.3.0' && ~/.venvs/audiocraft/bin/pip install -e .\n"
    "and run the generation stage from that environment; or use the `musicgen` backend "
    "(transformers, same model, works with current torch)."
)


class AudioCraftGenerator(Generator):
    """MusicGen through AudioCraft (``audiocraft.models.MusicGen``), used only when importable.

    Options: ``model`` (hub id such as ``facebook/musicgen-small`` or a local
    folder with ``state_dict.bin`` + ``compression_state_dict.bin``),
    ``guidance_scale`` (``cfg_coef``, 3.0), ``top_k`` (250), ``top_p`` (0.0),
    ``temperature`` (1.0), ``device`` (``"auto"``), ``batched`` (False),
    ``batch_size`` (None: the caller's batch; only with ``batched=True``).

    Reproducibility: AudioCraft samples with the global torch RNG. With
    ``batched=False`` (default) each clip is generated alone after
    ``torch.manual_seed(seed)``, so a clip depends only on its prompt, seed and
    settings (repeatable on the same device, dtype and versions). With
    ``batched=True`` a whole batch is generated after seeding with its first
    request's seed: faster, repeatable for the same batch, but a clip depends
    on its batch-mates. Also note AudioCraft's sampling rule: ``top_p > 0``
    replaces top-k (transformers applies both).
    """

    name = "audiocraft"

    def __init__(
        self,
        duration_s: float = 10.0,
        model: str = DEFAULT_MODEL,
        guidance_scale: float = 3.0,
        top_k: int = 250,
        top_p: float = 0.0,
        temperature: float = 1.0,
        device: str = "auto",
        batch_size: int | None = None,
        batched: bool = False,
        **options: Any,
    ):
        super().__init__(duration_s=duration_s)
        if options:
            log.warning("audiocraft backend ignores unknown options: %s", ", ".join(sorted(options)))
        try:
            from audiocraft.models import MusicGen  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ImportError(_AUDIOCRAFT_HINT) from exc
        self.device = _resolve_device(device)
        self.model_name = str(model)
        self.batched = bool(batched)
        self.batch_size = int(batch_size) if batch_size else None
        self.settings = dict(guidance_scale=float(guidance_scale), top_k=int(top_k), top_p=float(top_p),
                             temperature=float(temperature))
        try:
            self._model = MusicGen.get_pretrained(self.model_name, device=str(self.device))
        except (OSError, ValueError, RuntimeError) as exc:
            raise MissingWeightsError(
                f"AudioCraft could not load {self.model_name!r} (a hub id is looked up in the Hugging Face cache "
                f"at {_hub_cache_dir(None)}; a folder must hold state_dict.bin and compression_state_dict.bin): "
                f"{exc}\n" + _how_to_place(self.model_name if not _looks_like_path(self.model_name) else DEFAULT_MODEL,
                                           None)
            ) from exc
        self._model.set_generation_params(
            use_sampling=True, top_k=int(top_k), top_p=float(top_p), temperature=float(temperature),
            duration=self.duration_s, cfg_coef=float(guidance_scale),
        )

    @property
    def sample_rate(self) -> int:
        return int(self._model.sample_rate)

    def describe(self) -> dict:
        info = super().describe()
        info.update(model=self.model_name, device=str(self.device), batched=self.batched, **self.settings)
        return info

    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        """One float32 clip ``(n_samples,)`` per request; see the class docstring for seeding."""
        n = int(round(self.duration_s * self.sample_rate))
        step = (self.batch_size or max(len(requests), 1)) if self.batched else 1
        groups = [list(requests[i : i + step]) for i in range(0, len(requests), step)]
        out: list[np.ndarray] = []
        for group in groups:
            with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
                torch.manual_seed(int(group[0].seed) % (1 << 63))
                wav = self._model.generate([r.prompt for r in group], progress=False)  # (B, C, T)
            wav = wav.float().mean(dim=1).cpu().numpy()
            for row in wav:
                row = row[:n] if len(row) >= n else np.pad(row, (0, n - len(row)))
                out.append(np.ascontiguousarray(row, dtype=np.float32))
        return out


# --------------------------------------------------------------------------
# model builders (tests, benchmarks): no downloads
# --------------------------------------------------------------------------

TINY_WORDS = (
    "a an and the with of in on for to at by from slow fast upbeat calm dark bright happy sad energetic "
    "relaxing mellow heavy soft loud acoustic electric electronic ambient rock pop jazz blues classical "
    "metal hiphop hip hop reggae country folk disco funk techno house soul latin drums drum bass guitar "
    "piano synth synthesizer strings violin vocals vocal beat groove melody rhythm tempo bpm song track "
    "music instrumental solo chords riff loop lofi orchestral cinematic 80s 90s"
).split()


def build_tiny_tokenizer(words: Sequence[str] = TINY_WORDS):
    """A word-level T5-style tokenizer built in memory: lowercase, whitespace/punctuation split, ``</s>`` appended.

    Ids: ``<pad>`` 0, ``</s>`` 1, ``<unk>`` 2, then the words.
    """
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for w in words:
        vocab.setdefault(w.lower(), len(vocab))
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace()])
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", padding_side="right"
    )


def _build(text_cfg, audio_cfg, dec_cfg, lecun_init: bool, seed: int):
    from transformers import (
        EncodecFeatureExtractor, MusicgenConfig, MusicgenForConditionalGeneration, MusicgenProcessor,
    )

    config = MusicgenConfig(text_encoder=text_cfg, audio_encoder=audio_cfg, decoder=dec_cfg)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MusicgenForConditionalGeneration(config)
        # transformers initialises EnCodec codebooks to zeros, which would decode every code to the same audio
        for layer in model.audio_encoder.quantizer.layers:
            nn.init.normal_(layer.codebook.embed, std=1.0)
        if lecun_init:  # scale-preserving weights: the prompt and guidance visibly change the tokens
            linears = [m for m in model.decoder.modules() if isinstance(m, nn.Linear)]
            if hasattr(model, "enc_to_dec_proj"):
                linears.append(model.enc_to_dec_proj)
            for lin in linears:
                nn.init.normal_(lin.weight, std=lin.in_features ** -0.5)
    model.eval()
    pad = int(dec_cfg.pad_token_id)
    gc = model.generation_config
    gc.pad_token_id = pad
    gc.decoder_start_token_id = pad
    gc.bos_token_id = pad
    gc.do_sample = True
    gc.guidance_scale = 3.0
    gc.top_k = 250
    gc.max_length = 1500
    tokenizer = build_tiny_tokenizer()
    feature_extractor = EncodecFeatureExtractor(feature_size=1, sampling_rate=int(audio_cfg.sampling_rate),
                                                padding_value=0.0)
    processor = MusicgenProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer)
    return model, processor


def build_tiny_musicgen(
    sampling_rate: int = 32000,
    num_codebooks: int = 4,
    codebook_size: int = 32,
    hidden_size: int = 16,
    num_layers: int = 2,
    num_heads: int = 2,
    text_hidden_size: int = 12,
    seed: int = 0,
) -> tuple[nn.Module, Any]:
    """A tiny random ``MusicgenForConditionalGeneration`` + ``MusicgenProcessor``, built offline in about a second.

    Same layout as musicgen-small, scaled down: ``num_codebooks`` codebooks of
    ``codebook_size`` codes, EnCodec at ``sampling_rate`` with hop 640 (50
    frames/s at 32 kHz), a 1-layer T5 text encoder of width
    ``text_hidden_size`` (projected to the decoder width, as in the real
    model) and the in-memory word-level tokenizer.
    """
    from transformers import EncodecConfig, MusicgenDecoderConfig, T5Config

    tokenizer_vocab = len(build_tiny_tokenizer().get_vocab())
    text_cfg = T5Config(
        vocab_size=tokenizer_vocab, d_model=text_hidden_size, d_kv=text_hidden_size // 2, d_ff=2 * text_hidden_size,
        num_layers=1, num_heads=2, relative_attention_num_buckets=8, dropout_rate=0.0, pad_token_id=0,
        eos_token_id=1, decoder_start_token_id=0,
    )
    nbits = math.ceil(math.log2(codebook_size))
    hop = 640
    frame_rate = math.ceil(sampling_rate / hop)
    bandwidth = num_codebooks * frame_rate * nbits / 1000.0
    audio_cfg = EncodecConfig(
        sampling_rate=sampling_rate, audio_channels=1, num_filters=2, upsampling_ratios=[8, 5, 4, 4],
        target_bandwidths=[bandwidth], codebook_size=codebook_size, hidden_size=8, codebook_dim=8,
        num_lstm_layers=1, num_residual_layers=1, normalize=False, use_causal_conv=False,
        chunk_length_s=None, overlap=None, norm_type="weight_norm", pad_mode="reflect", compress=2,
    )
    if audio_cfg.num_quantizers != num_codebooks:
        raise RuntimeError(f"tiny EnCodec has {audio_cfg.num_quantizers} quantizers, wanted {num_codebooks}")
    dec_cfg = MusicgenDecoderConfig(
        vocab_size=codebook_size, max_position_embeddings=256, num_hidden_layers=num_layers,
        ffn_dim=2 * hidden_size, num_attention_heads=num_heads, hidden_size=hidden_size,
        num_codebooks=num_codebooks, dropout=0.0, pad_token_id=codebook_size, bos_token_id=codebook_size,
    )
    return _build(text_cfg, audio_cfg, dec_cfg, lecun_init=True, seed=seed)


_SIZES = {  # decoder layers, width, heads (ffn = 4 * width); text encoder t5-base for all
    "small": (24, 1024, 16),
    "medium": (48, 1536, 24),
    "large": (48, 2048, 32),
}


def build_random_musicgen(size: str = "small", seed: int = 0) -> tuple[nn.Module, Any]:
    """The real MusicGen architecture (``small``: 24 x 1024, 16 heads, ffn 4096, 4 x 2048 codes) with random weights.

    Text encoder: t5-base architecture (12 layers, 768 wide, 32128 ids);
    audio: EnCodec 32 kHz (hop 640 -> 50 Hz, 4 codebooks of 2048). The
    tokenizer is the tiny in-memory word-level one (fine for timing). No
    downloads. Use for benchmarks only: the audio is noise.
    """
    from transformers import EncodecConfig, MusicgenDecoderConfig, T5Config

    if size not in _SIZES:
        raise ValueError(f"unknown MusicGen size {size!r}; known: {', '.join(_SIZES)}")
    layers, width, heads = _SIZES[size]
    text_cfg = T5Config(
        vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
        relative_attention_num_buckets=32, dropout_rate=0.1, feed_forward_proj="relu",
        pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )
    audio_cfg = EncodecConfig(
        sampling_rate=32000, audio_channels=1, num_filters=64, upsampling_ratios=[8, 5, 4, 4],
        target_bandwidths=[2.2], codebook_size=2048, hidden_size=128, codebook_dim=128, num_lstm_layers=2,
        num_residual_layers=1, normalize=False, use_causal_conv=False, chunk_length_s=None, overlap=None,
        norm_type="weight_norm", pad_mode="reflect", compress=2, kernel_size=7, last_kernel_size=7,
        residual_kernel_size=3, dilation_growth_rate=2, trim_right_ratio=1.0, use_conv_shortcut=False,
    )
    dec_cfg = MusicgenDecoderConfig(
        vocab_size=2048, max_position_embeddings=2048, num_hidden_layers=layers, ffn_dim=4 * width,
        num_attention_heads=heads, hidden_size=width, num_codebooks=4, dropout=0.1,
        activation_function="gelu", pad_token_id=2048, bos_token_id=2048,
    )
    return _build(text_cfg, audio_cfg, dec_cfg, lecun_init=False, seed=seed)


__all__ = [
    "AudioCraftGenerator", "MissingWeightsError", "MusicGenGenerator", "StaticDecoderStep",
    "build_random_musicgen", "build_tiny_musicgen", "build_tiny_tokenizer", "gumbel_noise",
    "load_musicgen", "process_logits", "seed_keys",
]
