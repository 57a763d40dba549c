"""Notebooks 10_tempo and 11_key at smoke size, with a tiny annotated 'real' set in the JAMS layout."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENRES = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")


def _jams_set(folder: Path, n: int = 6, first: int = 0) -> Path:
    """``n`` 12 s symbolic tracks (seeds training never uses), each with its JAMS beside it."""
    import soundfile as sf

    from helpers.generation import ClipRequest, load_generator

    gen = load_generator("symbolic", duration_s=12.0, key_spread="uniform", tempo_spread="wide")
    folder.mkdir(parents=True)
    for i in range(first, first + n):
        req = ClipRequest(f"held-{i}", GENRES[i % 5], "a test track", "A test track.", 90_000 + i)
        audio = gen.generate_batch([req])[0]
        sf.write(folder / f"{req.id}.wav", audio, gen.sample_rate)
        ja, _, _ = gen.annotate(req)
        (folder / f"{req.id}.jams").write_text(ja.dumps())
    return folder


@pytest.mark.slow
def test_the_tempo_and_key_notebooks_run_at_smoke_size(tmp_path, monkeypatch):
    import json

    import papermill as pm

    from helpers.reports import render_html

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    real = [f"jams:{_jams_set(tmp_path / 'held', 4)}", f"jams:{_jams_set(tmp_path / 'held2', 2, first=4)}"]
    for nb, task in (("10_tempo", "tempo"), ("11_key", "key")):
        run_dir = tmp_path / f"run-{task}"
        params = {"profile": "smoke", "run_dir": str(run_dir), "task_real_data": real,
                  "progress": False, "ablation": True, "overrides": {"prompts.clips_per_genre": 6}}
        out = tmp_path / f"{nb}.ipynb"
        pm.execute_notebook(str(ROOT / "notebooks" / f"{nb}.ipynb"), str(out), cwd=str(ROOT / "notebooks"),
                            kernel_name="python3", parameters=params, progress_bar=False)
        text = render_html(out, tmp_path / f"{nb}.html").read_text()
        assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', text)) >= 3, nb
        metrics = json.loads((run_dir / "metrics.json").read_text())
        sets = metrics[task]["sets"]
        assert [sets[r]["items"] for r in real] == [4, 2] and sets["synthetic_val"]["items"] >= 1
        pooled = metrics[task]["pooled_real"]
        assert pooled["items"] == 6 and pooled["sets"] == real
        assert pooled["model_minus_baseline"]["items"] == 6 and "model − baseline" in text
        assert "environment" in metrics
        assert (run_dir / "ablation-style" / "metrics.json").is_file() and "paired on each real set" in text
