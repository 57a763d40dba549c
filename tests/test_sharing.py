"""Reports fit for sharing: relative paths, Table 1 without NaN, the index page,
``synthmir report`` (on a small hand-made executed notebook)."""

import json
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers import cli
from helpers.evaluation import BLANK, classification_metrics, table1
from helpers.reports import WIDGET_NOTE, path_replacements, relative_paths, render_html, write_index

ROOT = Path(__file__).resolve().parents[1]


def test_paths_become_relative_to_the_project_or_a_short_name():
    pairs = path_replacements({"run_dir": "/data/runs/try2", "real_data": "/data/bench/tracks.csv",
                               "overrides": {"x.y": [f"{ROOT}/runs/z"]}, "clips_per_genre": 5}, root=ROOT)
    text = (f"run {ROOT}/runs/offline; root {ROOT}; sibling {ROOT}2/x; run_dir='/data/runs/try2'; "
            f"track /data/bench/Rock/a.flac; {sys.prefix}/lib/python3.11/x.py; /data/other")
    sibling = f"{ROOT}2/x"  # not inside the project: kept, or shortened like any temp path when the clone is there
    tmp = tempfile.gettempdir().rstrip("/") + "/"
    if sibling.startswith(tmp):
        sibling = "<tmp>/" + sibling[len(tmp):]
    assert relative_paths(text, pairs) == ("run runs/offline; root .; sibling " + sibling +
                                           "; run_dir='…/try2'; track …/bench/Rock/a.flac; <venv>/lib/python3.11/x.py; "
                                           "/data/other")


def executed_notebook(path: Path, widget: bool = True) -> Path:
    """A small notebook as papermill leaves it: parameters in the metadata, outputs with paths."""
    nb = new_notebook(metadata={"papermill": {"parameters": {"run_dir": "/data/runs/try2", "real_data": "/data/bench"}},
                                "kernelspec": {"name": "synthmir", "display_name": "SynthMIR", "language": "python"},
                                "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}})
    nb.cells = [
        new_markdown_cell("# 07 · Example\n\nA study."),
        new_code_cell('run_dir = "/data/runs/try2"', outputs=[
            new_output("stream", name="stdout", text=f"run folder /data/runs/try2, code {ROOT}/src/helpers\n")]),
        new_code_cell("table", outputs=[new_output("execute_result", execution_count=1, data={
            "text/html": "<table><tr><td>/data/bench/Rock/a.flac</td></tr></table>",
            "text/plain": "/data/bench/Rock/a.flac"})]),
        new_code_cell("boom()", outputs=[new_output("error", ename="FileNotFoundError", evalue="/data/bench/x.wav",
                                                    traceback=[f"File {sys.prefix}/lib/python3.11/site-packages/y.py",
                                                               "FileNotFoundError: /data/bench/x.wav"])]),
    ]
    if widget:
        nb.cells.append(new_code_cell("clip_browser(m)", outputs=[new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox(children=(Dropdown(...)))"})]))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_a_rendered_report_shows_no_machine_paths_and_loads_nothing(tmp_path):
    html = render_html(executed_notebook(tmp_path / "07_example.ipynb"), tmp_path / "07_example.html").read_text()
    for path in ("/data/", str(ROOT), sys.prefix):
        assert path not in html
    for shown in ("…/try2", "src/helpers", "…/bench/Rock/a.flac", "…/bench/x.wav", "&lt;venv&gt;/lib/python3.11"):
        assert shown in html, shown
    assert WIDGET_NOTE in html and "VBox(children" not in html
    assert "<script src=" not in html and "cdnjs" not in html and "embed-amd" not in html


def test_table1_has_no_nan_and_shows_blanks_as_the_paper():
    m = classification_metrics(["a", "a", "b", "c"], ["a", "b", "b", "c"], ["a", "b", "c"])
    t = table1(m)
    assert not t.isna().any().any()
    assert list(t.loc["Accuracy"]) == [75.0, BLANK, BLANK, 4]
    assert t.loc["a", "Recall"] == 50.0 and t["Support"].dtype.kind == "i"
    assert "NaN" not in t.to_html() and "<td>—</td>" in t.to_html()


def test_a_genre_missing_from_the_benchmark_has_no_recall_and_leaves_the_macro_average():
    from sklearn.metrics import precision_recall_fscore_support

    # a benchmark of a and c only; the classifier also predicts b (wrongly) and never d
    y_true, y_pred = ["a", "a", "a", "c", "c"], ["a", "b", "a", "c", "a"]
    m = classification_metrics(y_true, y_pred, ["a", "b", "c", "d"])
    assert m["present"] == ["a", "c"]
    assert m["per_class"]["b"] == {"precision": 0.0, "recall": None, "recall_ci": None, "f1": None, "support": 0}
    assert m["per_class"]["d"] == {"precision": None, "recall": None, "recall_ci": None, "f1": None, "support": 0}
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=["a", "c"], average="macro", zero_division=0)
    assert (m["macro"]["precision"], m["macro"]["recall"], m["macro"]["f1"]) == pytest.approx((p, r, f))
    assert json.loads(json.dumps(m))["per_class"]["b"]["recall"] is None  # null in metrics.json, never NaN
    t = table1(m)
    assert list(t.loc["b"]) == [0.0, BLANK, BLANK, 0] and list(t.loc["d"]) == [BLANK, BLANK, BLANK, 0]
    assert "Macro avg (2 genres present)" in t.index and not t.isna().any().any()
    assert t.loc["Accuracy", "Precision"] == 60.0
    full = table1(classification_metrics(["a", "b", "c"], ["a", "b", "a"], ["a", "b", "c"]))
    assert list(full.index) == ["a", "b", "c", "Macro avg", "Accuracy"]  # every genre present: the paper's rows


def test_the_confusion_figure_has_a_row_per_genre_present():
    import matplotlib
    matplotlib.use("Agg")
    from helpers.reports import plot_confusion

    ax = plot_confusion(classification_metrics(["a", "a", "c"], ["a", "b", "c"], ["a", "b", "c", "d"]))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "c"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]


def test_the_index_links_reports_and_shows_the_headline_figures(tmp_path):
    reports, notebooks, run = tmp_path / "reports", tmp_path / "notebooks", tmp_path / "run"
    for name in ("01_prompts", "05_evaluate", "06_scaling"):
        (reports / f"{name}.html").parent.mkdir(parents=True, exist_ok=True)
        (reports / f"{name}.html").write_text("<html></html>")
    nbformat.write(new_notebook(cells=[new_markdown_cell("# 01 · Prompts\n\ntext")]), _mk(notebooks / "01_prompts.ipynb"))
    metrics = {"profile": "offline", "generator": "symbolic", "embedder": "musicnn", "train_clips": 900,
               "best_epoch": 12, "stopped_epoch": 17, "synthetic_val": {"accuracy": 0.98, "n": 100},
               "real": {"accuracy": 0.7391, "tracks": 23, "skipped": 0, "macro": {"f1": 0.485}}}
    _mk(run / "metrics.json").write_text(json.dumps(metrics))
    index = write_index(reports, run, title="SynthMIR · offline", notebooks_dir=notebooks).read_text()
    assert '<a href="01_prompts.html">01 · Prompts</a>' in index
    assert '<a href="05_evaluate.html">05_evaluate</a>' in index and '<a href="06_scaling.html">' in index
    for figure in ("98.0 % of 100 clips (paper: 84.6 %)", "73.9 % of 23 tracks (paper: 92 % of 100)", "48.5 %", "900",
                   "12 (17)", "symbolic / musicnn"):
        assert figure in index, figure
    assert "<script" not in index and str(tmp_path) not in index
    metrics["real"]["accuracy_ci"] = [0.535, 0.875]  # metrics.json since the intervals: shown beside the figure
    _mk(run / "metrics.json").write_text(json.dumps(metrics))
    index = write_index(reports, run, title="SynthMIR · offline", notebooks_dir=notebooks).read_text()
    assert "real-track accuracy [95 % CI]" in index and "73.9 % [53.5, 87.5] of 23 tracks (paper: 92 % of 100)" in index
    assert "classifier seeds" not in index  # one seed only: no spread to show
    metrics["seed_spread"] = {"seeds": [1, 2, 3], "real_accuracy": {"mean": 0.75, "sd": 0.012, "min": 0.739, "max": 0.783}}
    _mk(run / "metrics.json").write_text(json.dumps(metrics))
    index = write_index(reports, run, title="SynthMIR · offline", notebooks_dir=notebooks).read_text()
    assert "real-track accuracy over 3 classifier seeds" in index and "75.0 ± 1.2 % (73.9-78.3 %)" in index


def test_an_index_without_metrics_says_where_they_come_from(tmp_path):
    index = write_index(tmp_path, tmp_path / "run").read_text()
    assert "No metrics yet: 05_evaluate writes them." in index and "No reports yet." in index


def _mk(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def test_report_command_renders_executed_notebooks_and_the_index(tmp_path, capsys):
    run = tmp_path / "run"
    executed_notebook(run / "notebooks" / "01_prompts.ipynb", widget=False)
    executed_notebook(run / "notebooks" / "05_evaluate.ipynb")
    assert cli.main(["report", "--profile", "smoke", "--run-dir", str(run), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"01_prompts: -> {tmp_path / 'out' / '01_prompts.html'}",
                   f"05_evaluate: -> {tmp_path / 'out' / '05_evaluate.html'}",
                   f"index: {tmp_path / 'out' / 'index.html'}"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["01_prompts.html", "05_evaluate.html", "index.html"]
    assert cli.main(["report", "--profile", "smoke", "--run-dir", str(run), "--out", str(tmp_path / "out"),
                     "--notebook", "04_train"]) == 2
    assert "no executed notebook" in capsys.readouterr().err


def test_a_notebook_rendered_alone_keeps_the_index_headline(tmp_path):
    """./run_all.sh --studies --from 11 on a run folder without metrics.json rewrites the index:
    the headline figures of the earlier index stay, marked as such, not replaced by "No metrics yet"."""
    run = tmp_path / "run"
    _mk(run / "metrics.json").write_text(json.dumps({"profile": "offline", "synthetic_val": {"accuracy": 0.98, "n": 100}}))
    first = write_index(tmp_path, run).read_text()
    assert "98.0 % of 100 clips" in first and "earlier index" not in first
    (run / "metrics.json").unlink()
    again = write_index(tmp_path, run).read_text()
    assert "98.0 % of 100 clips" in again and "earlier index" in again and "No metrics yet" not in again
    assert again.count("<h2>Headline figures</h2>") == 1
    assert write_index(tmp_path, run).read_text().count("<h2>Headline figures</h2>") == 1  # and again
