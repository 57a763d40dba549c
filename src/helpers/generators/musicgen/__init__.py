"""MusicGen generator backends: ``musicgen`` (transformers) and ``audiocraft``.

``musicgen`` runs :class:`transformers.MusicgenForConditionalGeneration` with
its processor, loaded by hub id (default ``facebook/musicgen-small``) or from a
local folder. It has two decoding paths that share tokenization, settings and
the EnCodec decoder:

* ``fast=True`` (default): this package's own decode loop. Classifier-free
  guidance is batched (conditional and unconditional rows in one forward),
  the KV cache is preallocated (``kv_cache="static"``, this package's single
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

Files, in the order of the steps:

* ``loading.py``: :func:`load_musicgen` (hub id or folder), :class:`MissingWeightsError`
  with how-to-place messages, hub-cache / folder checks, ``"auto"`` device and dtype.
* ``sampling.py``: counter-based noise (:func:`seed_keys`, :func:`gumbel_noise`) and
  :func:`process_logits` (temperature, top-k, top-p).
* ``decoder.py``: :class:`StaticDecoderStep`, the static-KV-cache decoder step.
* ``generator.py``: :class:`MusicGenGenerator` (tokenize, decode loop, EnCodec decode
  in chunks of :data:`DECODE_ELEMENTS`; the plain path through ``generate``).
* ``audiocraft.py``: :class:`AudioCraftGenerator`.
* ``tiny.py``: :func:`build_tiny_musicgen`, :func:`build_random_musicgen` and the
  in-memory tokenizer, for tests and benchmarks (no downloads).

Code looks module constants up in its own file: to patch one (e.g.
``DECODE_ELEMENTS``) patch it on that submodule (``musicgen.generator``), not
on this package. Both backends are registered by name in
:mod:`helpers.generation` (``helpers.generators.musicgen:MusicGenGenerator``,
``...:AudioCraftGenerator``), resolved through the names re-exported here.
"""

from .audiocraft import AudioCraftGenerator
from .decoder import StaticDecoderStep
from .generator import MusicGenGenerator
from .loading import MissingWeightsError, load_musicgen
from .sampling import gumbel_noise, process_logits, seed_keys
from .tiny import build_random_musicgen, build_tiny_musicgen, build_tiny_tokenizer

# public constants of the former single module, for reading (patch them on their submodule)
from .generator import DECODE_ELEMENTS  # noqa: F401,E402
from .loading import DEFAULT_MODEL, NEEDED_FILES  # noqa: F401,E402
from .tiny import TINY_WORDS  # noqa: F401,E402

__all__ = [
    "AudioCraftGenerator", "MissingWeightsError", "MusicGenGenerator", "StaticDecoderStep",
    "build_random_musicgen", "build_tiny_musicgen", "build_tiny_tokenizer", "gumbel_noise",
    "load_musicgen", "process_logits", "seed_keys",
]
