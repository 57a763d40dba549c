"""Step 4, the ``musicgen`` backend: :class:`MusicGenGenerator`, prompts -> codes -> audio.

Tokenizes and encodes the prompts, runs the decode loop (fast path: static or
dynamic KV cache, per-clip seeded sampling; plain path: ``model.generate``)
and decodes the codes with EnCodec in chunks of at most
:data:`DECODE_ELEMENTS` activation elements.
"""

from __future__ import annotations

import logging
import math
import os
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ...generation import ClipRequest, Generator
from .decoder import StaticDecoderStep, head_logits
from .loading import DEFAULT_MODEL, _resolve_device, _resolve_dtype, load_musicgen
from .sampling import gumbel_noise, process_logits, seed_keys

log = logging.getLogger(__name__)


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


DECODE_ELEMENTS = 2**30  # EnCodec decodes at most this many activation elements per layer at once


def cast_for_decoding(net: nn.Module, device: torch.device, dtype: torch.dtype) -> list[torch.Tensor] | None:
    """Put ``net`` on ``device`` and cast only what runs at ``dtype``: the text encoder, the decoder and
    ``enc_to_dec_proj``. EnCodec (``audio_encoder``) keeps its weights and codebooks as loaded, bit for
    bit. Returns float32 copies of the LM heads' weights, taken before the cast, from which the fast
    path computes float32 logits (so the guidance ``uncond + g * (cond - uncond)`` works on unrounded
    values); None at float32, where the heads themselves are used."""
    heads = None
    if dtype != torch.float32:
        heads = [head.weight.detach().to(device=device, dtype=torch.float32, copy=True)
                 for head in net.decoder.lm_heads]
    net.to(device=device)
    for name in ("text_encoder", "decoder", "enc_to_dec_proj"):
        part = getattr(net, name, None)
        if part is not None:
            part.to(dtype=dtype)
    return heads


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
    bfloat16 on CUDA: the text encoder and decoder run at this dtype; EnCodec keeps its float32
    weights, and the fast path's logits are float32, from float32 LM heads), ``device``
    (``"auto"``), ``fast`` (True: own decode loop with per-clip seeds; False:
    ``model.generate``), ``kv_cache`` (``"static"`` or ``"dynamic"``, fast
    path only), ``check_fast`` (True: before any clip, a few teacher-forced steps of the fast path
    are checked against ``model.decoder``, see :mod:`.checks`), ``compile`` (False; True compiles the static decoder step,
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
        check_fast: bool = True,
        **options: Any,
    ):
        super().__init__(duration_s=duration_s)
        if options:
            log.warning("musicgen backend ignores unknown options: %s", ", ".join(sorted(options)))
        if temperature <= 0 and do_sample:
            raise ValueError(f"temperature must be > 0 when sampling, got {temperature}")
        if batch_size is not None and batch_size != "auto" and (isinstance(batch_size, bool) or int(batch_size) < 1):
            raise ValueError(f"generation.options.batch_size must be >= 1, auto or null, got {batch_size!r}")
        if kv_cache not in ("static", "dynamic"):
            raise ValueError(f"kv_cache must be 'static' or 'dynamic', got {kv_cache!r}")
        if int(text_pad_multiple) < 1:
            raise ValueError(f"text_pad_multiple must be >= 1, got {text_pad_multiple}")
        self.guidance_scale = float(guidance_scale)
        self.top_k = int(top_k or 0)
        self.top_p = float(top_p or 0.0)
        self.temperature = float(temperature)
        self.do_sample = bool(do_sample)
        requested_batch = batch_size if batch_size in (None, "auto") else int(batch_size)
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
        self.model = net
        self.head_weights = cast_for_decoding(net, self.device, self.dtype)

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
        # the decode batch (the option; auto: the largest that fits in the GPU's memory) and EnCodec's chunk
        self.decode_chunk: int | None = None
        self._param_counts: dict[str, int] | None = None  # for the memory rule, counted on first use
        self.batch_size: int | None = None
        self.batch_reason = ""
        # the fast path checked against model.decoder on this model, device and dtype (raises FastPathMismatch)
        self.fast_check = None
        if self.fast and check_fast:
            from .checks import check_fast_path

            self.fast_check = check_fast_path(self)
        if requested_batch is not None:
            self.batch_size, self.batch_reason = self._fit_batch(requested_batch, "generation.options.batch_size")

    def _memory_kwargs(self) -> dict:
        from .memory import param_counts

        if self._param_counts is None:
            self._param_counts = param_counts(self.model)
        return dict(duration_s=self.duration_s, dtype=self.dtype, guidance=self._cfg,
                    text_len=self.text_pad_multiple, counts=self._param_counts)

    def _fit_batch(self, requested, setting: str) -> tuple[int | None, str]:
        """``requested`` (an int or ``"auto"``) against the device's memory (see :mod:`.memory`)."""
        from .memory import choose_batch

        batch, why, chunk = choose_batch(self.model.config, requested, self.device, setting=setting,
                                         **self._memory_kwargs())
        if chunk is not None:
            self.decode_chunk = chunk
        log.info("musicgen: %s", why)
        return batch, why

    def batch_size_for(self, requested) -> tuple[int, str]:
        """The stage's batch: ``auto`` takes this backend's decode batch (memory-chosen on a GPU; 8 on
        the CPU); an explicit ``generation.batch_size`` with no ``options.batch_size`` cap is checked
        against the GPU's memory, since each stage batch is then decoded at once."""
        if requested == "auto":
            if self.batch_size is None:
                self.batch_size, self.batch_reason = self._fit_batch("auto", "generation.batch_size")
            if self.batch_size is None:
                return super().batch_size_for(requested)
            return self.batch_size, self.batch_reason
        requested = int(requested)
        if self.batch_size is None:  # no cap: every stage batch is one decode batch
            batch, why = self._fit_batch(requested, "generation.batch_size")
            return requested, why
        return requested, f"batch {requested}, decoded {min(requested, self.batch_size)} at a time ({self.batch_reason})"

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

    def annotate(self, request: ClipRequest):
        """The tempo and key the prompt asks for, marked ``requested`` (MusicGen is not checked to follow them)."""
        from ..symbolic.annotate import requested

        return requested(request.prompt, self.duration_s)

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
        if self.decode_chunk:  # smaller where the memory rule asked for it
            chunk = min(chunk, self.decode_chunk)
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
            step = StaticDecoderStep(self.model.decoder, rows, max_len, text_len, head_weights=self.head_weights)
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

            core = self.model.decoder.model  # MusicgenModel: the last hidden state, the heads applied here
            cache_kw = "cache" if "cache" in inspect.signature(core.forward).parameters else "past_key_values"

            def forward(tokens: torch.Tensor, pos: int) -> torch.Tensor:
                out = core(
                    input_ids=tokens[:, None], encoder_hidden_states=states, encoder_attention_mask=mask,
                    use_cache=True, **{cache_kw: cache},
                )
                return head_logits(out.last_hidden_state[:, -1], self.model.decoder.lm_heads, self.head_weights)

        seq = torch.empty((batch * K, max_length), dtype=torch.long, device=self.device)
        seq[:, 0] = pattern[:, 0]
        current = seq[:, 0]
        for t in range(1, max_length):
            tokens = current.repeat(2) if self._cfg else current
            current = self._next_tokens(forward(tokens, t - 1), keys, t, pattern[:, t])
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
