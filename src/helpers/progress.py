"""Progress that reaches the person waiting: bars, plain lines, and one summary line per stage.

Long loops (generation, embedding, training) take their bar from
:func:`progress_bar`. Its style comes from the ``progress`` argument the
stages pass on (a notebook parameter) or, when that is just ``True``, from
the environment variable ``SYNTHMIR_PROGRESS``:

``auto`` (default)
    a widget in JupyterLab, a tqdm bar in a terminal, plain lines anywhere else
    (a log file, a SLURM job);
``lines``
    one line every ``SYNTHMIR_PROGRESS_INTERVAL`` seconds (default 10) with
    the count, the rate and the time left, and a summary line at the end.
    ``run_all.sh`` selects it: a kernel under papermill has no terminal, and
    its stderr lines are what papermill passes on to the terminal;
``bar`` / ``off``
    a text tqdm bar always / nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tqdm import tqdm as _std_tqdm

MODES = ("auto", "lines", "bar", "off")
ENV_MODE = "SYNTHMIR_PROGRESS"
ENV_INTERVAL = "SYNTHMIR_PROGRESS_INTERVAL"


def progress_mode(progress: bool | str = True) -> str:
    """The style for a ``progress`` argument: ``False`` is ``off``; ``True`` is
    ``$SYNTHMIR_PROGRESS`` (default ``auto``); a mode name is itself."""
    if progress is False or progress is None:
        return "off"
    mode = os.environ.get(ENV_MODE, "auto") if progress is True else progress
    mode = str(mode).strip().lower()
    if mode not in MODES:
        source = f"environment variable {ENV_MODE}" if progress is True else "argument progress"
        raise ValueError(f"{source}: unknown progress style {mode!r}; choose from {list(MODES)}")
    return mode


def _interval() -> float:
    raw = os.environ.get(ENV_INTERVAL, "10")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"environment variable {ENV_INTERVAL}: expected seconds, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"environment variable {ENV_INTERVAL}: expected seconds >= 0, got {raw!r}")
    return value


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_bar(iterable=None, *, progress: bool | str = True, **kwargs):
    """A tqdm bar in the style :func:`progress_mode` picks; takes tqdm's arguments
    (``total``, ``initial``, ``desc``, ``unit``, ...)."""
    mode = progress_mode(progress)
    if mode == "auto":
        if _in_kernel():
            from tqdm.auto import tqdm

            return tqdm(iterable, **kwargs)
        mode = "bar" if getattr(sys.stderr, "isatty", lambda: False)() else "lines"
    if mode == "lines":
        return LineBar(iterable, **kwargs)
    return _std_tqdm(iterable, disable=mode == "off", **kwargs)


def _plural(unit: str) -> str:
    return unit if unit.endswith("s") else unit + "s"


def _per_s(rate: float) -> str:
    return f"{rate:.0f}" if rate >= 100 else f"{rate:.1f}" if rate >= 10 else f"{rate:.2f}"


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


class LineBar(_std_tqdm):
    """tqdm that writes whole lines, never carriage returns, to stderr:

    ``generate (symbolic): 120/1000 clips (12%), 21.3 clips/s, 41 s left``

    at most one every ``mininterval`` seconds (``$SYNTHMIR_PROGRESS_INTERVAL``),
    then on close ``generate (symbolic): 1000 clips in 47 s (21.3 clips/s)``.
    The rate is the average since the start, so the time left is steady.
    """

    def __init__(self, iterable=None, **kwargs):
        kwargs.setdefault("mininterval", _interval())
        kwargs.setdefault("file", sys.stderr)
        kwargs.setdefault("miniters", 1)  # fixed: only the interval gates the lines
        kwargs.setdefault("unit", "it")
        kwargs["ascii"] = True
        super().__init__(iterable, **kwargs)

    def _elapsed(self) -> float:
        return self._time() - self.start_t if hasattr(self, "start_t") else 0.0  # not yet set on tqdm's first display

    def _head(self) -> str:
        return f"{self.desc}: " if self.desc else ""

    def _rate(self) -> float | None:
        made, elapsed = self.n - self.initial, self._elapsed()
        return made / elapsed if made > 0 and elapsed > 0 else None

    def line(self) -> str:
        """The progress line for the current state."""
        unit = _plural(self.unit)
        head = self._head()
        text = f"{head}{self.n}/{self.total} {unit} ({100 * self.n / self.total:.0f}%)" if self.total else f"{head}{self.n} {unit}"
        rate = self._rate()
        if rate:
            text += f", {_per_s(rate)} {unit}/s"
            if self.total:
                text += f", {_duration((self.total - self.n) / rate)} left"
        if self.postfix:
            text += f", {self.postfix}"
        return text

    def summary(self) -> str:
        """The closing line: what was made, in how long, how fast."""
        unit = _plural(self.unit)
        made, elapsed, rate = self.n - self.initial, self._elapsed(), self._rate()
        text = f"{self._head()}{made} {unit} in {_duration(elapsed)}"
        if rate:
            text += f" ({_per_s(rate)} {unit}/s)"
        if self.initial:
            text += f"; {self.initial} done before"
        if self.postfix:
            text += f"; {self.postfix}"
        return text

    def _write(self, text: str) -> None:
        self.fp.write(text + "\n")
        self.fp.flush()

    def set_postfix(self, ordered_dict=None, refresh=True, **kwargs):
        super().set_postfix(ordered_dict, refresh=False, **kwargs)  # shown with the next line

    def set_postfix_str(self, s="", refresh=True):
        super().set_postfix_str(s, refresh=False)

    def display(self, msg=None, pos=None):
        if msg == "":  # tqdm clearing its line: nothing to clear
            return False
        self._write(self.line() if msg is None else msg)
        return True

    def close(self):
        if getattr(self, "disable", True):  # closed already, or __init__ failed
            return
        self.leave = False  # tqdm's own last line would repeat the progress line; ours sums up
        super().close()
        self._write(self.summary())


# --- one summary line per stage ------------------------------------------------------

def _profile(path: Path, since: float) -> dict | None:
    if not path.is_file() or path.stat().st_mtime < since:
        return None
    return json.loads(path.read_text())


def _rate(n: int, seconds: float, unit: str) -> str:
    return f" ({_per_s(n / seconds)} {unit}/s)" if n and seconds > 0 else ""


def stage_summary(notebook: str, run_path: str | Path, since: float = 0.0) -> str:
    """One line on what a study notebook's stage did, read from the ``profile.json``
    (or ``metrics.json``) it wrote after ``since`` (a Unix time): e.g.
    ``"30 clips in 2.1 s (14.3 clips/s)"``; "nothing new" when the stage found
    its work done; ``""`` for a notebook without a stage."""
    run = Path(run_path)
    name = notebook.lower()
    if "prompt" in name:
        p = _profile(run / "prompts" / "profile.json", since)
        return f"{p.get('rows', '?')} prompts in {_duration(p['elapsed_s'])}" if p else "prompts already made"
    if "generate" in name:
        p = _profile(run / "clips" / "profile.json", since)
        if not p:
            return "clips already made"
        made = int(p.get("clips_made", 0))
        text = f"{made} clips in {_duration(p['elapsed_s'])}{_rate(made, p['elapsed_s'], 'clips')}"
        done_before = int(p.get("clips_total", made)) - made
        return text + (f"; {done_before} made before" if done_before else "")
    if "embed" in name:
        found = [_profile(f, since) for f in sorted((run / "embeddings").glob("*/profile.json"))]
        found = [p for p in found if p]
        if not found:
            return "embeddings already made"
        p = found[-1]
        n = int(p.get("clips", 0))
        return f"{n} clips embedded in {_duration(p['elapsed_s'])}{_rate(n, p['elapsed_s'], 'clips')}"
    if "train" in name:
        p = _profile(run / "model" / "profile.json", since)
        if not p:
            return "classifier already trained"
        return (f"{p.get('train')} training + {p.get('val')} validation clips, best epoch {p.get('best_epoch')} "
                f"of {p.get('stopped_epoch')}, in {_duration(p['elapsed_s'])}")
    if "evaluat" in name:
        m = _profile(run / "metrics.json", since)
        if not m:
            return "no new metrics"
        text = f"synthetic val accuracy {100 * m['synthetic_val']['accuracy']:.1f} %"
        if "real" in m:
            text += f"; real {100 * m['real']['accuracy']:.1f} % on {m['real']['tracks']} tracks"
        return text
    return ""
