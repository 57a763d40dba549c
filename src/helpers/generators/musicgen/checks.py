"""Step 6, checks: the fast decode path against transformers' own decoder, on the model at hand.

The fast path (:class:`~.decoder.StaticDecoderStep`) re-implements the wiring of
transformers' MusicGen decoder for one token over a static KV cache. It reads
transformers internals (the positional table, the layers' attribute names,
``build_delay_pattern_mask``) that a release can change. :func:`check_fast_path`
proves, on the real model, device and dtype, that it still computes what the
decoder computes: a few teacher-forced steps (a fixed token sequence fed one
token at a time through the static cache) against one full forward of
``model.decoder.model`` over the same sequence, both through the same float32
heads. It takes well under a second on a GPU. The pre-flight
(``./synthmir check``) and the generation stage run it before any clip is made.
"""

from __future__ import annotations

import torch

from ...errors import SynthMIRError
from .decoder import StaticDecoderStep, head_logits

#: largest allowed max |fast - reference| / max |reference| over the checked logits, by dtype
TOLERANCE = {torch.float32: 1e-4, torch.float16: 2e-2, torch.bfloat16: 5e-2}
PROBE_PROMPT = "A Rock track. Distorted guitars, driving drums."


class FastPathMismatch(SynthMIRError, RuntimeError):
    """The fast decode path does not reproduce the model's decoder."""


@torch.no_grad()
def check_fast_path(gen, steps: int = 6, seed: int = 0) -> dict:
    """Teacher-forced logits of the fast step against ``model.decoder``; raises :class:`FastPathMismatch`.

    ``gen`` is a built ``MusicGenGenerator``. Returns ``{"steps", "dtype", "device", "error",
    "tolerance"}``, ``error`` being max |fast - reference| / max |reference|.
    """
    net = gen.model
    input_ids, text_mask = gen._tokenize([PROBE_PROMPT])
    states, mask = gen._encode_text(input_ids, text_mask)
    rows, K = states.shape[0], gen.num_codebooks
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, gen.vocab_size, (rows * K, steps), generator=g).to(gen.device)
    tokens[:, 0] = gen.start_token_id
    try:
        step = StaticDecoderStep(net.decoder, rows, steps, states.shape[1], head_weights=gen.head_weights)
        step.set_text(states, mask)
        positions = torch.arange(steps, device=gen.device)
        fast = torch.stack([step(tokens[:, t], positions[t:t + 1]) for t in range(steps)], dim=1)
        out = net.decoder.model(input_ids=tokens, encoder_hidden_states=states, encoder_attention_mask=mask,
                                use_cache=False)
        hidden = out.last_hidden_state  # (rows, steps, D)
        ref = torch.stack([head_logits(hidden[:, t], net.decoder.lm_heads, gen.head_weights)
                           for t in range(steps)], dim=1)  # (rows * K, steps, V)
    except Exception as exc:  # an attribute renamed in transformers, a shape that no longer fits
        raise FastPathMismatch(_message(f"the fast decode step failed to run ({type(exc).__name__}: {exc})")) \
            from exc
    scale = ref.abs().max().item() or 1.0
    error = (fast - ref).abs().max().item() / scale
    tol = TOLERANCE.get(gen.dtype, 5e-2)
    result = {"steps": steps, "dtype": str(gen.dtype).replace("torch.", ""), "device": str(gen.device),
              "error": error, "tolerance": tol}
    if not error <= tol:  # NaN fails too
        raise FastPathMismatch(_message(
            f"over {steps} teacher-forced steps its logits differ from model.decoder's by {error:.3g} of their "
            f"largest value (tolerance {tol:g} at {result['dtype']} on {result['device']})"))
    return result


def _message(what: str) -> str:
    import transformers

    return (f"MusicGen fast decode path check failed: {what}. The fast path reads transformers internals, and "
            f"transformers {transformers.__version__} may have changed them. Generate with the plain "
            "transformers path instead: set generation.options.fast: false (e.g. --set "
            "generation.options.fast=false); it is slower but uses model.generate as it is.")
