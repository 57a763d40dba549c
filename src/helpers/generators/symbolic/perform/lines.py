"""Performance, step 2c: the single-line parts' notes (melodies, counter-lines, rap, timpani).

:func:`_melody_notes` sings or plays a two-bar motif form (A A B A) drawn
from the pattern's rhythm cells, stepping through the scale and landing on
chord tones on the beats; :func:`_counter_notes` holds a slow upper line led
by the nearest chord tones; :func:`_rap_notes` speaks a flow of short
syllables around one pitch; :func:`_timpani_notes` plays tonic and dominant
hits, rolls and ostinati.
"""

from __future__ import annotations

import math

import numpy as np

from ..arrange import Part, _choice
from ..patterns import (
    _CALM_CELLS,
    _CELLS,
    _MELODY_STYLES,
    ACCENTS,
    RAP_FLOWS,
    RAP_FLOWS_8,
)
from ..theory import _nearest
from .context import _Context, _Note, _scale_pitches, _truncate_overlaps


def _rap_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """A rap-like line: short syllables on 16ths (8ths at trap tempos) hovering around one pitch,
    stressed syllables a little higher, each bar's last syllable falling; breaths between bars."""
    flows = RAP_FLOWS if ctx.arr.tempo < 115 else RAP_FLOWS_8
    a = flows[int(rng.integers(len(flows)))]
    b = flows[int(rng.integers(len(flows)))]
    centre = part.register
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        flow = a if bar % 2 == 0 else b
        if bar % 4 == 3 and rng.random() < 0.5:
            flow = flow[:12] + "...."
        onsets = [i for i, c in enumerate(flow) if c != "."]
        for k, i in enumerate(onsets):
            nxt = onsets[k + 1] if k + 1 < len(onsets) else 16
            pitch = centre + int(_choice(rng, (0, -1, -2, 2), (6.0, 1.5, 1.0, 1.0)))
            if flow[i] == "x":
                pitch += 1
            if k == len(onsets) - 1:
                pitch -= int(rng.integers(2, 5))
            notes.append((bar * 16 + i, 0.8 * min(nxt - i, 2), pitch, ACCENTS[flow[i]], 0.0))
    return _truncate_overlaps(notes)


def _melody_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    spec = _MELODY_STYLES.get(part.pattern, _MELODY_STYLES["pop_melody"])
    cells = _CALM_CELLS if ctx.arr.calm else spec["cells"]
    names = list(cells)
    weights = np.array([cells[n] for n in names], dtype=float)
    lo, hi = part.register - 9, part.register + 10
    pitches = _scale_pitches(ctx, lo, hi, spec["scale"])
    deltas = (-3, -2, -1, 0, 1, 2, 3, 4, -4)
    delta_w = np.array([0.5, 1.0, 3.0, 1.0, 3.0, 1.2, 0.5, 0.3, 0.3])

    def phrase() -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        pos = 0
        while pos < 32:
            name = str(_choice(rng, names, weights))
            length, onsets = _CELLS[name]
            if pos + length > 32:
                continue
            if pos >= 28 and rng.random() < 0.5:
                name, (length, onsets) = "r", _CELLS["r"]
            for on, ln in onsets:
                out.append((pos + on, ln, int(_choice(rng, deltas, delta_w))))
            pos += length
        return out or [(0, 8, 0)]

    motif_a, motif_b = phrase(), phrase()
    form = (motif_a, motif_a, motif_b, motif_a)
    notes: list[_Note] = []
    idx = len(pitches) // 2
    for chunk in range(int(math.ceil(ctx.bars / 2))):
        motif = form[chunk % len(form)]
        if chunk == 1 and len(motif) > 2:
            motif = motif[:-2] + [(s, ln, int(_choice(rng, deltas, delta_w))) for s, ln, _ in motif[-2:]]
        for on, ln, delta in motif:
            s = chunk * 32 + on
            if s < part.enters_bar * 16 or s >= ctx.bars * 16:
                continue
            idx = int(np.clip(idx + delta, 0, len(pitches) - 1))
            if idx in (0, len(pitches) - 1) and delta == 0:
                idx += 2 if idx == 0 else -2
            pitch = pitches[idx]
            if s % 4 == 0:
                chord_pcs = set(ctx.chord_at(s).pitch_classes(ctx.arr.key, ctx.scale))
                cands = [p for p in range(lo, hi + 1) if p % 12 in chord_pcs]
                if cands:
                    pitch = min(cands, key=lambda p: (abs(p - pitch), p))
                    idx = int(np.argmin([abs(p - pitch) for p in pitches]))
            if spec.get("answer") and on < 16:
                continue  # a fill: only in the second bar of each two, answering the singer
            acc = ACCENTS["x"] if s % 4 == 0 else ACCENTS["o"]
            notes.append((s, ln * spec["legato"], pitch, acc, 0.0))
    return _truncate_overlaps(notes)


def _counter_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    span = 16 if ctx.arr.calm else 8
    lo, hi = part.register - 7, part.register + 7
    prev = part.register
    notes: list[_Note] = []
    for s in range(part.enters_bar * 16, ctx.bars * 16, span):
        chord = ctx.chord_at(s)
        pcs = chord.pitch_classes(ctx.arr.key, ctx.scale)
        upper = set(pcs[1:]) or set(pcs)
        cands = [p for p in range(lo, hi + 1) if p % 12 in upper]
        if not cands:
            cands = [_nearest(pcs[0], part.register)]
        cands.sort(key=lambda p: (abs(p - prev), p))
        pick = cands[1] if len(cands) > 1 and cands[0] == prev and rng.random() < 0.5 else cands[0]
        length = min(span, ctx.chord_end(s) - s) if ctx.chord_steps < span else span
        notes.append((s, length * 0.98, pick, ACCENTS["x"], 0.0))
        if ctx.chord_steps < span:
            c0 = ctx.chord_end(s)
            if c0 < s + span:
                chord2 = ctx.chord_at(c0)
                up2 = set(chord2.pitch_classes(ctx.arr.key, ctx.scale)[1:])
                c2 = [p for p in range(lo, hi + 1) if p % 12 in up2] or [pick]
                pick = min(c2, key=lambda p: (abs(p - pick), p))
                notes.append((c0, (s + span - c0) * 0.98, pick, ACCENTS["o"], 0.0))
        prev = pick
    return _truncate_overlaps(notes)


def _timpani_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    tonic = _nearest(ctx.arr.key, 45)
    dominant = tonic + 7 if tonic + 7 <= 53 else tonic - 5
    notes: list[_Note] = []
    roll_bar = ctx.arr.change_bar - 1 if part.pattern == "timp_roll" or ctx.arr.section_change == "swell" else -1
    ostinato = ctx.arr.epic and rng.random() < 0.5
    for bar in ctx.bar_range(part):
        s0 = bar * 16
        chord = ctx.chord_at(s0)
        pitch = dominant if chord.root == 7 else tonic
        if bar == roll_bar:
            notes.append((s0, 4, pitch, ACCENTS["x"], 0.0))
            for k in range(8, 16):
                notes.append((s0 + k, 1, tonic, 0.35 + 0.6 * (k - 8) / 8, 0.0))
            continue
        if ostinato:
            for k, c in enumerate("X.x.x.X.X.x.x.x."):
                if c != ".":
                    notes.append((s0 + k, 1.5, pitch if k < 12 else dominant, ACCENTS[c], 0.0))
            continue
        notes.append((s0, 6, pitch, ACCENTS["X"], 0.0))
        if rng.random() < 0.45:
            notes.append((s0 + 8, 4, dominant, ACCENTS["o"], 0.0))
    return _truncate_overlaps(notes)
