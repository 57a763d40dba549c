"""Step 3, decoding: the one-token MusicGen decoder step over a preallocated (static) KV cache."""

from __future__ import annotations

import torch
from torch import nn


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

    def __init__(self, decoder: nn.Module, rows: int, max_len: int, text_len: int,
                 head_weights: list[torch.Tensor] | None = None):
        super().__init__()
        self.head_weights = head_weights  # float32 LM heads (see cast_for_decoding), or None: the modules
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
        return head_logits(h[:, 0], self.lm.lm_heads, self.head_weights)


def head_logits(hidden: torch.Tensor, heads: nn.ModuleList, weights: list[torch.Tensor] | None) -> torch.Tensor:
    """Last hidden state ``(N, D)`` -> float32 logits ``(N * K, V)``, codebook-major per row.

    With ``weights`` (float32 copies of the heads) the product is taken in float32 from the
    hidden state, so the logits are not rounded to the decoder's dtype; without, the heads
    themselves (a float32 model)."""
    if weights is None:
        logits = torch.stack([head(hidden) for head in heads], dim=1)
    else:
        h = hidden.to(torch.float32)
        logits = torch.stack([nn.functional.linear(h, w) for w in weights], dim=1)
    return logits.reshape(-1, logits.shape[-1]).to(torch.float32)
