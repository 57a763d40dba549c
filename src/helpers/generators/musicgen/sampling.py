"""Step 2, sampling: counter-based per-clip Gumbel noise and transformers' logit processing.

The noise of a clip at a decode step is a pure function of ``(seed, step,
codebook, token)`` (:func:`seed_keys`, :func:`gumbel_noise`); Gumbel-max over
:func:`process_logits` (temperature, top-k, top-p) samples from the softmax.
"""

from __future__ import annotations

from typing import Sequence

import torch

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
