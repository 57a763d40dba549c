"""The tempo a tracker module states, read from its playback timeline.

Classic trackers (MOD, S3M, XM, IT) time a song by two numbers: the *tempo* ``T`` sets the
tick length (2.5 / T seconds) and the *speed* ``S`` the ticks per row. One row therefore
lasts ``2.5 * S / T`` seconds, and with ``R`` rows per beat::

    BPM = 60 / (R * 2.5 * S / T) = T * 6 / S * (4 / R)

At the trackers' defaults (T 125, S 6, a beat every 4 rows) that is 125 BPM. ``R`` is the
module's own statement where it has one (the row highlight of an IT or MPTM file, or an
MPTM pattern's time signature); libopenmpt applies it in
``openmpt_module_get_current_estimated_bpm``, so ``R = 24 T / (S * estimated BPM)`` is read
back from the library, and must come out as a whole number (else the module uses a tempo
mode other than the classic one and is not used). Formats with no such statement get 4.

Where the module states no rows per beat, 4 is assumed unless its notes say otherwise:
when the notes struck fall on every 6th row 1.5 times as often as on every 4th (relative
to their average, :func:`grid_concentration`), the beat is 6 rows (ternary). The beat is
then moved by octaves (rows per beat doubled or halved) into 60-200 BPM: a tracker song
at tempo 125, speed 3 plays 16.7 rows a second, a 250 BPM "beat" at 4 rows, heard as 125.

A module is kept when one BPM (within 1 %) holds for at least 90 % of its playing time,
and for 90 % of the first 30 s (what the benchmark renders). The rows actually played per
second are counted too: pattern delays stretch rows without changing T or S, so a module
whose counted row rate is more than 2 % off the one T and S give is dropped as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: BPM values within this fraction of each other are one tempo.
BPM_TOLERANCE = 0.01
#: Share of the playing time (and of the clip) the main tempo must hold.
MIN_CONSTANT_SHARE = 0.90
#: Counted rows per second may differ this much (fraction) from 2.5 S / T.
ROW_RATE_TOLERANCE = 0.02
#: Timeline step: tempo state is read this often while rendering (seconds).
STEP_S = 0.01
#: Sample rate used for analysis (the timing does not depend on it).
ANALYSIS_SR = 8_000
#: Rows per beat assumed where a module states none.
DEFAULT_ROWS_PER_BEAT = 4
#: The tempo range of the benchmark (BPM).
TEMPO_RANGE = (40.0, 250.0)
#: The beat is taken where it falls in this range: outside it, the rows per beat are
#: doubled or halved (octaves) until it does.
BEAT_RANGE = (60.0, 200.0)
#: Notes on every 6th row this many times as concentrated as on every 4th make a module
#: without a stated beat ternary (6 rows a beat instead of 4).
TERNARY_RATIO = 1.5
#: Shortest module used (seconds).
MIN_DURATION_S = 20.0
#: Length of the rendered clip the start share is measured over (seconds).
CLIP_S = 30.0


def bpm_from(tempo: float, speed: float, rows_per_beat: float = DEFAULT_ROWS_PER_BEAT) -> float:
    """Beats per minute of classic tracker timing: ``T * 6 / S * (4 / R)``."""
    if tempo <= 0 or speed <= 0 or rows_per_beat <= 0:
        raise ValueError(f"tempo {tempo}, speed {speed} and rows per beat {rows_per_beat} must be positive")
    return tempo * 6.0 / speed * (4.0 / rows_per_beat)


def rows_per_beat_from(tempo: float, speed: float, estimated_bpm: float) -> float | None:
    """The rows per beat libopenmpt used for ``estimated_bpm`` (whole number), or ``None``
    when no whole number fits within 2 % (a non-classic tempo mode)."""
    if tempo <= 0 or speed <= 0 or not estimated_bpm or estimated_bpm <= 0 or not math.isfinite(estimated_bpm):
        return None
    raw = 24.0 * tempo / (speed * estimated_bpm)
    r = round(raw)
    if r < 1 or abs(raw - r) > 0.02 * r:
        return None
    return float(r)


@dataclass
class Timeline:
    """Tempo state sampled during playback: one entry per step of ``dt[i]`` seconds ending
    at ``t[i]``. ``rows_per_beat`` is NaN where it could not be read back."""

    t: np.ndarray
    dt: np.ndarray
    tempo: np.ndarray
    speed: np.ndarray
    rows_per_beat: np.ndarray
    order: np.ndarray = field(default_factory=lambda: np.zeros(0))
    row: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def from_states(cls, states: list[tuple[float, float, float, float, float, int, int]]) -> "Timeline":
        """From ``(t, dt, tempo, speed, rows_per_beat, order, row)`` tuples."""
        arr = np.array(states, dtype=float).reshape(-1, 7)
        return cls(*(arr[:, i] for i in range(7)))

    @classmethod
    def synthetic(cls, segments: list[tuple[float, float, float]], rows_per_beat: float = 4,
                  dt: float = 0.5) -> "Timeline":
        """A timeline of ``(seconds, tempo, speed)`` segments sampled every ``dt`` (for tests
        and examples); rows advance at the rate tempo and speed give."""
        states, t, row_pos = [], 0.0, 0.0
        for seconds, tempo, speed in segments:
            for _ in range(int(round(seconds / dt))):
                t += dt
                row_pos += dt * tempo / (2.5 * speed)
                states.append((t, dt, tempo, speed, rows_per_beat, 0, int(row_pos)))
        return cls.from_states(states)

    def __len__(self) -> int:
        return len(self.t)

    @property
    def bpm(self) -> np.ndarray:
        """BPM of every step (NaN where rows per beat is unknown or timing is zero)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out = self.tempo * 6.0 / self.speed * (4.0 / self.rows_per_beat)
        out[~np.isfinite(out)] = np.nan
        return out

    @property
    def total_s(self) -> float:
        return float(self.dt.sum())


@dataclass(frozen=True)
class TempoSummary:
    """The main tempo of a timeline and the evidence for it."""

    bpm: float                  # T * 6 / S * 4 / R of the main tempo (nan when none)
    tempo: float                # T
    speed: int                  # S
    rows_per_beat: int          # R
    constant_share: float       # share of the playing time at the main BPM (within 1 %)
    clip_share: float           # the same over the first ``clip_s`` seconds
    row_rate_bpm: float         # 60 * counted rows per second / R, over the main-tempo time
    distinct: int               # number of distinct BPM values met (1 % apart)
    total_s: float

    @property
    def row_rate_ratio(self) -> float:
        return self.row_rate_bpm / self.bpm if self.bpm and math.isfinite(self.row_rate_bpm) else float("nan")


def _share(bpm: np.ndarray, dt: np.ndarray, value: float, tol: float) -> float:
    mask = np.abs(bpm - value) <= tol * value
    total = float(dt.sum())
    return float(dt[mask].sum()) / total if total > 0 else 0.0


def summarise(tl: Timeline, tol: float = BPM_TOLERANCE, clip_s: float = CLIP_S,
              count_rows: bool = True) -> TempoSummary:
    """The BPM held longest (values within ``tol`` count as one) and how long it holds."""
    nan = float("nan")
    bpm = tl.bpm
    ok = np.isfinite(bpm)
    if not ok.any():
        return TempoSummary(nan, nan, 0, 0, 0.0, 0.0, nan, 0, tl.total_s)
    values = np.unique(np.round(bpm[ok], 6))
    shares = [_share(bpm, tl.dt, v, tol) for v in values]
    main = float(values[int(np.argmax(shares))])
    share = max(shares)
    in_main = np.abs(bpm - main) <= tol * main
    clip = tl.t - tl.dt < clip_s
    clip_share = _share(bpm[clip], tl.dt[clip], main, tol) if clip.any() else 0.0
    # the (T, S, R) combination that makes up most of the main tempo's time
    combos: dict[tuple[float, float, float], float] = {}
    for i in np.flatnonzero(in_main):
        key = (float(tl.tempo[i]), float(tl.speed[i]), float(tl.rows_per_beat[i]))
        combos[key] = combos.get(key, 0.0) + float(tl.dt[i])
    tempo, speed, rpb = max(combos, key=combos.get)
    # distinct tempi: greedy clusters of the sorted values, 'tol' wide
    distinct, last = 0, -np.inf
    for v in values:
        if v > last * (1 + tol):
            distinct, last = distinct + 1, v
    row_rate = nan
    if count_rows and len(tl.row) == len(tl) and len(tl) > 1:
        # rows advanced per step: the row difference within one order, else 1 for a jump
        same_order = tl.order[1:] == tl.order[:-1]
        step = tl.row[1:] - tl.row[:-1]
        changed = (~same_order) | (step != 0)
        advanced = np.where(same_order & (step > 0), step, changed.astype(float))
        both = in_main[1:] & in_main[:-1]
        seconds = float(tl.dt[1:][both].sum())
        if seconds > 0:
            row_rate = float(advanced[both].sum()) / seconds * 60.0 / rpb
    return TempoSummary(bpm_from(tempo, speed, rpb), tempo, int(speed), int(rpb), share, clip_share,
                        row_rate, distinct, tl.total_s)


def verdict(summary: TempoSummary, duration_s: float, min_share: float = MIN_CONSTANT_SHARE,
            tempo_range: tuple[float, float] = TEMPO_RANGE, min_duration_s: float = MIN_DURATION_S,
            row_tolerance: float = ROW_RATE_TOLERANCE) -> str | None:
    """Why a module is not used (one line), or ``None`` when it qualifies."""
    if not math.isfinite(summary.bpm):
        return "no classic tempo/speed timing (rows per beat could not be read back)"
    if duration_s < min_duration_s:
        return f"too short ({duration_s:.1f} s < {min_duration_s:.0f} s)"
    if summary.constant_share < min_share:
        return (f"tempo not constant: {summary.bpm:.2f} BPM for {summary.constant_share:.1%} of the time "
                f"({summary.distinct} tempi)")
    if summary.clip_share < min_share:
        return (f"tempo not constant at the start: {summary.bpm:.2f} BPM for {summary.clip_share:.1%} "
                f"of the first {CLIP_S:.0f} s")
    ratio = summary.row_rate_ratio
    if math.isfinite(ratio) and abs(ratio - 1) > row_tolerance:
        return (f"rows played at {summary.row_rate_bpm:.2f} BPM, not the {summary.bpm:.2f} that tempo and "
                f"speed give ({ratio - 1:+.1%}: pattern delays)")
    low, high = tempo_range
    if not low <= summary.bpm <= high:
        return f"tempo {summary.bpm:.2f} BPM outside {low:.0f}-{high:.0f}"
    return None


def grid_concentration(rows: np.ndarray, counts: np.ndarray, period: int) -> float:
    """How concentrated struck notes are on every ``period``-th row of their patterns:
    ``period * notes on rows 0, period, 2 period, ... / all notes`` (1: no preference)."""
    total = float(np.sum(counts))
    if total <= 0:
        return float("nan")
    return period * float(np.sum(counts[np.asarray(rows) % period == 0])) / total


def module_timeline(module, step_s: float = STEP_S, samplerate: int = ANALYSIS_SR,
                    max_s: float | None = None) -> Timeline:
    """Play ``module`` (an :class:`~.openmpt.Module`, from its current position) to its end
    (or ``max_s``), reading tempo, speed, rows per beat and position every ``step_s``."""
    frames = max(1, int(round(step_s * samplerate)))
    states, t = [], 0.0
    while max_s is None or t < max_s:
        got = module.read(frames, samplerate).size
        if got == 0:
            break
        dt = got / samplerate
        t += dt
        s = module.state()
        rpb = rows_per_beat_from(s.tempo, s.speed, s.estimated_bpm)
        states.append((t, dt, s.tempo, s.speed, np.nan if rpb is None else rpb, s.order, s.row))
    return Timeline.from_states(states)


def describe_timeline(tl: Timeline, every_s: float = 0.5) -> list[str]:
    """Readable lines: the state every ``every_s`` seconds, and every change of T, S or R."""
    lines, next_t, last = [], 0.0, None
    bpm = tl.bpm
    for i in range(len(tl)):
        cur = (tl.tempo[i], tl.speed[i], tl.rows_per_beat[i])
        changed = last is not None and cur != last and not (np.isnan(cur[2]) and np.isnan(last[2]))
        if tl.t[i] >= next_t or changed:
            rpb = "?" if np.isnan(tl.rows_per_beat[i]) else f"{tl.rows_per_beat[i]:.0f}"
            b = "?" if np.isnan(bpm[i]) else f"{bpm[i]:7.2f}"
            lines.append(f"{tl.t[i]:8.2f} s  order {tl.order[i]:3.0f} row {tl.row[i]:3.0f}  tempo {tl.tempo[i]:6.2f}"
                         f"  speed {tl.speed[i]:2.0f}  rows/beat {rpb:>2}  BPM {b}" + ("  <- change" if changed else ""))
            while next_t <= tl.t[i]:
                next_t += every_s
        last = cur
    return lines
