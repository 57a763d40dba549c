#!/usr/bin/env python
"""Write tests/fixtures/passt_frontend_reference.npz: hear21passt's own PaSST
front-end (``AugmentMelSTFT``, eval mode) on fixed test signals.

hear21passt's front-end imports torchaudio, which has no build for the
project's torch. Its only use of torchaudio at inference is
``torchaudio.compliance.kaldi.get_mel_banks``, pure Python over torch. So this
script takes ``torchaudio/compliance/kaldi.py`` out of a torchaudio wheel
(downloaded as a file only), loads it as a module under a stub ``torchaudio``
package, and runs hear21passt's unmodified ``AugmentMelSTFT``, configured by
hear21passt's own ``base.get_basic_model``, on signals generated here from a
seed (nothing but the results is stored).

    pip download --no-deps torchaudio==2.9.1 -d /tmp/ta
    PYTHONPATH=src python scripts/make_passt_reference.py --wheel /tmp/ta/torchaudio-2.9.1-*.whl

The test (tests/test_passt.py) imports :func:`make_test_signals` from here to
regenerate the same input; keep this module free of side effects at import.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import importlib.util
import io
import json
import logging
import sys
import tempfile
import types
import warnings
import zipfile
from pathlib import Path

import numpy as np

logger = logging.getLogger("make_passt_reference")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "passt_frontend_reference.npz"
SEED = 20240611
SAMPLE_RATE = 32000
N_SHORT = 52345  # odd length, about 1.6 s: exercises the frame count arithmetic


def make_test_signals(seed: int = SEED) -> dict[str, np.ndarray]:
    """Deterministic float32 test signals at 32 kHz.

    ``long``: 10 s (320000 samples): white noise (std 0.1) plus a linear
    chirp 50 Hz -> 15.5 kHz (amplitude 0.5), with 0.5 s of digital silence at
    2 s (checks the log floor). ``short``: ``N_SHORT`` samples of louder noise
    plus a 440 Hz tone.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    t = np.arange(10 * SAMPLE_RATE, dtype=np.float64) / SAMPLE_RATE
    f0, f1, dur = 50.0, 15500.0, 10.0
    chirp = 0.5 * np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / dur * t ** 2))
    long = 0.1 * rng.standard_normal(t.size) + chirp
    long[2 * SAMPLE_RATE: int(2.5 * SAMPLE_RATE)] = 0.0
    ts = np.arange(N_SHORT, dtype=np.float64) / SAMPLE_RATE
    short = 0.3 * rng.standard_normal(N_SHORT) + 0.4 * np.sin(2 * np.pi * 440.0 * ts)
    return {"long": long.astype(np.float32), "short": short.astype(np.float32)}


def load_kaldi_from_wheel(wheel: Path, workdir: Path) -> tuple[types.ModuleType, str]:
    """Install a stub ``torchaudio`` package in ``sys.modules`` whose
    ``compliance.kaldi`` is the wheel's own ``kaldi.py``; returns (kaldi, wheel version)."""
    member = "torchaudio/compliance/kaldi.py"
    with zipfile.ZipFile(wheel) as zf:
        source = zf.read(member)
        version = next((n.split("/")[0].removesuffix(".dist-info").split("-")[1]
                        for n in zf.namelist() if n.endswith(".dist-info/METADATA")), "unknown")
    path = workdir / "kaldi.py"
    path.write_bytes(source)

    class _TrainingOnly(object):
        """hear21passt builds frequency/time masking in __init__; they run only in training."""

        def __init__(self, *args, **kwargs):
            pass

        def __call__(self, *args, **kwargs):
            raise RuntimeError("masking stub: the reference runs in eval mode only")

    ta = types.ModuleType("torchaudio")
    ta.__path__ = []  # a package
    ta.__version__ = f"{version} (stub: compliance.kaldi only)"
    compliance = types.ModuleType("torchaudio.compliance")
    compliance.__path__ = []
    transforms = types.ModuleType("torchaudio.transforms")
    transforms.FrequencyMasking = _TrainingOnly
    transforms.TimeMasking = _TrainingOnly
    ta.compliance, ta.transforms = compliance, transforms
    sys.modules.update({"torchaudio": ta, "torchaudio.compliance": compliance,
                        "torchaudio.transforms": transforms})
    spec = importlib.util.spec_from_file_location("torchaudio.compliance.kaldi", path)
    kaldi = importlib.util.module_from_spec(spec)
    sys.modules["torchaudio.compliance.kaldi"] = kaldi
    spec.loader.exec_module(kaldi)
    compliance.kaldi = kaldi
    return kaldi, version


def hear21passt_mel():
    """hear21passt's ``AugmentMelSTFT`` exactly as ``hear21passt.base.get_basic_model``
    configures it (the network is replaced by a stub so nothing heavy is built), in eval mode.

    Needs ``torchaudio`` importable: the real one, or the stub of :func:`load_kaldi_from_wheel`.
    """
    import torch
    import hear21passt.base as base

    original = base.get_model_passt
    base.get_model_passt = lambda **kwargs: torch.nn.Identity()
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # "Warning: FMAX is None ..."
            wrapper = base.get_basic_model(mode="embed_only")
    finally:
        base.get_model_passt = original
    return wrapper.mel.eval()


def run_reference(mel, signals: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``(n_mels, frames)`` float32 output of ``mel`` for each signal."""
    import torch

    out = {}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"stft with return_complex=False")
        warnings.filterwarnings("ignore", message=r".*torch\.cuda\.amp\.autocast", category=FutureWarning)
        for key, sig in signals.items():
            out[key] = mel(torch.from_numpy(sig)[None]).squeeze(0).numpy().astype(np.float32)
    return out


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", default=None,
                        help="torchaudio wheel (default: newest /tmp/ta/torchaudio-*.whl)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    wheel = Path(args.wheel) if args.wheel else None
    if wheel is None:
        found = sorted(glob.glob("/tmp/ta/torchaudio-*.whl"))
        if not found:
            raise SystemExit("no torchaudio wheel; fetch one (file only) with:\n"
                             "    pip download --no-deps torchaudio==2.9.1 -d /tmp/ta")
        wheel = Path(found[-1])
    if "torchaudio" in sys.modules:
        raise SystemExit("torchaudio is already imported; run this script in a fresh interpreter")

    import torch
    import hear21passt

    with tempfile.TemporaryDirectory() as tmp:
        kaldi, ta_version = load_kaldi_from_wheel(wheel, Path(tmp))
        mel = hear21passt_mel()
        assert type(mel).__module__ == "hear21passt.models.preprocess", type(mel)
        signals = make_test_signals(args.seed)
        mels = run_reference(mel, signals)
        bank, _ = kaldi.get_mel_banks(mel.n_mels, mel.n_fft, mel.sr, mel.fmin, mel.fmax,
                                      vtln_low=100.0, vtln_high=-500.0, vtln_warp_factor=1.0)
        bank = torch.nn.functional.pad(bank, (0, 1), mode="constant", value=0).numpy().astype(np.float32)

    meta = {
        "seed": args.seed, "sample_rate": mel.sr, "n_fft": mel.n_fft, "win_length": mel.win_length,
        "hop": mel.hopsize, "n_mels": mel.n_mels, "fmin": mel.fmin, "fmax": mel.fmax,
        "signals": {k: int(v.size) for k, v in signals.items()},
        "versions": {"hear21passt": hear21passt.__version__, "torchaudio_kaldi_py": ta_version,
                     "torch": torch.__version__, "numpy": np.__version__},
        "wheel": wheel.name,
        "made_by": "scripts/make_passt_reference.py",
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, mel_long=mels["long"], mel_short=mels["short"], mel_bank=bank,
                        meta=np.array(json.dumps(meta, sort_keys=True)))
    logger.info("wrote %s (%.0f kB): mel_long %s, mel_short %s, mel_bank %s, fmax %s", out,
                out.stat().st_size / 1024, mels["long"].shape, mels["short"].shape, bank.shape, mel.fmax)
    return out


if __name__ == "__main__":
    main()
