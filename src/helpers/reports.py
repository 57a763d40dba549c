"""What the notebooks show: audio players, figures, tables, a clip browser,
and rendering executed notebooks to self-contained HTML.

Audio is embedded in the HTML as MP3 (base64) so a report is one file that
plays anywhere, at a fraction of a WAV's size.
"""

from __future__ import annotations

import base64
import html
import io
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
    (rows true, columns predicted); cells show row-normalised share and count."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    cm = np.array(metrics["confusion"], dtype=float)
    labels = metrics["labels"]
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    annot = np.array([[f"{100 * share[i, j]:.0f}%\n({int(cm[i, j])})" for j in range(len(labels))]
                      for i in range(len(labels))])
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.4))
    sns.heatmap(share if normalize else cm, annot=annot, fmt="", cmap="Blues", vmin=0, vmax=1 if normalize else None,
                xticklabels=labels, yticklabels=labels, cbar=False, ax=ax, square=True)
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

def render_html(notebook: str | Path, html_path: str | Path) -> Path:
    """Render an executed notebook to one self-contained HTML file (figures and
    audio embedded; input cells kept, papermill's injected-parameters cell too)."""
    import nbformat
    from nbconvert import HTMLExporter

    from .data import atomic_write_text

    nb = nbformat.read(str(notebook), as_version=4)
    exporter = HTMLExporter(embed_images=True)
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
