"""Performance, step 2a: the bass parts' notes, and the metal riff the guitars share.

:func:`_bass_notes` plays a bass pattern (a degree of the chord per step:
root, octave, fifth, third, seventh, approach notes) over the progression, or
hands over to :func:`_walking_notes` (a jazz walking bass) and
:func:`_riff_notes`. The riff (:func:`_riff`) is drawn once per clip from its
own stream and played by the guitars (power chords and palm-muted chugs) and
by the bass an octave below.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..arrange import _STREAM_RIFF, Part, _choice, _rng
from ..patterns import ACCENTS, BASS_PATTERNS, RIFF_CELLS
from ..theory import Chord, _nearest
from .context import _clamp, _Context, _Note, _root_pitch, _truncate_overlaps


def _bass_degree(ctx: _Context, chord: Chord, degree: str, root: int, step: float) -> int:
    ivs = chord.intervals(ctx.scale)
    true_root = _nearest((ctx.arr.key + chord.root) % 12, root)
    if degree == "R":
        return root
    if degree == "O":
        return root + 12
    if degree == "5":
        return true_root + (6 if chord.quality in ("dim", "dim7", "m7b5") else 7)
    if degree == "5L":
        return true_root - (6 if chord.quality in ("dim", "dim7", "m7b5") else 5)
    if degree == "6":
        return true_root + 9
    if degree == "3":
        return true_root + (ivs[1] if len(ivs) > 2 else 4)
    if degree == "7":
        sevenths = [iv for iv in ivs if iv in (9, 10, 11)]
        return true_root + sevenths[0] if sevenths else root + 12
    if degree == "A":
        nxt = ctx.chord_at(ctx.chord_end(step))
        if nxt.root != chord.root or nxt.quality != chord.quality:
            target = _root_pitch(ctx, nxt, root)
            return target - 1 if target > root else target + 1
        return true_root + 7
    raise ValueError(f"unknown bass degree {degree!r}")


def _bass_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    if part.pattern in ("walking", "walking_diatonic"):
        return _walking_notes(ctx, part, rng, chromatic=part.pattern == "walking")
    if part.pattern == "riff_bass":
        return _riff_notes(ctx, part, rng, bass=True)
    notes: list[_Note] = []
    if part.pattern == "acid":
        steps = [(s, 0.7, str(_choice(rng, ("R", "R", "O", "5", "R", "7"))), "X" if rng.random() < 0.35 else "o")
                 for s in range(16) if rng.random() < 0.72 or s == 0]
        pattern: Sequence[tuple[float, float, str, str]] = steps
    else:
        pattern = BASS_PATTERNS[part.pattern]
    sustained = part.pattern in ("sustained", "sustain_808")
    for bar in ctx.bar_range(part):
        for step, length, degree, acc in pattern:
            s = bar * 16 + step
            chord = ctx.chord_at(s)
            root = _root_pitch(ctx, chord, part.register)
            pitch = _bass_degree(ctx, chord, degree, root, s)
            length = min(length, ctx.chord_end(s) - s)
            notes.append((s, max(0.5, length), pitch, ACCENTS[acc], 0.0))
        if sustained and ctx.chord_steps < 16:
            # re-strike at chord changes inside the bar
            for c0 in range(bar * 16 + ctx.chord_steps, bar * 16 + 16, ctx.chord_steps):
                if all(abs(n[0] - c0) > 0.01 for n in notes[-4:]):
                    chord = ctx.chord_at(c0)
                    notes.append((c0, ctx.chord_steps, _root_pitch(ctx, chord, part.register), ACCENTS["x"], 0.0))
    notes.sort(key=lambda n: n[0])
    return _truncate_overlaps(notes)


def _walking_notes(ctx: _Context, part: Part, rng: np.random.Generator, chromatic: bool = True) -> list[_Note]:
    """A walking bass: a quarter note on every beat, the root on the first beat of each chord, chord
    and scale tones in steps and skips between, and a chromatic (or scale-step) approach note into the
    next chord; now and then a ghosted skip note on the (swung) off-beat."""
    key, scale = ctx.arr.key, ctx.scale
    lo, hi = part.register - 10, part.register + 12  # E1 .. D3 for an acoustic bass
    scale_pcs = {(key + d) % 12 for d in scale}
    notes: list[_Note] = []
    prev: int | None = None
    for bar in ctx.bar_range(part):
        for beat in range(4):
            s = bar * 16 + beat * 4
            chord = ctx.chord_at(s)
            end = ctx.chord_end(s)
            centre = part.register if prev is None else prev
            if prev is None or s % ctx.chord_steps == 0:
                pitch = _clamp(_nearest(chord.bass_pc(key, scale), centre), lo, hi)
            elif s + 4 >= end:  # the last beat of the chord: lead into the next root
                nxt = ctx.chord_at(end)
                target = _clamp(_nearest(nxt.bass_pc(key, scale), centre), lo, hi)
                side = 1 if centre > target else -1
                if chromatic and rng.random() < 0.65:
                    pitch = target + side
                else:
                    steps = [p for p in range(target - 3, target + 4) if p % 12 in scale_pcs and p != target]
                    pitch = min(steps, key=lambda p: (abs(p - (target + 2 * side)), p)) if steps else target + side
                pitch = _clamp(pitch, lo, hi)
            else:
                tones = set(chord.pitch_classes(key, scale))
                cands = [p for p in range(lo, hi + 1) if (p % 12 in tones or p % 12 in scale_pcs)
                         and 1 <= abs(p - centre) <= 4]
                weights = [(2.0 if p % 12 in tones else 1.0) / (1.0 + abs(p - part.register) / 6.0) for p in cands]
                pitch = int(_choice(rng, cands, weights)) if cands else centre
            skip = beat < 3 and rng.random() < 0.12
            notes.append((s, 1.7 if skip else 3.6, pitch, ACCENTS["X" if beat == 0 else "x"], 0.0))
            if skip:
                notes.append((s + 2, 1.5, pitch, ACCENTS["g"], 0.0))
            prev = pitch
    return _truncate_overlaps(notes)


def _riff(ctx: _Context) -> list[tuple[float, float, int, str]]:
    """The clip's metal riff, shared by the guitars and the bass: two bars of one-beat cells
    (gallops, 16th chugs, hits), as ``(step, length, semitones above the chord root, accent)``;
    accented hits move now and then to the flat second, minor third or tritone."""
    if ctx.riff is None:
        rng = _rng(ctx.arr.seed, _STREAM_RIFF)
        names = list(RIFF_CELLS)
        weights = [3.0 if n == "gallop" else {"16s": 2.5, "rgallop": 1.5, "8s": 1.5}.get(n, 1.0) for n in names]
        bar_a = [str(_choice(rng, names, weights)) for _ in range(4)]
        bar_b = bar_a[:2] + [str(_choice(rng, names, weights)) for _ in range(2)]
        moves, move_w = (1, 3, 6, 5, 7, 8, 10), (3.0, 2.0, 2.0, 1.0, 1.0, 1.5, 1.0)
        figure: list[tuple[float, float, int, str]] = []
        for b, cells in enumerate((bar_a, bar_b)):
            for beat, name in enumerate(cells):
                for on, length, acc in RIFF_CELLS[name]:
                    offset = 0
                    if acc == "X" and beat >= 2 and rng.random() < 0.45:
                        offset = int(_choice(rng, moves, move_w))
                    figure.append((b * 16 + beat * 4 + on, length, offset, acc))
        ctx.riff = figure
    return ctx.riff


def _riff_notes(ctx: _Context, part: Part, rng: np.random.Generator, bass: bool = False) -> list[_Note]:
    """The riff on a down-tuned guitar (palm-muted root-fifth chugs, open power chords on the accents),
    or on the bass an octave below the guitar's root."""
    notes: list[_Note] = []
    start, stop = part.enters_bar * 16, ctx.bars * 16
    for cycle in range(int(math.ceil(ctx.bars / 2))):
        for step, length, offset, acc in _riff(ctx):
            s = cycle * 32 + step
            if not start <= s < stop:
                continue
            root_pc = ctx.chord_at(s).bass_pc(ctx.arr.key, ctx.scale)
            root = 38 + (root_pc - 2) % 12 + offset  # drop-D tuning: D2 .. C#3
            if bass:
                notes.append((s, length * 0.9, root - 12, ACCENTS["X" if acc == "X" else "x"], 0.0))
            elif acc == "X":
                for pitch in (root, root + 7, root + 12):
                    notes.append((s, length * 0.9, pitch, ACCENTS["X"], 0.0))
            else:  # palm-muted: short, but a chug still rings ~0.1 s
                for pitch in (root, root + 7):
                    notes.append((s, min(length, 1.0) * 0.95, pitch, ACCENTS["x"], 0.0))
    return _truncate_overlaps(notes)
