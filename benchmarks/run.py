"""Throughput of the study's backends, measured side by side on one device.

    python benchmarks/run.py                      # all parts, full size on a GPU, tiny on a CPU
    python benchmarks/run.py --size tiny          # smoke run (CI): tiny models, few clips
    python benchmarks/run.py --parts musicgen,passt --musicgen-batches 64,256,512

Parts:
  musicgen  the `musicgen` backend (own decode loop: batched guidance, bf16,
            static KV cache, optional torch.compile/CUDA graphs) at
            musicgen-small size with random weights (same compute as real
            weights), beside the naive baseline: transformers `generate`,
            batch 1, fp32. 10 s clips, guidance 3.0, top-k 250.
  passt     PaSST-S (full size, random weights) in batches with bf16
            autocast and SDPA attention, beside batch 1, fp32, eager attention.
  symbolic  the offline generator, clips/s on the CPU (one process).
  musicnn   the offline embedder, clips/s on the CPU.

Prints the figures and writes them, with device, versions and settings, as
JSON under benchmarks/results/. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from helpers.generation import ClipRequest  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def _reset_peak(device):
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def _peak_gb(device):
    return round(torch.cuda.max_memory_allocated() / 2 ** 30, 2) if device.type == "cuda" else None


def _timed(fn, device):
    """``fn()``'s result and its wall time in seconds, GPU work included."""
    _sync(device)
    t0 = time.perf_counter()
    res = fn()
    _sync(device)
    return res, time.perf_counter() - t0


def _best_time(fn, repeats, device):
    """Fastest of ``repeats`` calls of ``fn(r)``, in seconds, GPU work included."""
    return min(_timed(lambda: fn(r), device)[1] for r in range(repeats))


def _requests(n, seed=0):
    genres = ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]
    words = ["upbeat drums and bass", "calm piano with strings", "distorted guitar riff", "synth pads", "brass and timpani"]
    return [ClipRequest(f"b{i}", genres[i % 5], words[i % 5], f"A {genres[i % 5]} track. {words[(i * 3) % 5]}.",
                        seed + i) for i in range(n)]


def bench_musicgen(device, size, batches, duration_s, repeats, compile_step, phases=False, naive=True,
                   profile_batch=0, on_result=None, out=None):
    from helpers.generators.musicgen import MusicGenGenerator, build_random_musicgen, build_tiny_musicgen

    model, processor = build_random_musicgen("small") if size == "full" else build_tiny_musicgen()
    out = {} if out is None else out  # filled in place, so that on_result() can save what is measured so far
    out.update({"model": "musicgen-small architecture, random weights" if size == "full" else "tiny random MusicGen",
                "duration_s": duration_s, "guidance_scale": 3.0, "top_k": 250, "fast": []})
    for b in batches:
        gen = MusicGenGenerator.from_model(model, processor, duration_s=duration_s, batch_size=b, device=device,
                                           dtype="auto", guidance_scale=3.0, top_k=250, fast=True,
                                           compile=compile_step)
        # a line before the warm-up: a compiled run that stalls shows where (the H200 run printed nothing for 260 s)
        print(f"musicgen fast  batch {b:4d}: warm-up{' (torch.compile, CUDA graphs)' if compile_step else ''} ...",
              flush=True)
        try:
            t0 = time.perf_counter()
            # warm-up: allocations; with --compile the full batch, so that compiling and CUDA-graph capture
            # for this shape happen here and not in the timed call
            gen.generate_batch(_requests(b if compile_step else min(b, 2), seed=999_999))
            warm = time.perf_counter() - t0
            _reset_peak(device)
            best = _best_time(lambda r: gen.generate_batch(_requests(b, seed=1000 * r)), repeats, device)
        except torch.cuda.OutOfMemoryError as e:  # a batch too big for this card is a result, not a crash
            out["fast"].append({"batch_size": b, "compile": compile_step, "error": f"out of memory: {str(e)[:200]}"})
            print(f"musicgen fast  batch {b:4d}: out of memory")
            del gen
            _reset_peak(device)
            continue
        row = {"batch_size": b, "dtype": str(gen.dtype).replace("torch.", ""), "compile": compile_step,
               "seconds_per_batch": round(best, 3), "clips_per_s": round(b / best, 3),
               "peak_gpu_gb": _peak_gb(device), "warm_up_s": round(warm, 1)}
        if phases:
            row["phases"] = musicgen_phases(gen, b, device)
        out["fast"].append(row)
        print(f"musicgen fast  batch {b:4d}: {b / best:9.3f} clips/s  ({best:.2f} s/batch, peak {_peak_gb(device)} GB,"
              f" first call {warm:.1f} s)" + (f"  phases {row['phases']}" if phases else ""))
        if on_result:
            on_result()
        del gen
    if profile_batch:
        gen = MusicGenGenerator.from_model(model, processor, duration_s=duration_s, batch_size=profile_batch,
                                           device=device, dtype="auto", guidance_scale=3.0, top_k=250, fast=True,
                                           compile=compile_step)
        out["profile"] = {"batch_size": profile_batch, "steps": 20, "compile": compile_step,
                          "top": profile_decoder(gen, profile_batch, device)}
        print(f"musicgen profile, batch {profile_batch}, 20 decode steps:")
        for r in out["profile"]["top"]:
            print(f"  {r['share']:6.1%} {r['ms']:9.2f} ms {r['calls']:6d}x  {r['name']}")
        del gen
        if on_result:
            on_result()
    if not naive:
        return out
    # the naive baseline: transformers generate, batch 1, fp32
    model = model.to(device=device, dtype=torch.float32)
    n_tokens = int(round(duration_s * model.config.audio_encoder.frame_rate)) + model.config.decoder.num_codebooks - 1
    inputs = processor(text=[_requests(1)[0].prompt], padding=True, return_tensors="pt").to(device)
    model.generate(**inputs, do_sample=True, guidance_scale=3.0, top_k=250, max_new_tokens=8)  # warm-up
    _reset_peak(device)

    def naive(r):
        torch.manual_seed(r)
        model.generate(**inputs, do_sample=True, guidance_scale=3.0, top_k=250, max_new_tokens=n_tokens)

    best = _best_time(naive, max(1, repeats), device)
    out["naive"] = {"batch_size": 1, "dtype": "float32", "seconds_per_clip": round(best, 3),
                    "clips_per_s": round(1 / best, 4), "peak_gpu_gb": _peak_gb(device), "max_new_tokens": n_tokens}
    top = max((r for r in out["fast"] if "clips_per_s" in r), key=lambda r: r["clips_per_s"])
    out["speedup"] = round(top["clips_per_s"] / out["naive"]["clips_per_s"], 1)
    print(f"musicgen naive batch    1: {1 / best:9.4f} clips/s  -> speed-up x{out['speedup']} (batch {top['batch_size']})")
    return out


def musicgen_phases(gen, b, device):
    """Where one batch's time goes, in seconds: text encoder, decoder steps, sampling, EnCodec decode, disk writes.

    ``codes`` (text encoder + the decode loop, sampling included) and ``encodec``
    are timed on the real batch. ``sampling`` re-runs the loop's own sampling step
    (``_next_tokens``: guidance mix, top-k, Gumbel noise, argmax, forced tokens) on
    random logits of the same shape for the same number of steps; ``decoder_steps``
    is ``codes - text - sampling``. ``disk`` writes the batch as 16-bit WAV files
    with the generation stage's writer.
    """
    import tempfile

    from helpers.audio import write_wav_atomic
    from helpers.generators.musicgen import seed_keys

    reqs = _requests(b, seed=77)
    prompts, seeds = [r.prompt for r in reqs], [r.seed for r in reqs]
    _, t_text = _timed(lambda: gen._encode_text(*gen._tokenize(prompts)), device)
    codes, t_codes = _timed(lambda: gen.generate_codes(prompts, seeds), device)
    audio, t_dec = _timed(lambda: gen.decode_codes(codes), device)
    K, V = gen.num_codebooks, gen.vocab_size
    steps = gen.max_new_tokens
    logits = torch.randn((2 if gen._cfg else 1) * b * K, V, device=device)
    keys = seed_keys(seeds, device)
    forced = torch.full((b * K,), -1, dtype=torch.long, device=device)

    def sampling():
        for t in range(1, steps + 1):
            tokens = gen._next_tokens(logits, keys, t, forced)
        return tokens

    _, t_samp = _timed(sampling, device)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for i, a in enumerate(audio.numpy()):
            write_wav_atomic(Path(tmp) / f"{i:05d}.wav", a, gen.sample_rate)
        t_disk = time.perf_counter() - t0
    return {"text_encoder": round(t_text, 3), "decoder_steps": round(max(t_codes - t_text - t_samp, 0.0), 3),
            "sampling": round(t_samp, 3), "encodec_decode": round(t_dec, 3), "disk_writes": round(t_disk, 3),
            "steps": steps}


def profile_decoder(gen, b, device, n_steps=20, top=15):
    """torch.profiler over ``n_steps`` decode steps of one batch: the top kernels by GPU (or CPU) time, as rows."""
    from torch.profiler import ProfilerActivity, profile

    reqs = _requests(b, seed=5)
    saved = gen.max_new_tokens, gen.n_frames
    gen.max_new_tokens, gen.n_frames = n_steps, n_steps - (gen.num_codebooks - 1)
    try:
        gen.generate_codes([r.prompt for r in reqs], [r.seed for r in reqs])  # shapes for this step count
        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
        with profile(activities=acts) as prof:
            gen.generate_codes([r.prompt for r in reqs], [r.seed for r in reqs])
            _sync(device)
    finally:
        gen.max_new_tokens, gen.n_frames = saved
    key = "self_device_time_total" if device.type == "cuda" else "self_cpu_time_total"
    events = sorted(prof.key_averages(), key=lambda e: getattr(e, key, 0), reverse=True)
    total = sum(getattr(e, key, 0) for e in events) or 1
    return [{"name": e.key[:80], "calls": e.count, "ms": round(getattr(e, key, 0) / 1000, 2),
             "share": round(getattr(e, key, 0) / total, 3)} for e in events[:top]]


def bench_passt(device, size, batches, repeats):
    from helpers.embedders.passt import PasstEmbedder

    n = 320000  # 10 s at 32 kHz
    out = {"model": "PaSST-S passt_s_swa_p16_128_ap476, random weights", "clip_s": 10.0, "fast": []}
    rng = np.random.default_rng(0)
    for b in batches:
        emb = PasstEmbedder(pretrained=False, device=device, dtype="auto", batch_size=b, attention="sdpa")
        x = (0.1 * rng.standard_normal((b, n))).astype(np.float32)
        emb.embed_batch(x[: min(b, 2)])
        _reset_peak(device)
        best = _best_time(lambda r: emb.embed_batch(x), repeats, device)
        out["fast"].append({"batch_size": b, "dtype": "auto (bf16 autocast on CUDA)", "attention": "sdpa",
                            "clips_per_s": round(b / best, 3), "peak_gpu_gb": _peak_gb(device)})
        print(f"passt fast  batch {b:4d}: {b / best:9.3f} clips/s")
        del emb
    emb = PasstEmbedder(pretrained=False, device=device, dtype="float32", batch_size=1, attention="eager")
    x = (0.1 * rng.standard_normal((1, n))).astype(np.float32)
    emb.embed_batch(x)
    best = _best_time(lambda r: emb.embed_batch(x), max(2, repeats), device)
    out["naive"] = {"batch_size": 1, "dtype": "float32", "attention": "eager", "clips_per_s": round(1 / best, 3)}
    top = max(out["fast"], key=lambda r: r["clips_per_s"])
    out["speedup"] = round(top["clips_per_s"] / out["naive"]["clips_per_s"], 1)
    print(f"passt naive batch    1: {1 / best:9.3f} clips/s  -> speed-up x{out['speedup']}")
    return out


def bench_symbolic(n_clips):
    from helpers.config import GenerationConfig
    from helpers.generation import finish_clip, load_generator

    gen = load_generator("symbolic", duration_s=10.0)
    cfg = GenerationConfig()
    reqs = _requests(n_clips, seed=7)
    gen.generate_batch(reqs[:1])
    t0 = time.perf_counter()
    audio = gen.generate_batch(reqs)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    for a in audio:
        finish_clip(a, gen.sample_rate, cfg)
    t_fin = time.perf_counter() - t0
    res = {"clips": n_clips, "clips_per_s": round(n_clips / t_gen, 2),
           "clips_per_s_with_loudness": round(n_clips / (t_gen + t_fin), 2), "processes": 1}
    print(f"symbolic: {res['clips_per_s']} clips/s (one process); {res['clips_per_s_with_loudness']} with loudness normalisation")
    return res


def bench_musicnn(device, n_clips, batch_size):
    from helpers.embedding import load_embedder

    emb = load_embedder("musicnn", device=str(device))
    x = (0.1 * np.random.default_rng(0).standard_normal((n_clips, 160000))).astype(np.float32)
    emb.embed_batch(x[:2])
    t0 = time.perf_counter()
    for s in range(0, n_clips, batch_size):
        emb.embed_batch(x[s:s + batch_size])
    _sync(device)
    dt = time.perf_counter() - t0
    res = {"clips": n_clips, "batch_size": batch_size, "clips_per_s": round(n_clips / dt, 2), "device": str(device)}
    print(f"musicnn ({device}): {res['clips_per_s']} clips/s of 10 s")
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--parts", default="musicgen,passt,symbolic,musicnn")
    p.add_argument("--device", default="auto")
    p.add_argument("--size", choices=["auto", "tiny", "full"], default="auto",
                   help="full: musicgen-small and PaSST-S at real size; tiny: toy models and few clips")
    p.add_argument("--musicgen-batches", default=None, help="comma-separated batch sizes")
    p.add_argument("--passt-batches", default=None)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--compile", action="store_true", help="torch.compile the decoder step (CUDA graphs on GPU)")
    p.add_argument("--phases", action="store_true",
                   help="also time one batch's phases: text encoder, decoder steps, sampling, EnCodec, disk writes")
    p.add_argument("--profile-batch", type=int, default=0,
                   help="torch.profiler over 20 decode steps at this batch size; the top kernels go in the JSON")
    p.add_argument("--no-naive", action="store_true", help="skip the naive MusicGen baseline (e.g. in a --compile run)")
    p.add_argument("--cpu-clips", type=int, default=None)
    p.add_argument("--out", default=str(Path(__file__).parent / "results"))
    a = p.parse_args(argv)

    device = torch.device("cuda" if a.device == "auto" and torch.cuda.is_available() else
                          ("cpu" if a.device == "auto" else a.device))
    size = a.size if a.size != "auto" else ("full" if device.type == "cuda" else "tiny")
    tiny = size == "tiny"
    mg_batches = [int(x) for x in (a.musicgen_batches or ("2" if tiny else "64,256,512")).split(",")]
    pt_batches = [int(x) for x in (a.passt_batches or ("2" if tiny else "64,256")).split(",")]
    repeats = a.repeats or (1 if tiny else 2)
    cpu_clips = a.cpu_clips or (4 if tiny else 40)
    duration = a.duration if not tiny else min(a.duration, 2.0)
    parts = a.parts.split(",")

    import transformers

    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({platform.processor() or platform.machine()})",
        "cpu_threads": torch.get_num_threads(), "size": size,
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "transformers": transformers.__version__, "numpy": np.__version__,
                     "cuda": torch.version.cuda},
        "results": {},
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    tag = "gpu" if device.type == "cuda" else "cpu"
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-{tag}-{size}{'-compile' if a.compile else ''}.json"

    def save():  # after every result, so a run stopped part-way keeps what it measured
        path.write_text(json.dumps(result, indent=2) + "\n")

    if "musicgen" in parts:
        mg = result["results"]["musicgen"] = {}
        bench_musicgen(device, size, mg_batches, duration, repeats, a.compile, phases=a.phases,
                       naive=not a.no_naive, profile_batch=a.profile_batch, on_result=save, out=mg)
        save()
    if "passt" in parts:
        if tiny:
            print("passt: skipped at --size tiny (full PaSST-S takes ~1 s per clip on a 2-core CPU)")
        else:
            result["results"]["passt"] = bench_passt(device, size, pt_batches, repeats)
            save()
    if "symbolic" in parts:
        result["results"]["symbolic"] = bench_symbolic(cpu_clips)
    if "musicnn" in parts:
        result["results"]["musicnn_cpu"] = bench_musicnn(torch.device("cpu"), cpu_clips, 16)
        if device.type == "cuda":
            result["results"]["musicnn_gpu"] = bench_musicnn(device, 10 * cpu_clips, 64)
    save()
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
