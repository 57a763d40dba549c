"""Performance, step 3: the drum kit's notes.

:func:`_drum_notes` plays the arrangement's drum pattern with its percussion
layers: a varied kick line on odd bars, ghost notes, rolls and triplets, the
section change (the lift's ride or tambourine, the drop, the fill into it)
and crashes. It records the kick steps in the context, for the side-chain
pumping and the arpeggios that duck under the kick.
"""

from __future__ import annotations

import numpy as np

from ..patterns import (
    _DRUM_HOLD,
    ACCENTS,
    CLOSED_HAT,
    CRASH,
    DRUM_PATTERNS,
    E_SNARE,
    KICK,
    PERCUSSION_LAYERS,
    RIDE,
    SIDE_STICK,
    SNARE,
    TOMS,
)
from .context import _Context, _Note

TAMB_KEY = 54
PERC_KEYS = frozenset({54, 56, 62, 63, 64, 70})


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
