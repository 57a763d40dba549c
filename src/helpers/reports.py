"""What the notebooks show: audio players, figures, tables, a clip browser,
and rendering executed notebooks to self-contained HTML.

Audio is embedded in the HTML as MP3 (base64) so a report is one file that
plays anywhere, at a fraction of a WAV's size.
"""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .audio import load_audio


def encode_mp3(audio: np.ndarray, sr: int) -> bytes:
    """MP3 bytes of mono float audio (libsndfile's LAME encoder)."""
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.clip(audio, -1, 1), sr, format="MP3", subtype="MPEG_LAYER_III")
    return buf.getvalue()


def audio_tag(audio: np.ndarray, sr: int) -> str:
    """An HTML ``<audio>`` element with the audio embedded."""
    data = base64.b64encode(encode_mp3(audio, sr)).decode("ascii")
    return f'<audio controls preload="none" src="data:audio/mpeg;base64,{data}"></audio>'


def file_player(path: str | Path, max_s: float | None = 10.0, sr: int = 32000) -> str:
    """An ``<audio>`` element for a file (its middle ``max_s`` seconds)."""
    audio, sr = load_audio(path, sr=sr)
    if max_s is not None and len(audio) > max_s * sr:
        start = (len(audio) - int(max_s * sr)) // 2
        audio = audio[start:start + int(max_s * sr)]
    return audio_tag(audio, sr)


def players_table(rows: pd.DataFrame, path_col: str = "path", columns: Sequence[str] = (),
                  max_s: float | None = 10.0) -> str:
    """An HTML table: the named columns, then a player for ``path_col``."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in [*columns, "audio"])
    body = []
    for _, r in rows.iterrows():
        cells = "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in columns)
        body.append(f"<tr>{cells}<td>{file_player(r[path_col], max_s)}</td></tr>")
    return f'<table class="synthmir-players"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, (float, np.floating)) else str(v)


def show_html(markup: str):
    from IPython.display import HTML, display

    display(HTML(markup))


# --- figures ---------------------------------------------------------------------------

def plot_confusion(metrics: dict, title: str = "", normalize: bool = True, ax=None):
    """Heat map of a confusion matrix from :func:`evaluation.classification_metrics`
    (rows true, columns predicted); cells show row-normalised share and count.
    Rows are the genres present in the evaluated set (a benchmark without Funk
    gets no Funk row); columns are every genre the classifier can predict."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    cm = np.array(metrics["confusion"], dtype=float)
    labels = metrics["labels"]
    present = metrics.get("present", labels)
    rows = [labels.index(l) for l in present] or list(range(len(labels)))
    cm = cm[rows]
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    annot = np.array([[f"{100 * share[i, j]:.0f}%\n({int(cm[i, j])})" for j in range(len(labels))]
                      for i in range(len(rows))])
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4 * max(len(rows), 2) / max(len(labels), 2)))
    sns.heatmap(share if normalize else cm, annot=annot, fmt="", cmap="Blues", vmin=0, vmax=1 if normalize else None,
                xticklabels=labels, yticklabels=[labels[i] for i in rows], cbar=False, ax=ax,
                square=True)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or f"accuracy {100 * metrics['accuracy']:.1f}% (n={metrics['n']})")
    return ax


def plot_history(history: pd.DataFrame, best_epoch: int | None = None):
    """Training and validation loss and accuracy per epoch."""
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.plot(history["epoch"], history["train_loss"], label="train (class-weighted)")
    a.plot(history["epoch"], history["val_loss"], label="validation")
    a.set_xlabel("epoch"), a.set_ylabel("cross-entropy"), a.legend()
    b.plot(history["epoch"], history["train_accuracy"], label="train")
    b.plot(history["epoch"], history["val_accuracy"], label="validation")
    b.set_xlabel("epoch"), b.set_ylabel("accuracy"), b.legend()
    for ax in (a, b):
        if best_epoch:
            ax.axvline(best_epoch, color="grey", ls="--", lw=1)
    fig.tight_layout()
    return fig


def plot_embedding_map(X: np.ndarray, labels: Sequence[str], seed: int = 0, ax=None, title: str = "",
                       reference: np.ndarray | None = None):
    """2-D PCA of embeddings coloured by label. With ``reference`` (e.g. the
    synthetic clips), the PCA is fitted there and ``X`` projected into it, so
    two maps share their axes and show the gap between the domains."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from sklearn.decomposition import PCA

    ref = X if reference is None else reference
    mean, std = ref.mean(0), ref.std(0) + 1e-6
    Z = PCA(n_components=2, random_state=seed).fit((ref - mean) / std).transform((X - mean) / std)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    sns.scatterplot(x=Z[:, 0], y=Z[:, 1], hue=list(labels), s=10, alpha=0.7, ax=ax, linewidth=0)
    ax.set_xlabel("PC 1"), ax.set_ylabel("PC 2"), ax.set_title(title)
    return ax


# --- interactive -------------------------------------------------------------------------

def clip_browser(manifest: pd.DataFrame):
    """An ipywidgets browser: pick a genre, then a prompt, and listen."""
    import ipywidgets as widgets
    from IPython.display import HTML, display

    genres = sorted(manifest["genre"].unique())
    genre = widgets.Dropdown(options=genres, description="genre")
    clip = widgets.Dropdown(description="prompt", layout=widgets.Layout(width="95%"))
    out = widgets.Output()

    def _options(*_):
        rows = manifest[manifest["genre"] == genre.value]
        clip.options = [(f"{r.prompt} [seed {r.seed}]", r.id) for r in rows.itertuples()]

    def _play(*_):
        out.clear_output()
        if clip.value is None:
            return
        row = manifest.set_index("id").loc[clip.value]
        with out:
            display(HTML(f"<p><b>{html.escape(row['prompt'])}</b> (seed {row['seed']}, "
                         f"{row['lufs']:.1f} LUFS)</p>{file_player(row['path'])}"))

    genre.observe(_options, names="value")
    clip.observe(_play, names="value")
    _options()
    return widgets.VBox([genre, clip, out])


# --- rendering ---------------------------------------------------------------------------

#: shown in a static report where a live widget (e.g. the clip browser) was
WIDGET_NOTE = ("<p><em>An interactive widget: it runs live in JupyterLab (<code>./synthmir lab</code>); "
               "a static report cannot show it.</em></p>")
_WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
_TEMPLATE = Path(__file__).parent / "resources" / "report" / "synthmir_report.html.j2"


def path_replacements(parameters: dict | None = None, root: str | Path | None = None) -> list[tuple[str, str]]:
    """Absolute path prefixes and what a shared report shows instead, longest first.

    The project root becomes relative (``runs/offline/...``); an absolute path
    among the notebook's parameters (``run_dir``, ``real_data``, or inside
    ``overrides``) outside the project becomes ``…/<its name>`` (a CSV's folder
    for a CSV); then the venv becomes ``<venv>``, the temp folder ``<tmp>`` and
    the home folder ``~``.
    """
    import sys
    import tempfile

    from .config import PROJECT_ROOT

    root = Path(root or PROJECT_ROOT)
    pairs: list[tuple[str, str]] = []

    def add(path: Path, shown: str) -> None:
        for variant in {str(path), str(path.resolve())}:
            if len(variant) > 1:  # never "/"
                pairs.append((variant.rstrip("/"), shown))

    def values(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                yield from values(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                yield from values(v)
        elif isinstance(obj, str):
            yield obj

    for value in values(parameters or {}):
        p = Path(value).expanduser()
        if not p.is_absolute() or "\n" in value:
            continue
        folder = p.parent if p.suffix.lower() == ".csv" else p
        try:
            folder.resolve().relative_to(root.resolve())
            continue  # inside the project: the root's rule below makes it relative
        except ValueError:
            add(folder, f"…/{folder.name}")
    add(root, "")
    add(Path(sys.prefix), "<venv>")
    add(Path(tempfile.gettempdir()), "<tmp>")
    add(Path.home(), "~")
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def relative_paths(text: str, replacements: list[tuple[str, str]]) -> str:
    """``text`` with every absolute prefix in ``replacements`` replaced (whole
    path components only); the empty replacement makes a path relative."""
    import re

    for prefix, shown in replacements:
        pat = re.escape(prefix)
        if shown == "":
            text = re.sub(pat + "/", "", text)
            text = re.sub(pat + r"(?![\w.-])", ".", text)
        else:
            text = re.sub(pat + r"(?![\w.-])", shown, text)
    return text


def _shareable(nb, replacements: list[tuple[str, str]]) -> None:
    """In place: paths made relative in sources and text outputs; live widgets
    replaced by :data:`WIDGET_NOTE` (their state is not kept)."""
    def fix(value):
        if isinstance(value, str):
            return relative_paths(value, replacements)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [relative_paths(v, replacements) for v in value]
        return value

    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.source = fix(cell.source)
        for out in cell.get("outputs", []):
            if "text" in out:
                out.text = fix(out.text)
            if "traceback" in out:
                out.traceback = fix(out.traceback)
            if "evalue" in out:
                out.evalue = fix(out.evalue)
            data = out.get("data")
            if not data:
                continue
            if _WIDGET_MIME in data:
                out.data = {"text/html": WIDGET_NOTE}
                continue
            for mime in list(data):
                if mime.startswith("text/") or mime.endswith("json"):
                    data[mime] = fix(data[mime]) if isinstance(data[mime], (str, list)) else data[mime]


def render_html(notebook: str | Path, html_path: str | Path, root: str | Path | None = None) -> Path:
    """Render an executed notebook to one self-contained HTML file, fit for sharing.

    Figures and audio are embedded; input cells are kept, papermill's
    injected-parameters cell too. Paths are shown relative to the project
    (see :func:`path_replacements`), live widgets as a note, and the page
    loads nothing from the network (no MathJax, require.js or widget manager
    from a CDN: it opens offline without errors).
    """
    import nbformat
    from nbconvert import HTMLExporter

    from .data import atomic_write_text

    nb = nbformat.read(str(notebook), as_version=4)
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    _shareable(nb, path_replacements(parameters, root))
    exporter = HTMLExporter(embed_images=True, template_file=_TEMPLATE.name, extra_template_paths=[str(_TEMPLATE.parent)])
    body, _ = exporter.from_notebook_node(nb)
    return atomic_write_text(html_path, body)


def plot_spectrograms(paths: Sequence[str | Path], titles: Sequence[str], sr: int = 32000, cols: int = 5):
    """Log-mel spectrograms of a few clips side by side."""
    import librosa
    import librosa.display
    import matplotlib.pyplot as plt

    rows = -(-len(paths) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax in axes.flat[len(paths):]:
        ax.axis("off")
    for ax, path, title in zip(axes.flat, paths, titles):
        audio, _ = load_audio(path, sr=sr)
        mel = librosa.power_to_db(librosa.feature.melspectrogram(y=audio, sr=sr, n_mels=96), ref=np.max)
        librosa.display.specshow(mel, sr=sr, x_axis="time", y_axis="mel", ax=ax, cmap="magma")
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


# --- the index page -------------------------------------------------------------------------

_INDEX_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } .sub { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { padding: .35rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } th { background: #f4f4f4; }
ol { padding-left: 1.4rem; } li { margin: .3rem 0; } a { color: #0b57d0; } .note { color: #666; font-size: .9rem; }
"""


def _notebook_title(html_file: Path, notebooks_dir: Path) -> str:
    """The notebook's first heading (``01 · Prompts``), else its file name."""
    import json

    source = notebooks_dir / f"{html_file.stem}.ipynb"
    if source.is_file():
        for cell in json.loads(source.read_text()).get("cells", []):
            text = "".join(cell.get("source", []))
            if cell.get("cell_type") == "markdown" and text.lstrip().startswith("#"):
                return text.lstrip().splitlines()[0].lstrip("#").strip()
    return html_file.stem


def headline_figures(metrics: dict) -> list[tuple[str, str]]:
    """(what, figure) rows for the index, from a run's ``metrics.json``."""
    from .evaluation import interval_text, spread_text

    rows = [("profile", str(metrics.get("profile", ""))),
            ("generator / embedder", f"{metrics.get('generator', '?')} / {metrics.get('embedder', '?')}")]
    if "train_clips" in metrics:
        rows.append(("training clips", f"{metrics['train_clips']:,}"))
    if "best_epoch" in metrics:
        rows.append(("best epoch (stopped at)", f"{metrics['best_epoch']} ({metrics.get('stopped_epoch', '?')})"))
    val = metrics.get("synthetic_val")
    if val:
        rows.append(("synthetic validation accuracy", f"{100 * val['accuracy']:.1f} % of {val['n']:,} clips (paper: 84.6 %)"))
    real = metrics.get("real")
    if real:
        skipped = f", {real['skipped']} skipped" if real.get("skipped") else ""
        rows.append(("real-track accuracy [95 % CI]",
                     f"{interval_text(real['accuracy'], real.get('accuracy_ci'))} of {real['tracks']} tracks{skipped} "
                     f"(paper: 92 % of 100)"))
        rows.append(("real-track macro F1", f"{100 * real['macro']['f1']:.1f} %"))
        over = (metrics.get("seed_spread") or {}).get("real_accuracy")
        if over:
            mean_sd, span = spread_text(over)
            rows.append((f"real-track accuracy over {len(metrics['seed_spread']['seeds'])} classifier seeds",
                         f"{mean_sd} ({span})"))
    return rows


_HEADLINE_RE = re.compile(r"<h2>Headline figures</h2><table>.*?</table>", re.S)


def _earlier_headline(index: Path) -> str:
    """The headline table of an index already in the folder ("" when none): a notebook rendered on
    its own, from a run folder without metrics.json, keeps the figures its neighbours were made with."""
    try:
        found = _HEADLINE_RE.search(index.read_text(encoding="utf-8"))
    except OSError:
        return ""
    return found.group(0) if found else ""


def write_index(reports_dir: str | Path, run_path: str | Path | None = None, title: str = "SynthMIR",
                notebooks_dir: str | Path | None = None) -> Path:
    """``reports_dir/index.html``: the headline figures of the run's ``metrics.json``
    (when there is one) and a link to every ``NN_*.html`` report in ``reports_dir``.
    Self-contained, no scripts, links relative (the folder can be moved or zipped)."""
    import json
    import time

    from .config import PROJECT_ROOT
    from .data import atomic_write_text

    reports_dir = Path(reports_dir)
    notebooks_dir = Path(notebooks_dir or PROJECT_ROOT / "notebooks")
    pages = sorted(p for p in reports_dir.glob("[0-9][0-9]_*.html"))
    metrics_path = Path(run_path) / "metrics.json" if run_path else None
    where = f"run folder {relative_paths(str(run_path), path_replacements())}, " if run_path else ""
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="sub">{html.escape(where)}index written {time.strftime("%Y-%m-%d %H:%M")}</p>']
    if metrics_path and metrics_path.is_file():
        rows = headline_figures(json.loads(metrics_path.read_text()))
        cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
        parts.append(f"<h2>Headline figures</h2><table>{cells}</table>")
    else:
        kept = _earlier_headline(reports_dir / "index.html")
        parts.append(kept + '<p class="note">The headline figures above are those of the earlier index: this run '
                     'folder has no metrics.json (a later notebook was rendered alone).</p>' if kept else
                     '<p class="note">No metrics yet: 05_evaluate writes them.</p>')
    links = "".join(f'<li><a href="{html.escape(p.name)}">{html.escape(_notebook_title(p, notebooks_dir))}</a> '
                    f'<span class="note">({p.stat().st_size / 1e6:.1f} MB)</span></li>' for p in pages)
    parts.append(f"<h2>Reports</h2><ol>{links}</ol>" if pages else '<p class="note">No reports yet.</p>')
    parts.append('<p class="note">Each report is one self-contained HTML file (figures and audio embedded).</p>')
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_INDEX_CSS}</style></head>'
            f'<body>{"".join(parts)}</body></html>\n')
    return atomic_write_text(reports_dir / "index.html", page)
