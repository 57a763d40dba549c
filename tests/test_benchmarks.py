"""The benchmark command runs end to end at tiny size (figures printed, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--size", "tiny", "--device", "cpu",
                    "--parts", "musicgen,symbolic,musicnn", "--cpu-clips", "2", "--phases", "--profile-batch", "2",
                    "--out", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    (result,) = tmp_path.glob("*-cpu-tiny.json")
    data = json.loads(result.read_text())
    res = data["results"]
    assert {"musicgen", "symbolic", "musicnn_cpu"} <= set(res)
    assert res["musicgen"]["naive"]["batch_size"] == 1 and res["musicgen"]["naive"]["dtype"] == "float32"
    assert res["musicgen"]["speedup"] > 0 and res["musicgen"]["fast"][0]["clips_per_s"] > 0
    assert data["versions"]["torch"] and data["device"].startswith("CPU")
    phases = res["musicgen"]["fast"][0]["phases"]
    assert set(phases) == {"text_encoder", "decoder_steps", "sampling", "encodec_decode", "disk_writes", "steps"}
    assert all(v >= 0 for v in phases.values())
    top = res["musicgen"]["profile"]["top"]
    assert top and all(r["calls"] > 0 for r in top)
