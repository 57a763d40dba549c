"""Step patterns: drum grooves, bass lines, comping and strum rhythms, melody cells."""

from __future__ import annotations

from typing import Any

#: accent characters of the step patterns -> velocity factor
ACCENTS = {"X": 1.0, "x": 0.82, "o": 0.64, "g": 0.34}

# General MIDI percussion keys
KICK, SIDE_STICK, SNARE, CLAP, E_SNARE = 36, 37, 38, 39, 40
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
CRASH, RIDE, RIDE_BELL, CRASH2 = 49, 51, 53, 57
TOMS = (50, 48, 47, 45, 43, 41)

#: GM drum kit presets (bank 128) by program number
DRUM_KITS = {0: "Standard", 8: "Room", 16: "Power", 24: "Electronic", 25: "TR-808",
             32: "Jazz", 40: "Brush", 48: "Orchestra"}

#: one-bar drum grooves on a 16th grid: GM drum key -> step string
DRUM_PATTERNS: dict[str, dict[int, str]] = {
    # Rock
    "rock_8ths": {KICK: "X.......X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "rock_driving": {KICK: "X.x.....X.x.x...", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "rock_four": {KICK: "X...X...X...X...", SNARE: "....X.......X...", CLOSED_HAT: "x...x...x...x...",
                  OPEN_HAT: "..x...x...x...x."},
    "rock_ride": {KICK: "X.......X.x.....", SNARE: "....X.......X...", RIDE: "x.o.x.o.x.o.x.o."},
    "rock_halftime": {KICK: "X.....x...x.....", SNARE: "........X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    # Funk: 16th hats, ghost notes, syncopated kicks
    "funk_16": {KICK: "X..x..x...X..x..", SNARE: "....X..g.g..X..g", CLOSED_HAT: "xoxoxoxoxoxoxo.o",
                OPEN_HAT: "..............x."},
    "funk_breaks": {KICK: "X.x.......x..x..", SNARE: "....X..g.g.gX..g", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "funk_linear": {KICK: "X.....x.x.....x.", SNARE: "..g.X..g..g.X...", CLOSED_HAT: "x.x..x.x.x..x.x."},
    "funk_disco": {KICK: "X...X...X...X...", SNARE: "....X.......X...", CLOSED_HAT: "xg.gxg.gxg.gxg.g",
                   OPEN_HAT: "..x...x...x...x."},
    # Pop
    "pop_backbeat": {KICK: "X.......X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "pop_four": {KICK: "X...X...X...X...", CLAP: "....X.......X...", CLOSED_HAT: "..x...x...x...x."},
    "pop_16": {KICK: "X.....x.X.......", SNARE: "....X.......X...", CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
    "pop_ballad": {KICK: "X.........X.....", SIDE_STICK: "....x.......x...", CLOSED_HAT: "x...x...x...x..."},
    # Electronica: drum machines
    "four_on_floor": {KICK: "X...X...X...X...", CLAP: "....X.......X...", CLOSED_HAT: "xg.gxg.gxg.gxg.g",
                      OPEN_HAT: "..x...x...x...x."},
    "techno": {KICK: "X...X...X...X...", CLOSED_HAT: "..x...x...x...x.", RIDE: "o.g.o.g.o.g.o.g.",
               CLAP: "............x..."},
    "breakbeat": {KICK: "X.X.......XX....", E_SNARE: "....X..g.g..X..g", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "electro": {KICK: "X......X..X.....", E_SNARE: "....X.......X...", CLAP: "....X.......X...",
                CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
    "halfstep": {KICK: "X.........x.....", E_SNARE: "........X.......", CLOSED_HAT: "x.x.x.x.x.x.x...",
                 OPEN_HAT: "..............x."},
    # Orchestral percussion (only when the description asks for percussion/drums)
    "orchestral": {35: "X.......o.......", CRASH2: "................"},
}

#: extra percussion layers, merged into the drum part
PERCUSSION_LAYERS: dict[str, dict[int, str]] = {
    "congas": {63: "..x...x...x..x..", 64: "x......x.x......", 62: "....o.......o..."},
    "tambourine": {54: "..x...x...x...x."},
    "shaker": {70: "xoooxoooxoooxooo"},
    "cowbell": {56: "x...x...x...x..."},
    "claps": {CLAP: "....X.......X..."},
}

# seconds a drum note is held before its note-off (its release follows)
_DRUM_HOLD = {CLOSED_HAT: 0.08, PEDAL_HAT: 0.08, OPEN_HAT: 0.3, CRASH: 1.4, CRASH2: 1.4, 52: 1.2, 55: 0.8,
              RIDE: 0.6, RIDE_BELL: 0.6, 59: 0.6}

#: bass lines: (step, length in steps, degree, accent); degrees: R root/bass note,
#: O octave, 5 fifth, 3 third, 7 seventh, A approach to the next chord
BASS_PATTERNS: dict[str, tuple[tuple[float, float, str, str], ...]] = {
    "root_8ths": tuple((s, 1.8, "R", "X" if s % 8 == 0 else "x") for s in range(0, 16, 2)),
    "root_fifth": ((0, 1.8, "R", "X"), (2, 1.8, "R", "x"), (4, 1.8, "5", "x"), (6, 1.8, "R", "x"),
                   (8, 1.8, "R", "X"), (10, 1.8, "R", "x"), (12, 1.8, "5", "x"), (14, 1.8, "A", "x")),
    "root_quarters": ((0, 3.6, "R", "X"), (4, 3.6, "R", "x"), (8, 3.6, "R", "X"), (12, 3.6, "5", "x")),
    "pop_8ths": ((0, 1.8, "R", "X"), (2, 1.8, "R", "o"), (4, 1.8, "R", "x"), (6, 1.8, "R", "o"),
                 (8, 1.8, "R", "X"), (10, 1.8, "R", "o"), (12, 1.8, "5", "x"), (14, 1.8, "O", "o")),
    "pop_synco": ((0, 2.8, "R", "X"), (3, 2.8, "R", "x"), (6, 1.8, "5", "o"), (8, 2.8, "R", "X"),
                  (11, 2.8, "R", "x"), (14, 1.8, "A", "o")),
    "slap_16": ((0, 1.0, "R", "X"), (2, 0.5, "O", "X"), (3, 0.8, "R", "g"), (4, 1.0, "R", "x"),
                (6, 0.9, "7", "x"), (7, 0.5, "O", "X"), (10, 1.0, "R", "x"), (11, 0.8, "R", "g"),
                (12, 0.9, "5", "x"), (13, 0.5, "O", "X"), (14, 1.0, "7", "o")),
    "finger_funk": ((0, 1.8, "R", "X"), (3, 0.9, "R", "o"), (5, 0.9, "O", "x"), (6, 1.8, "7", "x"),
                    (10, 0.9, "R", "x"), (11, 0.9, "5", "o"), (13, 0.9, "O", "x"), (14, 1.8, "7", "o")),
    "octave_pops": ((0, 1.5, "R", "X"), (2, 0.6, "O", "X"), (4, 1.0, "R", "x"), (6, 0.6, "O", "X"),
                    (7, 0.8, "R", "g"), (8, 1.5, "R", "X"), (10, 0.6, "O", "X"), (12, 1.0, "R", "x"),
                    (13, 0.6, "O", "X"), (15, 0.8, "5", "g")),
    "offbeat": ((2, 1.6, "R", "X"), (6, 1.6, "R", "X"), (10, 1.6, "R", "X"), (14, 1.6, "R", "X")),
    "rolling_16": tuple((s, 0.8, "O" if s % 4 == 3 else "R", "x" if s % 4 == 2 else "o")
                        for s in range(16) if s % 4),
    "sustain_808": ((0, 9.5, "R", "X"), (10, 5.5, "R", "x")),
    "sustained": ((0, 16, "R", "X"),),
    "pulse_8ths": tuple((s, 1.5, "R", "x" if s % 8 == 0 else "o") for s in range(0, 16, 2)),
    "half_notes": ((0, 7.8, "R", "X"), (8, 7.8, "5", "x")),
}

#: comping rhythms for chord parts: (step, length in steps, accent)
CHORD_RHYTHMS: dict[str, tuple[tuple[float, float, str], ...]] = {
    "block_whole": ((0, 16, "X"),),
    "block_half": ((0, 8, "X"), (8, 8, "x")),
    "pop_quarters": ((0, 3.8, "X"), (4, 3.8, "o"), (8, 3.8, "x"), (12, 3.8, "o")),
    "pop_8ths": tuple((s, 1.9, "X" if s % 8 == 0 else ("x" if s % 4 == 0 else "o")) for s in range(0, 16, 2)),
    "power_8ths": tuple((s, 1.3, "X" if s % 8 == 0 else "x") for s in range(0, 16, 2)),
    "power_synco": ((0, 2.8, "X"), (3, 2.8, "x"), (6, 1.8, "x"), (8, 2.8, "X"), (11, 2.8, "x"), (14, 1.8, "x")),
    "power_sustain": ((0, 7.8, "X"), (8, 7.8, "X")),
    "offbeat_comp": ((2, 1.0, "x"), (6, 1.0, "x"), (10, 1.0, "x"), (14, 1.0, "x")),
    "house_stabs": ((2, 1.2, "X"), (6, 1.2, "x"), (10, 1.2, "X"), (14, 1.2, "x")),
    "pizz_8ths": tuple((s, 0.8, "X" if s % 8 == 0 else "o") for s in range(0, 16, 2)),
    "funk_scratch": tuple((i, 0.5, c) for i, c in enumerate("X.gx.gxgx.gxg.xg") if c != "."),
    "funk_scratch2": tuple((i, 0.5, c) for i, c in enumerate("x.gxX.gx.gxgX.gx") if c != "."),
}

#: horn/synth stab rhythms (one is drawn per clip)
STAB_RHYTHMS = ("......X.......x.", "X..x......X.....", "...x..x.....X...", "X.........x..x..",
                "..X...X...X..x..")

#: strum patterns: D down-strum, U up-strum
STRUM_PATTERNS = ("D...D.U...U.D.U.", "D..UD.U.D..UD.U.", "D.D.D.D.D.D.D.D.", "D...D...D...D.U.")
_CALM_STRUM = "D.......D...D..."

# pattern name -> how it is realised
_PATTERN_KIND: dict[str, str] = {
    **{name: "rhythm" for name in CHORD_RHYTHMS},
    "pad_sustain": "sustain", "legato": "sustain", "brass_swell": "sustain",
    "strum": "strum", "stabs": "stabs",
    "arp_up": "arp", "arp_updown": "arp", "arp_random": "arp", "harp_arp": "arp",
    "pop_arpeggio": "arp", "clean_arpeggio": "arp", "bells_8ths": "arp",
    "orch_melody": "melody", "pop_melody": "melody", "synth_lead": "melody",
    "funk_lead": "melody", "rock_lead": "melody", "vocal_melody": "melody",
    "counter_line": "counter",
    "timp_hits": "timpani", "timp_roll": "timpani", "timp_ostinato": "timpani",
}

# melody rhythm cells: name -> (length in steps, ((onset, length), ...))
_CELLS: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {
    "w": (16, ((0, 16),)), "h": (8, ((0, 8),)), "q": (4, ((0, 4),)), "88": (4, ((0, 2), (2, 2))),
    "r": (4, ()), "dot": (4, ((0, 3), (3, 1))), "syn": (4, ((2, 2),)),
    "16s": (4, ((0, 1), (1, 1), (2, 1), (3, 1))), "8_16": (4, ((0, 2), (2, 1), (3, 1))),
    "16_8": (4, ((0, 1), (1, 1), (2, 2))), "ant": (4, ((0, 2), (3, 1))),
}

# melody styles: rhythm cell weights, articulation (fraction of the length held), scale
_MELODY_STYLES: dict[str, dict[str, Any]] = {
    "orch_melody": {"cells": {"h": 3, "q": 3, "88": 1.5, "dot": 1.5, "w": 0.6}, "legato": 0.98, "scale": "mode"},
    "pop_melody": {"cells": {"88": 3, "q": 2, "syn": 2, "r": 1.2, "dot": 1, "16_8": 1}, "legato": 0.85,
                   "scale": "mode"},
    "synth_lead": {"cells": {"88": 2, "syn": 2.5, "16s": 0.8, "q": 1.5, "r": 1, "16_8": 1, "h": 0.7},
                   "legato": 0.75, "scale": "mode"},
    "funk_lead": {"cells": {"syn": 2, "16_8": 1.5, "8_16": 1.5, "r": 2, "16s": 0.8, "88": 1, "ant": 1},
                  "legato": 0.6, "scale": "pentatonic"},
    "rock_lead": {"cells": {"88": 3, "q": 2, "16s": 1, "dot": 1, "h": 1, "r": 0.8}, "legato": 0.9,
                  "scale": "pentatonic"},
}
# sung phrasing: syllables on 8ths and quarters, held notes, breaths (rests)
_MELODY_STYLES["vocal_melody"] = {"cells": {"88": 3, "q": 2.5, "dot": 1.5, "h": 1.2, "r": 1.8, "syn": 1.2},
                                  "legato": 0.93, "scale": "mode"}
_CALM_CELLS = {"h": 3, "q": 3, "88": 1, "r": 1.5, "w": 1}
