"""The paper profile's first real run: pre-flight, memory rule, precision, weights, pinned environment.

No weights exist here: every check runs against empty caches, a garbage file, a
torch file with other keys, the tiny random MusicGen, a loopback HTTP server and
a mocked GPU memory.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import socketserver
import subprocess
import threading
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """Hugging Face and torch hub caches that hold nothing, offline."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    before = torch.hub._hub_dir  # None: torch follows TORCH_HOME; restored as it was, for the tests after
    torch.hub.set_dir(str(tmp_path / "torch" / "hub"))
    yield tmp_path
    torch.hub._hub_dir = before


def _paper(tmp_path, **overrides):
    from helpers.config import load_config

    return load_config("paper", overrides, run_dir=str(tmp_path / "run"))


# --- 1. the pre-flight -----------------------------------------------------------------------------

def test_run_all_with_no_weights_stops_in_seconds_before_stage_2(tmp_path):
    env = dict(os.environ, HF_HUB_CACHE=str(tmp_path / "hf"), TORCH_HOME=str(tmp_path / "torch"),
               HF_HUB_OFFLINE="1")
    t0 = time.time()
    p = subprocess.run(["bash", str(ROOT / "run_all.sh"), "--profile", "paper", "-p", "run_dir",
                        str(tmp_path / "run")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    took = time.time() - t0
    assert p.returncode == 2, p.stdout + p.stderr
    err = p.stderr
    assert "pre-flight of profile 'paper'" in err and "nothing was started" in err, err
    # one message: every missing piece with its fix
    assert "MusicGen facebook/musicgen-small weights" in err and "PaSST passt_s_swa_p16_128_ap476 weights" in err
    assert err.count("fix: ") >= 2 and "./synthmir weights fetch --profile paper" in err
    assert "=== 01_prompts" not in p.stdout and not (tmp_path / "run" / "clips").exists()
    print(f"run_all.sh --profile paper stopped after {took:.1f} s")


def test_a_wrong_passt_file_is_named_before_generation(empty_caches, tmp_path):
    from helpers.preflight import findings

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00not a torch file" * 100)
    other = tmp_path / "other_keys.pt"
    torch.save({"encoder.weight": torch.zeros(2, 2)}, other)
    for path, words in ((garbage, "cannot read PaSST checkpoint"), (other, "does not fit PaSST")):
        cfg = _paper(tmp_path, **{"embedding.options.checkpoint": str(path), "embedding.options.device": "cpu",
                                  "generation.options.device": "cpu"})
        bad = [f for f in findings(cfg) if not f.ok and "PaSST" in f.what]
        assert len(bad) == 1 and words in bad[0].detail and str(path) in bad[0].detail, bad
        assert "delete" in bad[0].fix and "weights fetch" in bad[0].fix


def test_stage_2_checks_the_weights_of_stage_3_before_any_clip(empty_caches, tmp_path):
    from helpers import pipeline
    from helpers.preflight import PreflightFailed

    cfg = _paper(tmp_path, **{"prompts.total_clips": 10, "generation.options.device": "cpu",
                              "embedding.options.device": "cpu"})
    pipeline.run_prompts(cfg)
    with pytest.raises(PreflightFailed) as info:
        pipeline.run_generation(cfg, progress=False)
    msg = str(info.value)
    assert "MusicGen" in msg and "PaSST" in msg and "2 problems" in msg
    assert not list((cfg.run_path / "clips").rglob("*.wav"))


def test_no_cuda_where_the_profile_asks_for_it_is_named(empty_caches, tmp_path, monkeypatch):
    from helpers.preflight import findings

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    bad = {f.what: f for f in findings(_paper(tmp_path)) if not f.ok}
    assert "no CUDA device" in bad["generation.options.device"].detail
    assert "generation.options.device=cpu" in bad["generation.options.device"].fix


def test_transformers_outside_the_tested_range_is_refused(monkeypatch):
    import transformers

    from helpers.generators.musicgen.loading import TESTED_TRANSFORMERS
    from helpers.preflight import _transformers_finding

    assert _transformers_finding().ok, "the pinned transformers must be inside the tested range"
    monkeypatch.setattr(transformers, "__version__", "4.45.0")
    f = _transformers_finding()
    assert not f.ok and "outside the tested range" in f.detail and TESTED_TRANSFORMERS in f.detail
    assert "requirements/lock.txt" in f.fix and "fast: false" in f.fix


def test_the_tested_range_is_written_once_everywhere():
    from packaging.specifiers import SpecifierSet

    from helpers.environment import locked_versions
    from helpers.generators.musicgen.loading import TESTED_TRANSFORMERS

    base = (ROOT / "requirements" / "base.txt").read_text()
    assert re.search(rf"^transformers{re.escape(TESTED_TRANSFORMERS)}\s", base, re.M), base
    assert f'"transformers{TESTED_TRANSFORMERS}"' in (ROOT / "pyproject.toml").read_text()
    pinned = locked_versions()["transformers"]
    assert SpecifierSet(TESTED_TRANSFORMERS).contains(pinned)
    assert transformers_version() == pinned, "the tests must run on the pinned transformers"


def transformers_version():
    import transformers

    return transformers.__version__


# --- 2. the fast path against model.decoder ----------------------------------------------------------

def _tiny(dtype="fp32", **kw):
    from helpers.generators.musicgen import MusicGenGenerator, build_tiny_musicgen

    model, processor = build_tiny_musicgen()
    return MusicGenGenerator.from_model(model, processor, duration_s=0.5, device="cpu", dtype=dtype, **kw)


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_the_fast_path_check_passes_on_a_faithful_model(dtype):
    gen = _tiny(dtype)
    assert gen.fast_check is not None and gen.fast_check["error"] <= gen.fast_check["tolerance"]


def test_the_fast_path_check_stops_a_drifted_fast_path(monkeypatch):
    from helpers.generators.musicgen import checks
    from helpers.generators.musicgen.decoder import StaticDecoderStep

    class Drifted(StaticDecoderStep):  # as if transformers had changed what the step re-implements
        def forward(self, tokens, pos):
            return super().forward(tokens, pos) * 1.01

    monkeypatch.setattr(checks, "StaticDecoderStep", Drifted)
    with pytest.raises(checks.FastPathMismatch) as info:
        _tiny("fp32")
    assert "generation.options.fast: false" in str(info.value)


def test_a_renamed_internal_is_a_named_mismatch(monkeypatch):
    from helpers.generators.musicgen import checks

    gen = _tiny("fp32", check_fast=False)
    monkeypatch.delattr(type(gen.model.decoder.model.decoder.embed_positions), "make_weights", raising=False)
    core = gen.model.decoder.model.decoder
    monkeypatch.setattr(core, "embed_positions", torch.nn.Identity())  # no .weights any more
    with pytest.raises(checks.FastPathMismatch) as info:
        checks.check_fast_path(gen)
    assert "failed to run" in str(info.value) and "fast: false" in str(info.value)


# --- 3. precision where it matters --------------------------------------------------------------------

def test_encodec_keeps_its_fp32_weights_bit_for_bit_and_the_rest_is_cast():
    from helpers.generators.musicgen import MusicGenGenerator, build_tiny_musicgen

    model, processor = build_tiny_musicgen()
    before = {k: v.clone() for k, v in model.audio_encoder.state_dict().items()}
    gen = MusicGenGenerator.from_model(model, processor, duration_s=0.5, device="cpu", dtype="bf16")
    after = gen.model.audio_encoder.state_dict()
    assert before.keys() == after.keys()
    for k in before:
        assert after[k].dtype == before[k].dtype and torch.equal(after[k], before[k]), k
    assert next(gen.model.decoder.parameters()).dtype == torch.bfloat16
    assert next(gen.model.text_encoder.parameters()).dtype == torch.bfloat16


def test_the_guidance_works_on_unrounded_fp32_logits():
    gen = _tiny("bf16")
    from helpers.generators.musicgen.decoder import StaticDecoderStep

    ids, mask = gen._tokenize(["A Rock track. Loud guitars."])
    states, mask = gen._encode_text(ids, mask)
    step = StaticDecoderStep(gen.model.decoder, states.shape[0], 4, states.shape[1], head_weights=gen.head_weights)
    step.set_text(states, mask)
    tokens = torch.full((states.shape[0] * gen.num_codebooks,), gen.start_token_id)
    logits = step(tokens, torch.tensor([0]))
    assert logits.dtype == torch.float32
    rounded = logits.to(torch.bfloat16).to(torch.float32)
    assert (rounded != logits).float().mean() > 0.5, "logits look rounded to bf16"
    # the heads are the model's own weights before the cast, in fp32
    for w, head in zip(gen.head_weights, gen.model.decoder.lm_heads):
        assert w.dtype == torch.float32 and torch.equal(w.to(torch.bfloat16), head.weight)


# --- 4. memory-aware batching -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_config():
    from helpers.generators.musicgen import memory
    from helpers.generators.musicgen.tiny import musicgen_config

    cfg = musicgen_config("small")
    return cfg, memory._param_counts(cfg)


def test_the_estimate_matches_the_peaks_measured_on_the_h200(small_config):
    from helpers.generators.musicgen.memory import GiB, estimate_peak

    cfg, counts = small_config
    run = json.loads((ROOT / "benchmarks" / "results" / "20261126-032730-gpu-full.json").read_text())
    rows = run["results"]["musicgen"]["fast"]
    assert {r["batch_size"] for r in rows} == {256, 512}
    for r in rows:  # bf16, 10 s, guidance, EnCodec decoded in chunks (as today)
        est = estimate_peak(cfg, r["batch_size"], duration_s=10.0, dtype=torch.bfloat16, counts=counts).total / GiB
        measured = r["peak_gpu_gb"]  # torch.cuda.max_memory_allocated / 2**30
        assert measured <= est <= measured * 1.06, (r["batch_size"], est, measured)


def _fake_gpu(monkeypatch, free_gib, total_gib=None):
    from helpers.generators.musicgen import memory

    total = (total_gib or free_gib) * memory.GiB
    monkeypatch.setattr(memory, "device_memory", lambda device: (int(free_gib * memory.GiB), int(total)))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Mocked GPU")


@pytest.mark.parametrize("free_gib", [22, 38, 46, 78, 139])
def test_auto_picks_the_largest_batch_that_fits(small_config, monkeypatch, free_gib):
    from helpers.generators.musicgen import memory

    cfg, counts = small_config
    _fake_gpu(monkeypatch, free_gib)
    batch, why, chunk = memory.choose_batch(cfg, "auto", torch.device("cuda"), counts=counts)
    budget = (1 - memory.MARGIN) * free_gib * memory.GiB
    fits = lambda b: memory.estimate_peak(cfg, b, counts=counts, chunk=chunk).total <= budget  # noqa: E731
    assert batch >= 1 and fits(batch) and not fits(batch + 1)
    assert f"batch_size auto: {batch}" in why and "Mocked GPU" in why
    print(f"{free_gib} GiB free -> batch {batch}, EnCodec chunk {chunk}")


def test_an_explicit_batch_that_cannot_fit_names_the_setting_and_the_largest(small_config, monkeypatch):
    from helpers.generators.musicgen import memory

    cfg, counts = small_config
    _fake_gpu(monkeypatch, 22, 24)
    best = memory.largest_batch(cfg, 22 * memory.GiB, counts=counts)
    with pytest.raises(memory.BatchTooLarge) as info:
        memory.choose_batch(cfg, 256, torch.device("cuda"), counts=counts)
    msg = str(info.value)
    assert "generation.options.batch_size: 256 does not fit" in msg and f"largest batch that fits is {best}" in msg
    ok, why, _ = memory.choose_batch(cfg, best, torch.device("cuda"), counts=counts)
    assert ok == best


def test_the_generator_resolves_auto_against_the_mocked_device(monkeypatch):
    """The tiny model on the CPU stands in for a GPU: the memory rule is the same code path."""
    from helpers.generators.musicgen import memory

    gen = _tiny("fp32")
    monkeypatch.setattr(gen, "device", torch.device("cuda"))
    _fake_gpu(monkeypatch, 1.5)
    batch, why = gen.batch_size_for("auto")
    assert batch >= 1 and "batch_size auto" in why
    gen.batch_size = None
    with pytest.raises(memory.BatchTooLarge) as info:
        gen.batch_size_for(10 ** 6)
    assert "generation.batch_size" in str(info.value)


def test_on_the_cpu_auto_is_the_default_batch():
    gen = _tiny("fp32")
    assert gen.batch_size_for("auto")[0] == 8 and gen.batch_size_for(3)[0] == 3


# --- 5. weights: fetch (resumable), reachability through proxies, pack / unpack -------------------------

class _Server:
    """A loopback HTTP server for one file; the first GET breaks the connection halfway."""

    def __init__(self, payload: bytes, break_first: bool = True):
        self.payload, self.break_first, self.requests = payload, break_first, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_HEAD(self):
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                outer.requests.append(dict(self.headers))
                data, start = outer.payload, 0
                rng = self.headers.get("Range")
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if outer.break_first and len(outer.requests) == 1:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)  # the connection breaks halfway
                    return
                self.wfile.write(body)

        self.httpd = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fresh_hf_session(monkeypatch):
    """huggingface_hub online (its offline switch is read once, at import) with a new HTTP session."""
    from huggingface_hub import close_session, constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    close_session()
    yield
    close_session()


def test_a_download_broken_halfway_resumes_and_is_checked(tmp_path, fresh_hf_session, monkeypatch):
    from helpers.weights import WeightsError, download

    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    fixture = tmp_path / "fixture.pt"
    torch.save({"w": torch.arange(40000, dtype=torch.float32)}, fixture)
    server = _Server(fixture.read_bytes())
    dest = tmp_path / "cache" / "checkpoints" / "fixture.pt"
    checked = []
    try:
        with pytest.raises(Exception):
            download(f"{server.url}/fixture.pt", dest, check=checked.append, progress=False)
        part = dest.with_name(dest.name + ".part")
        assert not dest.exists() and 0 < part.stat().st_size < fixture.stat().st_size
        have = part.stat().st_size
        download(f"{server.url}/fixture.pt", dest, check=lambda p: checked.append(torch.load(p)), progress=False)
    finally:
        server.close()
    assert server.requests[1].get("Range") == f"bytes={have}-"  # resumed, not started over
    assert dest.read_bytes() == fixture.read_bytes() and not part.exists()
    assert torch.equal(checked[-1]["w"], torch.arange(40000, dtype=torch.float32))
    # a file that fails its check is deleted, not kept under its final name
    bad = _Server(b"garbage" * 1000, break_first=False)
    try:
        with pytest.raises(WeightsError, match="fails its check"):
            download(f"{bad.url}/x.pt", tmp_path / "x.pt", check=lambda p: torch.load(p), progress=False)
    finally:
        bad.close()
    assert not (tmp_path / "x.pt").exists() and not (tmp_path / "x.pt.part").exists()


def test_reachability_goes_through_the_proxy_variables(monkeypatch, fresh_hf_session):
    from huggingface_hub import close_session

    from helpers.generators.musicgen.loading import _hub_reachable

    proxy = _Server(b"", break_first=False)  # answers any request: stands in for an HTTP proxy
    try:
        monkeypatch.setenv("HF_ENDPOINT", "http://hub.synthmir.invalid")  # no such host: a raw socket fails
        for var in ("HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "all_proxy", "no_proxy"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv("HTTP_PROXY", raising=False)
        monkeypatch.delenv("http_proxy", raising=False)
        close_session()
        assert not _hub_reachable(timeout=3)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        close_session()
        assert _hub_reachable(timeout=3)
    finally:
        proxy.close()


def test_pack_then_unpack_carries_both_sets_checked(tmp_path, monkeypatch):
    from helpers import weights

    hub = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    repo = hub / "models--facebook--musicgen-small"
    snap = repo / "snapshots" / "abc123"
    (repo / "blobs").mkdir(parents=True)
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("abc123")
    for name in ("config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json"):
        blob = repo / "blobs" / f"blob-{name}"
        blob.write_text(f"content of {name}")
        (snap / name).symlink_to(Path("../../blobs") / blob.name)
    ckpt = tmp_path / "torch" / "hub" / "checkpoints" / "passt-s-f128-p16-s10-ap.476-swa.pt"
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"passt weights")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "torch" / "hub"))
    monkeypatch.setattr(weights, "check_passt_file", lambda path, arch: "checked")
    cfg = _paper(tmp_path)
    assert all(i.ok for i in weights.check(cfg)), weights.check(cfg)
    packed = weights.pack(cfg, tmp_path / "usb")
    manifest = json.loads((packed / weights.MANIFEST).read_text())
    assert len(manifest["files"]) == 6
    # on the cluster: empty caches
    placed = weights.unpack(packed, hub_cache=tmp_path / "cluster-hf", torch_hub=tmp_path / "cluster-torch")
    assert (tmp_path / "cluster-hf" / repo.name / "snapshots" / "abc123" / "model.safetensors").read_text() == \
        "content of model.safetensors"
    assert (tmp_path / "cluster-torch" / "checkpoints" / ckpt.name).read_bytes() == b"passt weights"
    assert len(placed) == 6
    # a broken copy is refused, and nothing is placed
    (packed / "torch" / "checkpoints" / ckpt.name).write_bytes(b"passt weightz")
    with pytest.raises(weights.WeightsError, match="sha256 differs"):
        weights.unpack(packed, hub_cache=tmp_path / "h2", torch_hub=tmp_path / "t2")
    assert not (tmp_path / "h2").exists()


def test_weights_check_command_names_what_is_missing(empty_caches):
    env = dict(os.environ)
    p = subprocess.run([str(ROOT / "synthmir"), "weights", "check", "--profile", "paper"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 2, p.stdout + p.stderr
    assert p.stdout.count("MISSING") == 2 and "fix: ./synthmir weights fetch --profile paper" in p.stdout


# --- 6. the pinned environment ------------------------------------------------------------------------

def test_the_venv_holds_the_locked_versions_and_metrics_record_them():
    from helpers.environment import environment_record, lock_digest, off_lock

    assert off_lock() == {}, "the venv differs from requirements/lock.txt"
    rec = environment_record()
    assert rec["lock_sha256"] == lock_digest() and len(rec["lock_sha256"]) == 64
    assert rec["packages"]["torch"] == torch.__version__.split("+")[0] or rec["packages"]["torch"] == torch.__version__
    json.dumps(rec)  # goes into metrics.json as it is


def test_every_locked_package_has_a_hash_and_set_up_installs_only_from_the_lock():
    for name in ("lock.txt", "nodeps.lock"):
        text = (ROOT / "requirements" / name).read_text()
        pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
        assert pins, name
        blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text)
        for block in blocks:
            if "==" in block.splitlines()[0]:
                assert "--hash=sha256:" in block, block.splitlines()[0]
    setup = (ROOT / "scripts" / "setup_env.sh").read_text()
    assert "--require-hashes --no-deps -r \"$ROOT/requirements/lock.txt\"" in setup
    assert "requirements/base.txt" not in setup.split("HASH=")[1].split("\n")[0]
    env_yml = (ROOT / "environment.yml").read_text()
    assert "requirements/lock.txt" in env_yml and "python=3.11" in env_yml
