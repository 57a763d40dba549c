"""Performance: an arrangement -> notes -> :class:`pretty_midi.PrettyMIDI` (swing, humanisation, expression)."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .arrange import _STREAM_PART, _STREAM_PERFORMANCE, _STREAM_RIFF, Arrangement, Part, _choice, _rng
from .patterns import (
    BANJO_ROLLS,
    JAZZ_COMP_BARS,
    RAP_FLOWS,
    RAP_FLOWS_8,
    RIFF_CELLS,
    _CALM_CELLS,
    _CALM_STRUM,
    _CELLS,
    _DRUM_HOLD,
    _MELODY_STYLES,
    _PATTERN_KIND,
    ACCENTS,
    BASS_PATTERNS,
    CHORD_RHYTHMS,
    CLOSED_HAT,
    CRASH,
    DRUM_PATTERNS,
    E_SNARE,
    KICK,
    PERCUSSION_LAYERS,
    RIDE,
    SIDE_STICK,
    SNARE,
    STAB_RHYTHMS,
    STRUM_PATTERNS,
    TOMS,
)
from .styles import style_for
from .theory import MINOR_MODES, Chord, _nearest, voice_chord

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


def _clamp(pitch: int, lo: int, hi: int) -> int:
    """``pitch`` moved by octaves into ``[lo, hi]`` (a span of at least an octave)."""
    while pitch < lo:
        pitch += 12
    while pitch > hi:
        pitch -= 12
    return pitch


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


def _drum_notes(ctx: _Context, rng: np.random.Generator) -> list[_Note]:
    arr = ctx.arr
    base = {k: v for k, v in DRUM_PATTERNS[arr.drum_pattern or "pop_backbeat"].items()}
    for name in arr.percussion:
        for k, v in PERCUSSION_LAYERS.get(name, {}).items():
            base.setdefault(k, v)
    electronic = arr.drum_kit in (24, 25)
    snare = E_SNARE if E_SNARE in base else (SNARE if SNARE in base else (SIDE_STICK if SIDE_STICK in base else SNARE))
    if ctx.arr.density < 0.85:
        for k in (CLOSED_HAT, RIDE):
            if k in base:
                base[k] = "".join(c if i % 2 == 0 else "." for i, c in enumerate(base[k]))
    # a variation of the kick line for odd bars, and funk ghost notes
    kick = base.get(KICK, base.get(35, ""))
    kick_on_one = bool(kick) and kick[0] != "."  # a one drop keeps its empty first beat under a crash
    var_kick = kick
    if kick:
        free = [i for i, c in enumerate(kick) if c == "." and i % 2 == 0 and i not in (4, 12)]
        if free and rng.random() < 0.6:
            j = free[int(rng.integers(len(free)))]
            var_kick = kick[:j] + "x" + kick[j + 1:]
    ghost_p = ctx.style.ghost_probability
    lift_hats = arr.section_change == "lift"
    notes: list[_Note] = []
    kicks: list[int] = []
    for bar in range(ctx.bars):
        s0 = bar * 16
        hits: dict[int, list[tuple[int, str]]] = {}
        for key, line in base.items():
            if key in (KICK, 35) and bar % 2 == 1:
                line = var_kick if key == KICK or KICK not in base else line
            for i, c in enumerate(line):
                if c == "r":  # a roll: two 32nds
                    hits.setdefault(i, []).append((key, "x"))
                    hits.setdefault(i + 0.5, []).append((key, "o"))
                elif c == "t":  # a 16th-note triplet over this step and the next
                    for j in range(3):
                        hits.setdefault(i + j * 2.0 / 3.0, []).append((key, "x" if j == 0 else "o"))
                elif c != ".":
                    hits.setdefault(i, []).append((key, c))
        if ghost_p and snare in base:
            for i in range(16):
                if i % 2 == 1 and not any(k == snare for k, _ in hits.get(i, [])) and rng.random() < ghost_p:
                    hits.setdefault(i, []).append((snare, "g"))
        if lift_hats and bar >= arr.change_bar:
            if ctx.style.lift == "ride":
                for i in list(hits):
                    hits[i] = [(RIDE if k == CLOSED_HAT else k, c) for k, c in hits[i]]
            elif ctx.style.lift == "tambourine" and TAMB_KEY not in base:
                for i in range(2, 16, 4):
                    hits.setdefault(i, []).append((TAMB_KEY, "o"))
        is_pre = bar == arr.change_bar - 1
        if is_pre and arr.section_change == "drop":
            for i in list(hits):
                hits[i] = [(k, c) for k, c in hits[i] if k not in (KICK, 35)]
            for i in range(8, 16):
                hits.setdefault(i, []).append((snare, "X" if i >= 14 else ("x" if i >= 12 else "o")))
            for i in range(0, 8, 2):
                hits.setdefault(i, []).append((snare, "g"))
        elif is_pre and arr.section_change == "fill":
            n = 8 if arr.fill == "snare_toms" else 4
            for i in [k for k in hits if not float(k).is_integer() and k >= 16 - n]:
                del hits[i]  # rolls and triplets give way to the fill
            for i in range(16 - n, 16):
                hits[i] = [(k, c) for k, c in hits.get(i, []) if k in (KICK,) and i == 16 - n]
            for j, i in enumerate(range(16 - n, 16)):
                ramp = "o" if j < n // 2 else ("x" if j < n - 1 else "X")
                if arr.fill == "snare" or (arr.fill == "snare_toms" and j < n // 2) or electronic:
                    hits[i].append((snare, ramp))
                else:
                    tom = TOMS[min(len(TOMS) - 1, (j * len(TOMS)) // n)]
                    hits[i].append((tom, ramp))
        if (bar == 0 and arr.start_crash) or (bar == arr.change_bar and arr.section_change in
                                               ("fill", "drop", "lift")):
            hits.setdefault(0, []).append((CRASH, "X"))
            if not any(k in (KICK, 35) for k, _ in hits[0]) and kick_on_one:
                hits[0].append((KICK, "X"))
        elif arr.epic and bar % 2 == 0 and bar > 0 and not ctx.style.expressive:
            hits.setdefault(0, []).append((CRASH, "x"))
        for i in sorted(hits):
            s = s0 + i
            for key, c in hits[i]:
                hold = _DRUM_HOLD.get(key, 0.25) / ctx.step_s
                vel = ACCENTS[c]
                if key in PERC_KEYS:
                    vel *= 0.75
                notes.append((s, hold, key, vel, 0.0))
                if key in (KICK, 35):
                    kicks.append(s)
    ctx.kick_steps = sorted(set(kicks))
    return notes


TAMB_KEY = 54
PERC_KEYS = frozenset({54, 56, 62, 63, 64, 70})


def _part_notes(ctx: _Context, part: Part, rng: np.random.Generator) -> list[_Note]:
    if part.role == "bass":
        return _bass_notes(ctx, part, rng)
    kind = _PATTERN_KIND.get(part.pattern, "rhythm")
    if part.pattern in ("alberti", "banjo_roll"):
        return _figure_notes(ctx, part, rng)
    fn = {
        "rhythm": _rhythm_notes, "sustain": _sustain_notes, "strum": _strum_notes, "stabs": _stab_notes,
        "arp": _arp_notes, "melody": _melody_notes, "counter": _counter_notes, "timpani": _timpani_notes,
        "comp": _comp_notes, "riff": _riff_notes, "dyads": _dyad_notes, "steel": _steel_notes, "rap": _rap_notes,
    }[kind]
    if kind == "rhythm" and part.pattern not in CHORD_RHYTHMS:
        raise ValueError(f"unknown pattern {part.pattern!r} for part {part.name!r}")
    return fn(ctx, part, rng)


def _cc_value(gain: float) -> int:
    """CC7/CC11 value giving ``gain`` under TinySoundFont's cubic volume curve."""
    return int(np.clip(round(127.0 * max(gain, 0.0) ** (1.0 / 3.0)), 1, 127))


def to_midi(arrangement: Arrangement, duration_s: float = 10.0):
    """Perform ``arrangement`` for ``duration_s`` seconds as a :class:`pretty_midi.PrettyMIDI`.

    Deterministic: randomness (humanisation, pattern variations) comes from
    sub-streams of the arrangement's seed. The drum kit is an ``is_drum``
    instrument whose program is the GM kit; channel volume (CC7) carries each
    part's level and expression (CC11) the side-chain pumping / swells.
    """
    return perform(arrangement, duration_s)[0]


def perform(arrangement: Arrangement, duration_s: float = 10.0):
    """:func:`to_midi`, also returning who plays each MIDI instrument.

    Returns ``(midi, owners)``: ``owners[i]`` is ``(part, take)`` for
    ``midi.instruments[i]`` (``part`` is ``None`` for the drum kit; ``take`` is
    1 for the second take of a double-tracked part, else 0).
    """
    import pretty_midi

    if duration_s <= 0:
        raise ValueError(f"duration_s must be positive, got {duration_s}")
    arr = arrangement
    ctx = _Context(arr, duration_s)
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(arr.tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    key_number = arr.key + (12 if arr.mode in MINOR_MODES else 0)
    pm.key_signature_changes.append(pretty_midi.KeySignature(key_number, 0.0))
    humanize = ctx.style.humanize_ms / 1000.0
    end_s = ctx.duration + 0.5

    def emit(inst, notes: Sequence[_Note], rng: np.random.Generator, vel_scale: float, jitter: float) -> None:
        """Place grid notes in time: swing, humanised onsets (never before 0), velocity jitter."""
        if not notes:
            return
        timing = (rng.standard_normal(len(notes)) * humanize).tolist() if humanize else [0.0] * len(notes)
        spread = (rng.standard_normal(len(notes)) * jitter).tolist()
        limit = 2.0 * humanize
        for (step, length, pitch, vel, offset), dt, dv in zip(notes, timing, spread, strict=True):
            start = ctx.time(step) + offset
            if step > 0:
                start += min(limit, max(-limit, dt))
            start = max(0.0, start)
            if start >= ctx.duration or not 0 <= pitch <= 127:
                continue
            end = min(end_s, max(start + 0.03, ctx.time(step + length) + offset))
            v = vel * vel_scale * ctx.dyn(step) * (1.0 + dv)
            inst.notes.append(pretty_midi.Note(velocity=int(min(127, max(1, round(127 * v)))), pitch=int(pitch),
                                               start=float(start), end=float(end)))

    owners: list[tuple[Part | None, int]] = []
    drum_rng = _rng(arr.seed, _STREAM_PERFORMANCE)
    if arr.drum_kit is not None and arr.drum_pattern:
        drum_notes = _drum_notes(ctx, drum_rng)
        ctx.kick_set = set(ctx.kick_steps)
        drums = pretty_midi.Instrument(program=int(arr.drum_kit), is_drum=True, name="drums")
        drums.control_changes.append(pretty_midi.ControlChange(7, _cc_value(arr.drum_level), 0.0))
        emit(drums, drum_notes, drum_rng, arr.energy, 0.05 if humanize else 0.02)
        _fix_overlaps(drums)
        pm.instruments.append(drums)
        owners.append((None, 0))

    for i, part in enumerate(arr.parts):
        rng = _rng(arr.seed, _STREAM_PART + i)
        notes = _part_notes(ctx, part, rng)
        inst = pretty_midi.Instrument(program=int(part.program), is_drum=False, name=f"{part.role}:{part.name}")
        inst.control_changes.append(pretty_midi.ControlChange(7, _cc_value(part.level), 0.0))
        scale = arr.energy * (0.92 if part.role in ("pad", "counter") else 1.0)
        emit(inst, notes, rng, scale, 0.04 if humanize else 0.02)
        _expression(ctx, part, inst)
        if not inst.notes:
            continue
        _fix_overlaps(inst)
        if part.role == "vocal" and _PATTERN_KIND.get(part.pattern) != "rap":
            _vibrato(inst, rng, ctx.duration)
        bend_p = _MELODY_STYLES.get(part.pattern, {}).get("bends", 0.0)
        if bend_p:
            _bend_ins(inst, rng, bend_p, ctx.duration)
        if _PATTERN_KIND.get(part.pattern) == "steel":
            _slides(inst, rng, ctx.duration)
        pm.instruments.append(inst)
        owners.append((part, 0))
        if part.double:
            pm.instruments.append(_double_take(inst, part, rng, ctx.duration))
            owners.append((part, 1))
    return pm, owners


def _vibrato(inst, rng: np.random.Generator, duration: float) -> None:
    """A singer's vibrato as pitch bends: it sets in ~0.2 s into each held note, 5-6.5 Hz, 15-40 cents."""
    import pretty_midi

    rate, depth = float(rng.uniform(5.0, 6.5)), float(rng.uniform(15.0, 40.0))  # Hz, cents
    units = 8192.0 / 200.0  # pitch-bend units per cent (bend range +-2 semitones)
    bends: list[tuple[float, int]] = []
    for note in inst.notes:
        onset = note.start + 0.18
        t = onset
        while t < min(note.end, duration):
            ramp = min(1.0, (t - onset) / 0.25)
            cents = depth * ramp * math.sin(2 * math.pi * rate * (t - onset))
            bends.append((t, int(round(cents * units))))
            t += 0.02
        bends.append((min(note.end, duration), 0))
    last = -1.0
    for t, value in sorted(bends):
        if t > last:
            inst.pitch_bends.append(pretty_midi.PitchBend(int(np.clip(value, -8192, 8191)), float(t)))
            last = t


def _add_bends(inst, bends: list[tuple[float, int]]) -> None:
    import pretty_midi

    last = -1.0
    for t, value in sorted(bends):
        if t > last:
            inst.pitch_bends.append(pretty_midi.PitchBend(int(np.clip(value, -8192, 8191)), float(t)))
            last = t


def _bend_ins(inst, rng: np.random.Generator, probability: float, duration: float) -> None:
    """Bend into some notes from a semitone (or a whole tone) below, as blues and country players
    do: the bend rises over 60-140 ms from the note's start (bend range +-2 semitones)."""
    bends: list[tuple[float, int]] = []
    for note in inst.notes:
        if note.start >= duration or rng.random() >= probability:
            continue
        depth = 4096 * (2 if rng.random() < 0.25 else 1)
        ramp = min(float(rng.uniform(0.06, 0.14)), 0.5 * (note.end - note.start))
        for k in range(5):
            bends.append((note.start + ramp * k / 4, int(round(-depth * (1 - k / 4)))))
    _add_bends(inst, bends)


def _slides(inst, rng: np.random.Generator, duration: float) -> None:
    """Pedal-steel slides and swells: each chord slides up into pitch from a semitone or two below
    (pitch bend over 0.15-0.3 s) while the volume pedal opens (CC11)."""
    import pretty_midi

    starts: list[float] = []
    for note in sorted(inst.notes, key=lambda n: n.start):
        if not starts or note.start - starts[-1] > 0.05:
            starts.append(note.start)
    bends: list[tuple[float, int]] = []
    for t0 in starts:
        if t0 >= duration:
            continue
        swell = float(rng.uniform(0.2, 0.4))
        for k in range(6):
            inst.control_changes.append(pretty_midi.ControlChange(11, int(round(45 + 82 * k / 5)), t0 + swell * k / 5))
        if rng.random() < 0.7:
            depth = 4096 * (2 if rng.random() < 0.4 else 1)
            ramp = float(rng.uniform(0.15, 0.3))
            for k in range(7):
                bends.append((t0 + ramp * k / 6, int(round(-depth * (1 - k / 6)))))
    _add_bends(inst, bends)
    inst.control_changes.sort(key=lambda c: c.time)


def _double_take(inst, part: Part, rng: np.random.Generator, duration: float):
    """A second performance of a part, as a player double-tracking it: every note a few ms late
    (8-25 ms, jittered), velocities varied, the whole take detuned by a few cents."""
    import pretty_midi

    take = pretty_midi.Instrument(program=int(part.double_program or part.program), is_drum=False,
                                  name=inst.name + " (double)")
    take.control_changes.extend(pretty_midi.ControlChange(c.number, c.value, c.time) for c in inst.control_changes)
    lag = float(rng.uniform(0.008, 0.025))
    for note in inst.notes:
        shift = lag + float(rng.normal(0.0, 0.004))
        start = min(max(0.0, note.start + shift), duration)
        end = max(start + 0.02, note.end + shift)
        vel = int(np.clip(round(note.velocity * rng.uniform(0.88, 1.08)), 1, 127))
        take.notes.append(pretty_midi.Note(velocity=vel, pitch=note.pitch, start=start, end=end))
    cents = float(rng.choice([-1.0, 1.0]) * rng.uniform(4.0, 10.0))
    take.pitch_bends.append(pretty_midi.PitchBend(int(round(cents * 8192.0 / 200.0)), 0.0))
    _fix_overlaps(take)
    return take


def _fix_overlaps(inst) -> None:
    """Sort notes and end each one before the next note of the same pitch starts (after humanisation)."""
    inst.notes.sort(key=lambda n: (n.start, n.pitch, n.end))
    last: dict[int, Any] = {}
    kept = []
    for note in inst.notes:
        prev = last.get(note.pitch)
        if prev is not None and prev.end > note.start - 0.002:
            if note.start - prev.start < 0.01:  # a duplicate strike: keep the louder
                prev.velocity = max(prev.velocity, note.velocity)
                prev.end = max(prev.end, note.end)
                continue
            prev.end = max(prev.start + 0.005, note.start - 0.002)
        last[note.pitch] = note
        kept.append(note)
    inst.notes = kept


def _expression(ctx: _Context, part: Part, inst) -> None:
    """Add CC11 automation: side-chain pumping (electronica) or phrase swells (orchestral)."""
    import pretty_midi

    arr = ctx.arr
    events: list[tuple[float, int]] = []
    if arr.pumping and part.pump and ctx.kick_steps:
        depth = arr.pumping
        for k in ctx.kick_steps:
            for off, g in ((0.0, 1.0 - depth), (1.0, 1.0 - 0.55 * depth), (2.0, 1.0 - 0.2 * depth), (3.0, 1.0)):
                events.append((k + off, _cc_value(g)))
    elif ctx.style.expressive and _PATTERN_KIND.get(part.pattern) == "sustain":
        for idx in range(ctx.n_chords):
            c0 = idx * ctx.chord_steps
            for j in range(8):
                u = j / 8.0
                g = 0.62 + 0.38 * math.sin(math.pi * min(1.0, 0.15 + u * 0.85))
                events.append((c0 + u * ctx.chord_steps, _cc_value(g)))
    if not events:
        return
    events.sort()
    last_step = -1.0
    for step, value in events:
        if step <= last_step:
            continue
        last_step = step
        t = step * ctx.step_s
        if t >= ctx.duration:
            break
        inst.control_changes.append(pretty_midi.ControlChange(11, int(value), float(t)))
