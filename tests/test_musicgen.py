"""The ``musicgen`` backend on a tiny random MusicGen, offline on the CPU.

The model (decoder, T5 text encoder, EnCodec, word-level tokenizer) is built
in memory by :func:`helpers.generators.musicgen.build_tiny_musicgen`; everything else is
the real backend code.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from helpers.generation import ClipRequest, load_generator  # noqa: E402
from helpers.generators.musicgen import (  # noqa: E402
    AudioCraftGenerator,
    MissingWeightsError,
    MusicGenGenerator,
    build_tiny_musicgen,
    gumbel_noise,
    process_logits,
    seed_keys,
)

DURATION = 0.3  # 15 frames at 50 Hz: 18 decode steps
PROMPTS = [
    "upbeat rock song with loud electric guitar and heavy drums",
    "calm piano",
    "dark ambient synth loop at slow tempo",
    "fast jazz drums with bass",
]


@pytest.fixture(scope="module")
def tiny():
    # one thread: the tiny model gains nothing from more, and on a shared, busy CPU
    # OpenMP worker threads make every small op wait (10-50x slower)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield build_tiny_musicgen(seed=0)
    torch.set_num_threads(threads)


def make(tiny, **options) -> MusicGenGenerator:
    model, processor = tiny
    options.setdefault("duration_s", DURATION)
    return MusicGenGenerator.from_model(model, processor, **options)


def req(i: int, prompt: str, seed: int) -> ClipRequest:
    return ClipRequest(id=f"clip{i}", genre="g", description="d", prompt=prompt, seed=seed)


# --- audio out ----------------------------------------------------------------


def test_audio_out_rate_length_dtype(tiny):
    gen = make(tiny, batch_size=2)  # 3 requests -> split into 2 + 1 internally
    assert gen.sample_rate == 32000 == tiny[0].config.audio_encoder.sampling_rate
    assert gen.n_frames == 15 and gen.max_new_tokens == 15 + 4 - 1
    clips = gen.generate_batch([req(i, p, 10 + i) for i, p in enumerate(PROMPTS[:3])])
    assert len(clips) == 3
    for clip in clips:
        assert clip.dtype == np.float32 and clip.shape == (round(DURATION * 32000),)
        assert np.isfinite(clip).all() and np.abs(clip).max() > 0
    info = gen.describe()
    assert info["backend"] == "musicgen" and info["sample_rate"] == 32000 and info["fast"] is True


def test_registry_builds_backend(tiny):
    model, processor = tiny
    gen = load_generator("musicgen", duration_s=DURATION, model=model, processor=processor)
    assert isinstance(gen, MusicGenGenerator)
    assert gen.generate_batch([]) == []


# --- seeds --------------------------------------------------------------------


@pytest.mark.parametrize("kv_cache", ["static", "dynamic"])
def test_seed_gives_same_clip_in_any_batch(tiny, kv_cache):
    gen = make(tiny, kv_cache=kv_cache)
    target = PROMPTS[0]
    alone = gen.generate_codes([target], [7])
    mixed = gen.generate_codes([PROMPTS[1], target, PROMPTS[2]], [1, 7, 3])
    again = gen.generate_codes([target, PROMPTS[3]], [7, 9])
    assert torch.equal(alone[0], mixed[1]) and torch.equal(alone[0], again[0])
    # audio: batched EnCodec decoding, equal to float rounding
    a = gen.decode_codes(alone)[0]
    b = gen.decode_codes(mixed)[1]
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)



def test_encodec_decodes_big_batches_in_chunks(tiny, monkeypatch):
    """Past 2**31 activation elements CUDA refused EnCodec's padding ("32-bit index math") at 256 clips of
    10 s on an H200; decoding in chunks gives the same audio as one call."""
    import helpers.generators.musicgen.generator as mg  # decode_codes reads DECODE_ELEMENTS there

    gen = make(tiny)
    codes = gen.generate_codes(PROMPTS, [1, 2, 3, 4])
    whole = gen.decode_codes(codes)
    monkeypatch.setattr(mg, "DECODE_ELEMENTS", 64 * gen.n_samples * 3 // 2)  # one clip per chunk
    calls = []
    decode = type(gen.model.audio_encoder).decode
    monkeypatch.setattr(type(gen.model.audio_encoder), "decode",
                        lambda self, c, *a, **k: calls.append(c.shape[1]) or decode(self, c, *a, **k))
    chunked = gen.decode_codes(codes)
    assert calls == [1, 1, 1, 1]
    torch.testing.assert_close(chunked, whole, atol=1e-5, rtol=0)
    assert gen.decode_codes(codes[:0]).shape == (0, gen.n_samples)

def test_different_seeds_differ_and_rerun_repeats(tiny):
    gen = make(tiny)
    codes = gen.generate_codes([PROMPTS[0]] * 3, [1, 2, 1])
    assert not torch.equal(codes[0], codes[1])
    assert torch.equal(codes[0], codes[2])  # same prompt + seed, other batch slot
    other_prompt = gen.generate_codes([PROMPTS[1]], [1])
    assert not torch.equal(codes[0], other_prompt[0])  # the text conditions the tokens
    clips1 = gen.generate_batch([req(0, PROMPTS[0], 1), req(1, PROMPTS[0], 2)])
    clips2 = gen.generate_batch([req(0, PROMPTS[0], 1), req(1, PROMPTS[0], 2)])
    np.testing.assert_array_equal(clips1[0], clips2[0])
    assert not np.allclose(clips1[0], clips1[1])


def test_plain_path_repeats_for_the_same_batch(tiny):
    gen = make(tiny, fast=False)
    rng_before = torch.get_rng_state()
    a = gen.generate_codes(PROMPTS[:2], [5, 6])
    b = gen.generate_codes(PROMPTS[:2], [5, 6])
    assert torch.equal(a, b)
    assert torch.equal(torch.get_rng_state(), rng_before)  # the caller's RNG is left alone


# --- fast path == plain path ------------------------------------------------------


@pytest.mark.parametrize("guidance_scale", [3.0, 1.0])
def test_fast_and_plain_agree_greedy(tiny, guidance_scale):
    plain = make(tiny, fast=False, do_sample=False, guidance_scale=guidance_scale)
    ref = plain.generate_codes(PROMPTS, [0, 1, 2, 3])
    assert ref.shape == (4, 4, 15)
    for kv_cache in ("static", "dynamic"):
        fast = make(tiny, fast=True, do_sample=False, guidance_scale=guidance_scale, kv_cache=kv_cache)
        codes = fast.generate_codes(PROMPTS, [0, 1, 2, 3])
        assert torch.equal(codes, ref), kv_cache
    # top_k=1 sampling is greedy too, whatever the noise
    topk1 = make(tiny, fast=True, top_k=1, guidance_scale=guidance_scale)
    assert torch.equal(topk1.generate_codes(PROMPTS, [11, 12, 13, 14]), ref)
    audio_plain = plain.generate_audio(PROMPTS[:2], [0, 1])
    audio_fast = fast.generate_audio(PROMPTS[:2], [0, 1])
    torch.testing.assert_close(audio_fast, audio_plain, atol=1e-5, rtol=0)


def test_guidance_on_and_off_both_run(tiny):
    on = make(tiny, guidance_scale=3.0)
    off = make(tiny, guidance_scale=1.0)
    for fast in (True, False):
        on.fast = off.fast = fast
        a = on.generate_codes(PROMPTS[:2], [3, 4])
        b = off.generate_codes(PROMPTS[:2], [3, 4])
        assert a.shape == b.shape == (2, 4, 15)
        assert not torch.equal(a, b)


# --- sampling pieces -----------------------------------------------------------


def test_noise_is_per_clip_and_sampling_matches_softmax():
    keys = seed_keys([1, 2, 1])
    noise = gumbel_noise(keys, step=3, n_codebooks=2, vocab=8)
    assert noise.shape == (3, 2, 8) and torch.isfinite(noise).all()
    assert torch.equal(noise[0], noise[2]) and not torch.equal(noise[0], noise[1])
    assert not torch.equal(noise, gumbel_noise(keys, step=4, n_codebooks=2, vocab=8))
    # Gumbel-max over many seeds reproduces softmax probabilities
    logits = torch.tensor([2.0, 1.0, 0.5, 0.0, -1.0])
    draws = torch.argmax(logits + gumbel_noise(seed_keys(range(20000)), 0, 1, 5)[:, 0], dim=-1)
    freq = torch.bincount(draws, minlength=5).float() / draws.numel()
    torch.testing.assert_close(freq, logits.softmax(-1), atol=0.015, rtol=0)


def test_logit_processing_matches_transformers():
    from transformers.generation.logits_process import (
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    torch.manual_seed(0)
    scores = torch.randn(6, 50)
    ours = process_logits(scores, temperature=0.7, top_k=10, top_p=0.8)
    ref = TemperatureLogitsWarper(0.7)(None, scores)
    ref = TopKLogitsWarper(10)(None, ref)
    ref = TopPLogitsWarper(0.8)(None, ref)
    assert torch.equal(ours, ref)
    assert torch.equal(process_logits(scores, top_k=0, top_p=0.0), scores)  # both filters off


# --- loading and missing weights ---------------------------------------------------


def test_loads_from_local_folder_and_names_missing_weight_file(tiny, tmp_path):
    model, processor = tiny
    folder = tmp_path / "tiny-musicgen"
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    gen = MusicGenGenerator(duration_s=DURATION, model=str(folder), device="cpu")
    ref = make(tiny).generate_codes(PROMPTS[:1], [4])
    assert torch.equal(gen.generate_codes(PROMPTS[:1], [4]), ref)

    (folder / "model.safetensors").unlink()
    with pytest.raises(MissingWeightsError) as info:
        MusicGenGenerator(duration_s=DURATION, model=str(folder))
    msg = str(info.value)
    assert "model.safetensors" in msg and str(folder) in msg and "hf download" in msg


def test_missing_weights_empty_folder(tmp_path):
    with pytest.raises(MissingWeightsError) as info:
        MusicGenGenerator(model=str(tmp_path))
    msg = str(info.value)
    for part in ("model.safetensors", "config.json", str(tmp_path), "hf download facebook/musicgen-small"):
        assert part in msg, part
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MusicGenGenerator(model=str(tmp_path / "nowhere"))


def test_missing_weights_unknown_hub_id_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cache = tmp_path / "hf-cache"
    with pytest.raises(MissingWeightsError) as info:
        MusicGenGenerator(model="synthmir-tests/no-such-musicgen", cache_dir=str(cache))
    msg = str(info.value)
    for part in (
        "synthmir-tests/no-such-musicgen", "model.safetensors", "config.json", str(cache),
        "hf download synthmir-tests/no-such-musicgen --cache-dir", "HF_HUB_OFFLINE",
    ):
        assert part in msg, part


def test_audiocraft_missing_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "audiocraft", None)
    monkeypatch.setitem(sys.modules, "audiocraft.models", None)
    with pytest.raises(ImportError, match="torch 2.1") as info:
        AudioCraftGenerator()
    assert "musicgen" in str(info.value)


def test_bad_options_are_errors(tiny):
    with pytest.raises(ValueError, match="kv_cache"):
        make(tiny, kv_cache="paged")
    with pytest.raises(ValueError, match="dtype"):
        make(tiny, dtype="int8")
    with pytest.raises(ValueError, match="seeds"):
        make(tiny).generate_codes(PROMPTS[:2], [1])
