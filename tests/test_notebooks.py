"""Smoke run of the five notebooks with papermill on the tiny `smoke` profile,
with a small real benchmark, then the HTML reports."""

import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[1-5]_*.ipynb"))


def test_every_notebook_has_one_parameters_cell_and_no_outputs():
    import nbformat

    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


@pytest.mark.slow
def test_smoke_run_of_all_notebooks(tmp_path, monkeypatch):
    import papermill as pm

    from helpers.generation import ClipRequest, load_generator
    from helpers.reports import render_html

    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel must use its inline backend
    # a tiny "real" benchmark: 25 s symbolic tracks the classifier has not seen (other seeds)
    real = tmp_path / "real"
    gen = load_generator("symbolic", duration_s=25.0)
    for genre in ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]:
        reqs = [ClipRequest(f"{genre}-{i}", genre, "a test track", f"A {genre} track.", 10_000 + i) for i in range(2)]
        for r, audio in zip(reqs, gen.generate_batch(reqs)):
            (real / genre.lower()).mkdir(parents=True, exist_ok=True)
            sf.write(real / genre.lower() / f"{r.id}.wav", audio, gen.sample_rate)
    sf.write(real / "rock" / "too-short.wav", np.zeros(16000, np.float32) + 0.1, 16000)

    run_dir = tmp_path / "run"
    for nb in NOTEBOOKS:
        out = tmp_path / nb.name
        pm.execute_notebook(str(nb), str(out), cwd=str(ROOT / "notebooks"), kernel_name="python3",
                            parameters={"profile": "smoke", "run_dir": str(run_dir), "real_data": str(real),
                                        "progress": False}, progress_bar=False)
        html = render_html(out, tmp_path / f"{nb.stem}.html")
        assert html.stat().st_size > 10_000
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert 0.0 <= metrics["synthetic_val"]["accuracy"] <= 1.0
    assert metrics["real"]["tracks"] == 10 and metrics["real"]["skipped"] == 1
    assert metrics["real"]["labels"] == ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]
    assert np.array(metrics["real"]["confusion"]).sum() == 10
    assert set(metrics["real"]["per_class"]["Rock"]) == {"precision", "recall", "f1", "support"}
    report = (tmp_path / "05_evaluate.html").read_text()
    assert report.count("data:audio/mpeg;base64,") >= 5  # players embedded
    img = re.compile(r'<img[^>]*src="data:image/png;base64,')
    assert len(img.findall(report)) >= 2  # both confusion matrices, embedded
    for name in ("02_generate", "03_embed", "04_train"):
        assert img.search((tmp_path / f"{name}.html").read_text()), name
    assert len(list((run_dir / "clips").rglob("*.wav"))) == 30
