"""Model builders for tests and benchmarks, no downloads.

:func:`build_tiny_musicgen` makes a tiny random MusicGen (built in about a
second, used by the tests); :func:`build_random_musicgen` the real
architecture with random weights (benchmarks).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import torch
from torch import nn

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
    return _build(*_real_configs(size), lecun_init=False, seed=seed)


def musicgen_config(size: str = "small"):
    """The ``MusicgenConfig`` of the real architecture (as :func:`build_random_musicgen`), without building it."""
    from transformers import MusicgenConfig

    text_cfg, audio_cfg, dec_cfg = _real_configs(size)
    return MusicgenConfig(text_encoder=text_cfg, audio_encoder=audio_cfg, decoder=dec_cfg)


def _real_configs(size: str):
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
    return text_cfg, audio_cfg, dec_cfg
