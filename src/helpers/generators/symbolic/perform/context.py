"""Performance, step 1: the shared context of a performance and its pitch helpers.

A :class:`_Context` holds the timing (tempo, 16th grid, swing, bars) and the
harmony (key, scale, progression, chord at a step) of one performance, and its
dynamics curve; every note generator reads it. Beside it are the pitch helpers
the generators share: a chord's root near a register (:func:`_root_pitch`),
octave clamping (:func:`_clamp`), voice-led chord voicings and broken-chord
pools, scale pitches in a range, and :func:`_truncate_overlaps`, which keeps
notes of one pitch from overlapping on the grid. A note on the grid is a
:data:`_Note`.
"""

from __future__ import annotations

import math

from ..arrange import Arrangement, Part
from ..styles import style_for
from ..theory import MINOR_MODES, Chord, _nearest, voice_chord

# a note on the 16th grid: (step, length in steps, pitch, velocity 0..1, extra offset in seconds)
_Note = tuple[float, float, int, float, float]


class _Context:
    """Timing and harmony of one performance."""

    def __init__(self, arr: Arrangement, duration_s: float):
        self.arr = arr
        self.duration = float(duration_s)
        self.beat_s = 60.0 / arr.tempo
        self.step_s = self.beat_s / 4.0
        self.total_steps = int(math.ceil(self.duration / self.step_s)) + 1
        self.bars = int(math.ceil(self.total_steps / 16.0))
        self.scale = arr.scale
        self.chord_steps = 4 * arr.beats_per_chord
        self.n_chords = int(math.ceil(self.bars * 16 / self.chord_steps))
        self.kick_steps: list[int] = []
        self.kick_set: set[int] = set()
        self.style = style_for(arr.genre, arr.variant)
        self.riff: list[tuple[float, float, int, str]] | None = None

    def chord_index(self, step: float) -> int:
        return int(step // self.chord_steps)

    def chord(self, index: int) -> Chord:
        return self.arr.progression[index % len(self.arr.progression)]

    def chord_at(self, step: float) -> Chord:
        return self.chord(self.chord_index(step))

    def chord_end(self, step: float) -> float:
        return (self.chord_index(step) + 1) * self.chord_steps

    def time(self, step: float) -> float:
        """Seconds of a grid step, with swing on the off-beat 16ths."""
        shift = 0.0
        if self.arr.swing and float(step).is_integer():
            if self.arr.swing_unit == 2 and int(step) % 4 == 2:
                shift = 2.0 * self.arr.swing
            elif self.arr.swing_unit == 1 and int(step) % 2 == 1:
                shift = self.arr.swing
        return (step + shift) * self.step_s

    def dyn(self, step: float) -> float:
        """Dynamics curve (velocity factor) at ``step``."""
        arr = self.arr
        d = 1.0
        if self.style.expressive:
            phrase = (step % 32) / 32.0
            d *= 0.84 + 0.2 * math.sin(math.pi * phrase)
        if arr.epic:
            d *= 0.82 + 0.28 * min(1.0, step / max(1, self.total_steps))
        bar = step / 16.0
        if arr.section_change == "swell" and arr.change_bar - 1 <= bar < arr.change_bar:
            d *= 0.85 + 0.3 * (bar - (arr.change_bar - 1))
        if arr.section_change in ("lift", "drop", "fill", "swell", "enter") and bar >= arr.change_bar:
            d *= 1.06
        return d

    def bar_range(self, part: Part) -> range:
        return range(part.enters_bar, self.bars)


def _root_pitch(ctx: _Context, chord: Chord, centre: int, bass: bool = True) -> int:
    pc = chord.bass_pc(ctx.arr.key, ctx.scale) if bass else (ctx.arr.key + chord.root) % 12
    return _nearest(pc, centre)


def _clamp(pitch: int, lo: int, hi: int) -> int:
    """``pitch`` moved by octaves into ``[lo, hi]`` (a span of at least an octave)."""
    while pitch < lo:
        pitch += 12
    while pitch > hi:
        pitch -= 12
    return pitch


def _truncate_overlaps(notes: list[_Note]) -> list[_Note]:
    """Shorten each note so it ends before the next note of the same pitch starts."""
    out: list[_Note] = []
    last: dict[int, int] = {}
    for n in sorted(notes, key=lambda n: (n[0], n[2])):
        j = last.get(n[2])
        if j is not None:
            s, ln, p, v, o = out[j]
            if s + ln > n[0]:
                out[j] = (s, max(0.25, n[0] - s - 0.05), p, v, o)
        last[n[2]] = len(out)
        out.append(n)
    return out


def _chord_voicings(ctx: _Context, part: Part) -> dict[int, list[int]]:
    """Voicing of every chord of the clip for ``part``, with voice leading."""
    out: dict[int, list[int]] = {}
    prev: list[int] | None = None
    for i in range(ctx.n_chords + 1):
        v = voice_chord(ctx.chord(i), ctx.arr.key, ctx.scale, part.voicing, part.register, prev, part.max_notes)
        out[i] = v
        prev = v
    return out


def _chord_pools(ctx: _Context, part: Part, rate: int, pool_of, *voicing: int, lead_sorted: bool = False):
    """The steps of a broken-chord part: ``(i, step, pool)`` every ``rate`` sixteenths from the part's entry.

    Each chord is voiced once, close in the part's register and led from the previous voicing
    (``voicing``: extra arguments of :func:`voice_chord`; ``lead_sorted``: the voicing is sorted
    before it leads and becomes a pool); ``pool_of`` turns it into the pitches the figure walks.
    """
    prev: list[int] | None = None
    cache: dict[int, list[int]] = {}
    for i, s in enumerate(range(part.enters_bar * 16, ctx.bars * 16, rate)):
        idx = ctx.chord_index(s)
        if idx not in cache:
            v = voice_chord(ctx.chord(idx), ctx.arr.key, ctx.scale, "close", part.register, prev, *voicing)
            prev = sorted(v) if lead_sorted else v
            cache[idx] = pool_of(prev)
        yield i, s, cache[idx]


def _scale_pitches(ctx: _Context, lo: int, hi: int, kind: str) -> list[int]:
    if kind == "pentatonic":
        degrees = (0, 3, 5, 7, 10) if ctx.arr.mode in MINOR_MODES else (0, 2, 4, 7, 9)
    elif kind == "blues":  # minor pentatonic and the flat fifth, over major and minor blues alike
        degrees = (0, 3, 5, 6, 7, 10)
    elif kind == "country":  # major pentatonic with the minor third as a passing note
        degrees = (0, 2, 3, 4, 7, 9) if ctx.arr.mode not in MINOR_MODES else (0, 3, 5, 7, 10)
    else:
        degrees = ctx.scale
    pcs = {(ctx.arr.key + d) % 12 for d in degrees}
    return [p for p in range(lo, hi + 1) if p % 12 in pcs]
