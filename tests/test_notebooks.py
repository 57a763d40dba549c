"""The five notebooks: their shape, and a smoke run of the whole study through
``./run_all.sh --profile smoke`` (papermill, the SynthMIR kernel, HTML reports,
the index, the terminal output) on a small real benchmark."""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[1-5]_*.ipynb"))


def test_every_notebook_has_one_parameters_cell_no_outputs_and_the_synthmir_kernel():
    import nbformat

    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]
    for path in sorted((ROOT / "notebooks").glob("[01][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path
        assert nb.metadata.kernelspec.name == "synthmir", path
        assert nb.metadata.kernelspec.display_name == "SynthMIR", path


@pytest.mark.slow
def test_smoke_run_of_the_study(smoke_study):
    s = smoke_study
    assert s.returncode == 0, s.output[-3000:]
    metrics = json.loads((s.run / "metrics.json").read_text())
    assert 0.0 <= metrics["synthetic_val"]["accuracy"] <= 1.0
    assert metrics["real"]["tracks"] == 10 and metrics["real"]["skipped"] == 1
    assert metrics["real"]["labels"] == ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]
    assert np.array(metrics["real"]["confusion"]).sum() == 10
    assert set(metrics["real"]["per_class"]["Rock"]) == {"precision", "recall", "recall_ci", "f1", "support"}
    lo, hi = metrics["real"]["accuracy_ci"]
    assert 0.0 <= lo <= metrics["real"]["accuracy"] <= hi <= 1.0
    assert len(metrics["seed_spread"]["seeds"]) == 2  # the study's classifier and one more (smoke: spread_seeds 1)
    assert len(list((s.run / "clips").rglob("*.wav"))) == 30
    for nb in NOTEBOOKS:  # executed in the SynthMIR kernel
        executed = json.loads((s.run / "notebooks" / nb.name).read_text())
        assert executed["metadata"]["kernelspec"]["name"] == "synthmir"
        assert executed["metadata"]["papermill"]["parameters"]["profile"] == "smoke"

    html = {p.stem: p.read_text() for p in s.reports.glob("*.html")}
    assert set(html) == {nb.stem for nb in NOTEBOOKS} | {"index"}
    for name in (nb.stem for nb in NOTEBOOKS):
        assert len(html[name]) > 10_000, name
    report = html["05_evaluate"]
    assert report.count("data:audio/mpeg;base64,") >= 5  # players embedded
    img = re.compile(r'<img[^>]*src="data:image/png;base64,')
    assert len(img.findall(report)) >= 2  # both confusion matrices, embedded
    for name in ("02_generate", "03_embed", "04_train"):
        assert img.search(html[name]), name


@pytest.mark.slow
def test_smoke_reports_are_fit_for_sharing(smoke_study):
    """No absolute path of the machine that made them; Table 1 without NaN;
    nothing fetched from the network; an index with the headline figures."""
    s = smoke_study
    assert s.returncode == 0, s.output[-3000:]
    media = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")  # embedded figures and audio may spell anything
    html = {p.stem: media.sub("data:", p.read_text()) for p in s.reports.glob("*.html")}
    assert len(html) == 6
    machine = {p for p in (str(ROOT), str(s.tmp), sys.prefix, str(Path.home()), "/tmp/", "/work/") if len(p) > 1}
    for name, text in html.items():
        for path in machine:
            assert path not in text, f"{name}.html shows {path}"
        assert not re.search(r'<script[^>]+src="https?://', text), f"{name}.html loads a script from the network"
    # the run folder, the benchmark and a skipped file, as a reader of the report sees them
    assert "…/run" in html["01_prompts"] and "…/real" in html["05_evaluate"]
    assert "too-short.wav" in html["05_evaluate"]
    assert "NaN" not in html["05_evaluate"]
    accuracy_rows = re.findall(r"<th>Accuracy</th>\s*<td>([\d.]+)</td>\s*<td>—</td>\s*<td>—</td>", html["05_evaluate"])
    assert len(accuracy_rows) == 2, "Table 1 (synthetic, real): accuracy, then — under recall and F1"
    assert "interactive widget" in html["02_generate"]  # the clip browser, as a note

    index = html["index"]
    metrics = json.loads((s.run / "metrics.json").read_text())
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    assert [href for href, _ in links] == [f"{nb.stem}.html" for nb in NOTEBOOKS]
    assert links[0][1] == "01 · Prompts"
    assert f"{100 * metrics['synthetic_val']['accuracy']:.1f} %" in index
    lo, hi = metrics["real"]["accuracy_ci"]
    assert f"{100 * metrics['real']['accuracy']:.1f} % [{100 * lo:.1f}, {100 * hi:.1f}] of 10 tracks, 1 skipped" in index
    # the accuracies and recalls again, each with its interval over tracks, and beside the paper's
    assert "recall [95 % CI]" in html["05_evaluate"] and "92.0 % [85.0, 95.9]" in html["05_evaluate"]
    assert "2 classifier seeds" in html["05_evaluate"] and "real-track accuracy over 2 classifier seeds" in index


@pytest.mark.slow
def test_smoke_run_shows_progress_and_one_summary_line_per_notebook(smoke_study):
    s = smoke_study
    assert s.returncode == 0, s.output[-3000:]
    out = s.stdout
    # clip-level progress lines from inside the kernels (count, then rate and time left)
    assert re.search(r"^generate \(symbolic\): \d+/30 clips \(\d+%\), [\d.]+ clips/s, .+ left$", out, re.M), out
    assert re.search(r"^generate \(symbolic\): 30 clips in [\d.]+ (s|min)", out, re.M), out
    assert re.search(r"^embed synthetic \(musicnn\): 30/30 files \(100%\)", out, re.M), out
    assert re.search(r"^train: \d+/40 epochs", out, re.M), out
    # one summary line per notebook, from what its stage recorded
    summaries = re.findall(r"^=== (\d\d_\w+): (.*) -> (.*) \((\d+) s in all\) ===$", out, re.M)
    assert [name for name, *_ in summaries] == [nb.stem for nb in NOTEBOOKS], out
    said = {name: text for name, text, *_ in summaries}
    assert said["01_prompts"].startswith("30 prompts in ")
    assert re.fullmatch(r"30 clips in [\d.]+ s \([\d.]+ clips/s\)", said["02_generate"]), said
    assert re.fullmatch(r"30 clips embedded in [\d.]+ s \([\d.]+ clips/s\)", said["03_embed"]), said
    assert re.match(r"\d+ training \+ \d+ validation clips, best epoch \d+ of \d+", said["04_train"]), said
    assert re.fullmatch(r"synthetic val accuracy [\d.]+ %; real [\d.]+ % on 10 tracks", said["05_evaluate"]), said
    assert out.rstrip().endswith("index.html")
