"""Performance, step 4: the MIDI performance (:func:`perform`, :func:`to_midi`).

:func:`perform` builds the :class:`pretty_midi.PrettyMIDI`: the drum kit and
each part's notes (:func:`_part_notes` dispatches a part to its note
generator by role and pattern kind), placed in time with swing and
humanisation, channel volume (CC7) from the levels, expression (CC11: the
side-chain pumping and phrase swells), a singer's vibrato, blues and country
bend-ins, pedal-steel slides, double-tracked takes, and overlapping notes of
one pitch fixed after humanisation.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..arrange import _STREAM_PART, _STREAM_PERFORMANCE, Arrangement, Part, _rng
from ..patterns import _MELODY_STYLES, _PATTERN_KIND, CHORD_RHYTHMS
from ..theory import MINOR_MODES
from .bass import _bass_notes, _riff_notes
from .chords import (
    _arp_notes,
    _comp_notes,
    _dyad_notes,
    _figure_notes,
    _rhythm_notes,
    _stab_notes,
    _steel_notes,
    _strum_notes,
    _sustain_notes,
)
from .context import _Context, _Note
from .drums import _drum_notes
from .lines import _counter_notes, _melody_notes, _rap_notes, _timpani_notes


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
