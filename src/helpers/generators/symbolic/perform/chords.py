"""Performance, step 2b: the chord parts' notes (keys, guitars, pads, stabs, arpeggios).

One generator per way of playing the progression: rhythm patterns of block
chords (:func:`_rhythm_notes`), jazz comping, the blues boogie dyads, pedal
steel, broken-chord figures (Alberti bass, banjo rolls), held and tied pads
(:func:`_sustain_notes`), strummed guitar, brass stabs and arpeggiators.
Each takes the performance context, the part and the part's random stream and
returns grid notes.
"""

from __future__ import annotations

import numpy as np

from ..arrange import Part
from ..patterns import (
    _CALM_STRUM,
    ACCENTS,
    BANJO_ROLLS,
    CHORD_RHYTHMS,
    JAZZ_COMP_BARS,
    STAB_RHYTHMS,
    STRUM_PATTERNS,
)
from ..theory import voice_chord
from .context import _chord_pools, _chord_voicings, _Context, _Note, _truncate_overlaps


def _rhythm_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    voicings = _chord_voicings(ctx, part)
    rhythm = CHORD_RHYTHMS[part.pattern]
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        for step, length, acc in rhythm:
            s = bar * 16 + step
            if ctx.arr.calm and acc == "o" and part.pattern in ("pop_8ths", "power_8ths"):
                continue
            idx = ctx.chord_index(s)
            length = min(length, ctx.chord_end(s) - s)
            for pitch in voicings[idx]:
                notes.append((s, length, pitch, ACCENTS[acc], 0.0))
        # chord changes in the middle of a held rhythm note
        if part.pattern in ("block_whole",) and ctx.chord_steps < 16:
            for c0 in range(bar * 16 + ctx.chord_steps, bar * 16 + 16, ctx.chord_steps):
                for pitch in voicings[ctx.chord_index(c0)]:
                    notes.append((c0, ctx.chord_steps, pitch, ACCENTS["x"], 0.0))
    return _truncate_overlaps(notes)


def _comp_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """Jazz comping: a rhythm cell drawn per bar (Charleston, anticipations, 2 and 4); a hit just
    before a chord change plays the next chord."""
    voicings = _chord_voicings(ctx, part)
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        cell = JAZZ_COMP_BARS[int(rng.integers(len(JAZZ_COMP_BARS)))]
        if ctx.arr.calm:
            cell = cell[:1]
        for step, length, acc in cell:
            s = bar * 16 + step
            idx = ctx.chord_index(s)
            if ctx.chord_index(s + 2) != idx:  # an anticipation
                idx = ctx.chord_index(s + 2)
            for pitch in voicings[idx]:
                notes.append((s, length, pitch, ACCENTS[acc], 0.0))
    return _truncate_overlaps(notes)


def _dyad_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """The boogie shuffle riff of blues rhythm guitar: root and fifth, root and sixth, in (swung) 8ths."""
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        for step in range(0, 16, 2):
            s = bar * 16 + step
            root = 40 + ((ctx.chord_at(s).bass_pc(ctx.arr.key, ctx.scale) - 4) % 12)  # the low E and A strings
            upper = 7 if (step // 4) % 2 == 0 else 9
            acc = ACCENTS["X" if step % 4 == 0 else "o"]
            notes.append((s, 1.7, root, acc, 0.0))
            notes.append((s, 1.7, root + upper, acc * 0.95, 0.004))
    return _truncate_overlaps(notes)


def _steel_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """Pedal steel: three-note chords held through each chord (two swells on long chords); the
    slides into them and the volume-pedal swells are added by :func:`_slides`."""
    notes: list[_Note] = []
    prev: list[int] | None = None
    start = part.enters_bar * 16
    span = ctx.chord_steps if ctx.chord_steps <= 8 else ctx.chord_steps // 2
    for s in range(0, ctx.bars * 16, span):
        if s < start:
            continue
        v = voice_chord(ctx.chord_at(s), ctx.arr.key, ctx.scale, "close", part.register, prev, 3)
        prev = v
        for pitch in v:
            notes.append((s, span - 0.3, pitch, ACCENTS["x"], 0.0))
    return _truncate_overlaps(notes)


def _figure_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """Broken-chord figures: the Alberti bass (low, high, middle, high: 16ths at slow tempos, else 8ths)
    and banjo rolls (16ths over root, third, fifth and the octave)."""
    alberti = part.pattern == "alberti"
    rate = (1 if ctx.arr.tempo < 100 else 2) if alberti else 1
    if ctx.arr.calm and alberti:
        rate = 2
    roll = BANJO_ROLLS[int(rng.integers(len(BANJO_ROLLS)))]
    notes: list[_Note] = []
    pools = _chord_pools(ctx, part, rate, (lambda v: v) if alberti else (lambda v: v + [v[0] + 12]), 3,
                         lead_sorted=True)
    for i, s, pool in pools:
        j = (0, 2, 1, 2)[i % 4] if alberti else roll[i % len(roll)]
        j = min(j, len(pool) - 1)
        acc = ACCENTS["x"] if s % 4 == 0 else ACCENTS["o"] * (0.85 if alberti else 1.0)
        notes.append((s, rate * (0.95 if alberti else 2.5), pool[j], acc, 0.0))
    return _truncate_overlaps(notes)


def _sustain_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    """Held chords; tones common to consecutive chords are tied, the others move (legato voice leading)."""
    voicings = _chord_voicings(ctx, part)
    notes: list[list[float]] = []
    active: dict[int, int] = {}
    start = part.enters_bar * 16
    for idx in range(ctx.n_chords):
        c0, c1 = idx * ctx.chord_steps, (idx + 1) * ctx.chord_steps
        if c1 <= start:
            continue
        s = max(c0, start)
        now: dict[int, int] = {}
        for pitch in voicings[idx]:
            j = active.get(pitch)
            if j is not None and notes[j][0] + notes[j][1] >= s - 0.2:
                notes[j][1] = c1 - 0.1 - notes[j][0]
            else:
                notes.append([s, c1 - s - 0.1, pitch, ACCENTS["x"] if idx else ACCENTS["X"], 0.0])
                j = len(notes) - 1
            now[pitch] = j
        active = now
    return [(float(a), float(b), int(c), float(d), float(e)) for a, b, c, d, e in notes]


def _strum_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    voicings = _chord_voicings(ctx, part)
    pattern = _CALM_STRUM if ctx.arr.calm else STRUM_PATTERNS[int(rng.integers(len(STRUM_PATTERNS)))]
    hits = [(i, c) for i, c in enumerate(pattern) if c != "."]
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        for k, (step, direction) in enumerate(hits):
            s = bar * 16 + step
            nxt = hits[k + 1][0] if k + 1 < len(hits) else 16 + hits[0][0]
            length = min(nxt - step, ctx.chord_end(s) - s) * 0.97
            voicing = voicings[ctx.chord_index(s)]
            strings = voicing if direction == "D" else list(reversed(voicing[-4:]))
            gap = 0.011 if direction == "D" else 0.007
            acc = ACCENTS["X" if step % 8 == 0 else ("x" if direction == "D" else "o")]
            for j, pitch in enumerate(strings):
                notes.append((s, length, pitch, acc * (1.0 - 0.04 * j), j * gap))
    return _truncate_overlaps(notes)


def _stab_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    voicings = _chord_voicings(ctx, part)
    a = STAB_RHYTHMS[int(rng.integers(len(STAB_RHYTHMS)))]
    b = STAB_RHYTHMS[int(rng.integers(len(STAB_RHYTHMS)))] if rng.random() < 0.5 else a
    notes: list[_Note] = []
    for bar in ctx.bar_range(part):
        rhythm = a if bar % 2 == 0 else b
        for step, c in enumerate(rhythm):
            if c == ".":
                continue
            s = bar * 16 + step
            for pitch in voicings[ctx.chord_index(s)]:
                notes.append((s, 1.1, pitch, ACCENTS[c], 0.0))
    return _truncate_overlaps(notes)


def _arp_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    kind = part.pattern
    rate = {"harp_arp": 2, "pop_arpeggio": 2, "clean_arpeggio": 2, "bells_8ths": 2}.get(kind, 1)
    if ctx.arr.calm:
        rate *= 2
    gate = {"harp_arp": 3.0, "pop_arpeggio": 1.9, "clean_arpeggio": 1.9, "bells_8ths": 1.5}.get(kind, 0.6) * rate
    octaves = 1 if kind in ("pop_arpeggio", "clean_arpeggio") else 2
    perm = rng.integers(0, 6, size=8)
    notes: list[_Note] = []
    for i, s, pool in _chord_pools(ctx, part, rate, lambda v: sorted(v) + [n + 12 for n in sorted(v)] * (octaves - 1)):
        if kind in ("arp_updown", "harp_arp", "pop_arpeggio"):
            period = max(1, 2 * len(pool) - 2)
            j = i % period
            j = j if j < len(pool) else period - j
        elif kind == "arp_random":
            j = int(perm[i % len(perm)]) % len(pool)
        else:
            j = i % len(pool)
        acc = ACCENTS["x"] if s % 4 == 0 else ACCENTS["o"]
        if ctx.arr.pumping and part.pump:
            if s in ctx.kick_set:
                acc *= 1.0 - 0.45 * ctx.arr.pumping
            elif s - 1 in ctx.kick_set:
                acc *= 1.0 - 0.2 * ctx.arr.pumping
        notes.append((s, min(gate, ctx.bars * 16 - s), pool[j], acc, 0.0))
    return _truncate_overlaps(notes)
