"""Step patterns: drum grooves, bass lines, comping and strum rhythms, melody cells."""

from __future__ import annotations

from typing import Any

#: accent characters of the step patterns -> velocity factor. Drum lines also take ``r`` (a roll:
#: two 32nd notes in the step) and ``t`` (a 16th-note triplet: three hits over this step and the next)
ACCENTS = {"X": 1.0, "x": 0.82, "o": 0.64, "g": 0.34}

# General MIDI percussion keys
KICK, SIDE_STICK, SNARE, CLAP, E_SNARE = 36, 37, 38, 39, 40
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
CRASH, RIDE, RIDE_BELL, CRASH2 = 49, 51, 53, 57
CHINA = 52
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
    # Blues: shuffles (the style swings its 8ths into triplets), a slow 12/8-like feel
    "blues_shuffle": {KICK: "X.....x.X.....x.", SNARE: "....X.......X...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "blues_shuffle_ride": {KICK: "X.......X.......", SNARE: "....X.......X...", RIDE: "x.o.x.o.x.o.x.o.",
                           PEDAL_HAT: "....x.......x..."},
    "texas_shuffle": {KICK: "X...X...X...X...", SNARE: "g.g.X.g.g.g.X.g.", RIDE: "x.o.x.o.x.o.x.o."},
    "slow_blues": {KICK: "X.......X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "xoxoxoxoxoxoxoxo"},
    "blues_brush": {KICK: "X.......X.......", SNARE: "o.o.x.o.o.o.x.o.", PEDAL_HAT: "....x.......x..."},
    # Country: train beat (16th snare with accents on 2 and 4), boom-chick two-step
    "train_beat": {KICK: "X.......X.......", SNARE: "ogogXgogogogXgog"},
    "two_step": {KICK: "X.......X.......", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "two_step_rim": {KICK: "X.......X.......", SIDE_STICK: "....X.......X...", CLOSED_HAT: "x.o.x.o.x.o.x.o."},
    "country_rock": {KICK: "X.....x.X.x.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x.",
                     OPEN_HAT: "..............x."},
    "country_ballad": {KICK: "X.........X.....", SIDE_STICK: "....x.......x...", RIDE: "x...x...x...x..."},
    # Disco: four on the floor, open hats on the off-beats
    "disco": {KICK: "X...X...X...X...", SNARE: "....X.......X...", CLOSED_HAT: "x...x...x...x...",
              OPEN_HAT: "..X...X...X...X."},
    "disco_16": {KICK: "X...X...X...X...", SNARE: "....X.......X...", CLOSED_HAT: "xoxgxoxgxoxgxoxg",
                 OPEN_HAT: "..x...x...x...x."},
    "disco_snare": {KICK: "X...X...X...X...", SNARE: "....X.......X.g.", CLAP: "....x.......x...",
                    CLOSED_HAT: "x.g.x.g.x.g.x.g.", OPEN_HAT: "..x...x...x...x."},
    # Hip hop: boom bap (swung 16ths), trap (half-time, rolling hi-hats)
    "boom_bap": {KICK: "X.......x.X.....", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "boom_bap_b": {KICK: "X..x......X..x..", SNARE: "....X.......X...", CLOSED_HAT: "x.xox.x.x.xox.x.",
                   OPEN_HAT: "..............x."},
    "boom_bap_c": {KICK: "X.x.......X.....", SNARE: "....X.......X..g", CLOSED_HAT: "x.x.x.x.x.x.x.x.",
                   SIDE_STICK: ".......g........"},
    "boom_bap_sparse": {KICK: "X.........X.....", SNARE: "....X.......X...", CLOSED_HAT: "x...x...x...x..."},
    "trap": {KICK: "X......x..X.....", CLAP: "........X.......", CLOSED_HAT: "x.x.x.x.x.x.r.t."},
    "trap_b": {KICK: "X.....X...x..x..", CLAP: "........X.......", CLOSED_HAT: "x.xxx.x.t.x.xrx.",
               OPEN_HAT: "..............x."},
    "trap_c": {KICK: "X..X......X.....", SNARE: "........X.......", CLAP: "........X.......",
               CLOSED_HAT: "xxx.x.t.x.x.rrr."},
    "trap_sparse": {KICK: "X.........X.....", CLAP: "........X.......", CLOSED_HAT: "x...x...x...x.t."},
    # Jazz: the swing ride ("ding, ding-a ding"), hi-hat foot on 2 and 4, a feathered kick
    "jazz_ride": {RIDE: "x...X.o.x...X.o.", PEDAL_HAT: "....x.......x...", KICK: "g...g...g...g..."},
    "jazz_ride_b": {RIDE: "x...X.o.x...X.o.", PEDAL_HAT: "....x.......x...", KICK: "g.......g.......",
                    SNARE: "..........g....g"},
    "jazz_two": {RIDE: "x...X...x...X.o.", PEDAL_HAT: "....x.......x...", KICK: "o.......o......."},
    "jazz_brushes": {SNARE: "x.o.X.o.x.o.X.o.", PEDAL_HAT: "....x.......x...", KICK: "g.......g......."},
    "jazz_ballad": {RIDE: "x...x...x...x...", PEDAL_HAT: "....x.......x...", SNARE: "o...o...o...o..."},
    # Metal: double kick, gallops, thrash skank beat, blast beats, a half-time breakdown
    "metal_double": {KICK: "xoxoxoxoxoxoxoxo", SNARE: "....X.......X...", CRASH: "x.......x.......",
                     CLOSED_HAT: "..x...x...x...x."},
    "metal_double_b": {KICK: "xoxoxoxoxoxoxoxo", SNARE: "....X.......X...", RIDE: "x.x.x.x.x.x.x.x.",
                       CHINA: "x..............."},
    "metal_gallop": {KICK: "X.xxX.xxX.xxX.xx", SNARE: "....X.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x.",
                     CRASH: "x..............."},
    "metal_thrash": {KICK: "X.x.X.x.X.x.X.x.", SNARE: "..X...X...X...X.", CRASH: "x...x...x...x..."},
    "metal_blast": {KICK: "X.x.x.x.x.x.x.x.", SNARE: ".x.x.x.x.x.x.x.x", RIDE: "x.x.x.x.x.x.x.x.",
                    CRASH: "x.......x......."},
    "metal_halftime": {KICK: "X..X..X...X..X..", SNARE: "........X.......", CHINA: "x...x...x...x..."},
    # Reggae: the one drop (kick and rim together on 3, nothing on 1), rockers, steppers
    "one_drop": {KICK: "........X.......", SIDE_STICK: "........X.......", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "one_drop_hats": {KICK: "........X.......", SNARE: "........X.......", CLOSED_HAT: "x.oxx.oxx.oxx.ox",
                      OPEN_HAT: "..............x."},
    "one_drop_rim": {KICK: "........X.......", SIDE_STICK: "........X.....o.", CLOSED_HAT: "..x...x...x...x."},
    "rockers": {KICK: "X.......X.......", SIDE_STICK: "....x.......X...", CLOSED_HAT: "x.x.x.x.x.x.x.x."},
    "steppers": {KICK: "X...X...X...X...", SIDE_STICK: "........X.......", CLOSED_HAT: "..x...x...x...x."},
}

#: extra percussion layers, merged into the drum part
PERCUSSION_LAYERS: dict[str, dict[int, str]] = {
    "congas": {63: "..x...x...x..x..", 64: "x......x.x......", 62: "....o.......o..."},
    "tambourine": {54: "..x...x...x...x."},
    "shaker": {70: "xoooxoooxoooxooo"},
    "cowbell": {56: "x...x...x...x..."},
    "claps": {CLAP: "....X.......X..."},
    "tambourine_offbeats": {54: "..x...x...x...x."},
}

# seconds a drum note is held before its note-off (its release follows)
_DRUM_HOLD = {CLOSED_HAT: 0.08, PEDAL_HAT: 0.08, OPEN_HAT: 0.3, CRASH: 1.4, CRASH2: 1.4, CHINA: 1.2, 55: 0.8,
              RIDE: 0.6, RIDE_BELL: 0.6, 59: 0.6}

#: bass lines: (step, length in steps, degree, accent); degrees: R root/bass note,
#: O octave, 5 fifth, 5L fifth below, 3 third, 6 sixth, 7 seventh, A approach to the next chord.
#: ``walking``, ``walking_diatonic`` and ``riff_bass`` are made by rules (see perform).
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
    # Blues: the boogie line (root, third, fifth, sixth, seventh and back down, swung 8ths)
    "boogie": ((0, 1.8, "R", "X"), (2, 1.8, "3", "x"), (4, 1.8, "5", "x"), (6, 1.8, "6", "x"),
               (8, 1.8, "7", "X"), (10, 1.8, "6", "x"), (12, 1.8, "5", "x"), (14, 1.8, "3", "x")),
    "boogie_quarters": ((0, 3.6, "R", "X"), (4, 3.6, "3", "x"), (8, 3.6, "5", "x"), (12, 3.6, "6", "x")),
    # Country: root-fifth alternating bass (boom-chick)
    "country_2": ((0, 3.6, "R", "X"), (8, 3.6, "5L", "x")),
    "country_4": ((0, 3.4, "R", "X"), (4, 1.6, "5L", "o"), (8, 3.4, "5L", "x"), (12, 3.4, "A", "o")),
    "country_walk": ((0, 3.4, "R", "X"), (8, 3.4, "5L", "x"), (12, 1.6, "6", "o"), (14, 1.6, "A", "o")),
    # Disco: octave bass
    "disco_octaves": tuple((s, 1.2, "O" if s % 4 == 2 else "R", "X" if s % 4 == 2 else "x") for s in range(0, 16, 2)),
    "disco_octaves_16": ((0, 1.2, "R", "X"), (2, 0.8, "O", "X"), (3, 0.6, "R", "g"), (4, 1.2, "R", "x"),
                         (6, 0.8, "O", "X"), (8, 1.2, "R", "X"), (10, 0.8, "O", "X"), (11, 0.6, "R", "g"),
                         (12, 1.2, "5", "x"), (14, 0.8, "O", "X")),
    # Hip hop: bass under a boom-bap kick, 808 sustains under a trap kick
    "boom_bap_bass": ((0, 5.5, "R", "X"), (7, 1.5, "R", "o"), (8, 1.8, "R", "x"), (10, 3.5, "5L", "x")),
    "boom_bap_bass_b": ((0, 2.5, "R", "X"), (3, 2.5, "R", "x"), (10, 3.5, "R", "x"), (13, 2.5, "7", "o")),
    "trap_808": ((0, 6.5, "R", "X"), (7, 2.5, "R", "x"), (10, 5.5, "R", "x")),
    # Reggae: deep, round lines that leave space
    "reggae_1": ((0, 3.5, "R", "X"), (6, 1.5, "R", "x"), (8, 1.5, "5L", "x"), (10, 3.0, "3", "x"),
                 (14, 1.5, "A", "o")),
    "reggae_2": ((2, 1.5, "R", "x"), (4, 2.5, "R", "X"), (7, 1.0, "3", "o"), (8, 3.5, "5", "x"),
                 (14, 1.5, "R", "x")),
    "reggae_3": ((0, 1.5, "R", "X"), (2, 1.5, "R", "x"), (6, 3.0, "5L", "x"), (10, 1.5, "7", "o"),
                 (12, 3.5, "R", "x")),
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
    # Blues: swung-8th comping, the Charleston
    "shuffle_comp": tuple((s, 1.6, "X" if s % 8 == 4 else ("x" if s % 4 == 0 else "o")) for s in range(0, 16, 2)),
    "charleston": ((0, 2.5, "X"), (6, 1.5, "x"), (8, 2.5, "x"), (14, 1.5, "o")),
    # Country: the "chick" of boom-chick (2 and 4)
    "chick": ((4, 1.5, "x"), (12, 1.5, "x")),
    # Disco: 16th-note muted guitar
    "muted_16": tuple((i, 0.45, "x" if i % 4 == 2 else ("o" if i % 2 == 0 else "g")) for i in range(16)),
    # Hip hop: a chopped sample loop
    "loop_chops": ((0, 3.0, "X"), (3, 1.0, "x"), (6, 2.0, "x"), (10, 1.5, "o"), (12, 3.5, "x")),
    # Reggae: the skank (short chords on 2 and 4), the double skank, the organ bubble
    "skank": ((4, 0.7, "X"), (12, 0.7, "X")),
    "skank_double": ((4, 0.6, "X"), (6, 0.5, "o"), (12, 0.6, "X"), (14, 0.5, "o")),
    "bubble": ((2, 1.2, "o"), (4, 1.2, "x"), (6, 1.2, "o"), (10, 1.2, "o"), (12, 1.2, "x"), (14, 1.2, "o")),
}

#: jazz comping: one bar is drawn per bar (step, length, accent); a hit just before a chord change
#: anticipates the next chord
JAZZ_COMP_BARS: tuple[tuple[tuple[float, float, str], ...], ...] = (
    ((0, 2.5, "X"), (6, 1.5, "x")),             # Charleston
    ((6, 1.5, "x"), (14, 2.0, "X")),            # anticipations
    ((4, 1.5, "x"), (12, 1.5, "x")),            # 2 and 4
    ((2, 1.5, "o"), (10, 3.0, "X")),
    ((0, 1.2, "x"), (6, 1.2, "o"), (10, 2.5, "x")),
    ((8, 3.0, "X"),),
    ((0, 6.0, "x"), (14, 2.0, "o")),
)

#: metal riff cells, one beat each: (onset, length, accent); accented hits become power chords
RIFF_CELLS: dict[str, tuple[tuple[float, float, str], ...]] = {
    "gallop": ((0, 2, "X"), (2, 1, "x"), (3, 1, "x")),
    "rgallop": ((0, 1, "X"), (1, 1, "x"), (2, 2, "x")),
    "16s": ((0, 1, "X"), (1, 1, "x"), (2, 1, "x"), (3, 1, "x")),
    "8s": ((0, 2, "X"), (2, 2, "x")),
    "hit": ((0, 4, "X"),),
    "off": ((0, 1, "x"), (2, 2, "X")),
}

#: horn/synth stab rhythms (one is drawn per clip)
STAB_RHYTHMS = ("......X.......x.", "X..x......X.....", "...x..x.....X...", "X.........x..x..",
                "..X...X...X..x..")

#: strum patterns: D down-strum, U up-strum
STRUM_PATTERNS = ("D...D.U...U.D.U.", "D..UD.U.D..UD.U.", "D.D.D.D.D.D.D.D.", "D...D...D...D.U.")
#: banjo rolls: indices into (low root, third, fifth, high root), one per 16th
BANJO_ROLLS = ((0, 1, 3, 0, 1, 3, 0, 3), (3, 1, 0, 3, 1, 0, 3, 1), (0, 2, 3, 1, 0, 2, 3, 1))
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
    "alberti": "arp", "banjo_roll": "arp",
    "blues_lead": "melody", "blues_fill": "melody", "chicken_pickin": "melody", "fiddle": "melody",
    "jazz_lead": "melody", "metal_lead": "melody", "reggae_lead": "melody", "classical_melody": "melody",
    "baroque_melody": "melody",
    "jazz_comp": "comp", "metal_riff": "riff", "boogie_dyads": "dyads", "steel_swell": "steel", "rap_flow": "rap",
}

# melody rhythm cells: name -> (length in steps, ((onset, length), ...))
_CELLS: dict[str, tuple[int, tuple[tuple[int, int], ...]]] = {
    "w": (16, ((0, 16),)), "h": (8, ((0, 8),)), "q": (4, ((0, 4),)), "88": (4, ((0, 2), (2, 2))),
    "r": (4, ()), "dot": (4, ((0, 3), (3, 1))), "syn": (4, ((2, 2),)),
    "16s": (4, ((0, 1), (1, 1), (2, 1), (3, 1))), "8_16": (4, ((0, 2), (2, 1), (3, 1))),
    "16_8": (4, ((0, 1), (1, 1), (2, 2))), "ant": (4, ((0, 2), (3, 1))),
}

# melody styles: rhythm cell weights, articulation (fraction of the length held), scale;
# optional: "answer" (plays only in the second bar of each two: fills between the singer's lines),
# "bends" (chance that a note is bent up into from a semitone below)
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
_MELODY_STYLES.update({
    "blues_lead": {"cells": {"88": 2, "q": 1.5, "h": 1.5, "r": 2, "dot": 1.5, "16_8": 1}, "legato": 0.9,
                   "scale": "blues", "bends": 0.35},
    "blues_fill": {"cells": {"16_8": 1.5, "8_16": 1.2, "88": 2, "q": 1, "dot": 1, "r": 1}, "legato": 0.8,
                   "scale": "blues", "bends": 0.3, "answer": True},
    "chicken_pickin": {"cells": {"16s": 1.5, "8_16": 2, "16_8": 2, "88": 2, "r": 1.2, "syn": 1}, "legato": 0.6,
                       "scale": "country", "bends": 0.15, "answer": True},
    "fiddle": {"cells": {"88": 3, "16s": 1.5, "q": 1.5, "dot": 1, "h": 0.8, "8_16": 1}, "legato": 0.92,
               "scale": "mode", "bends": 0.12},
    "jazz_lead": {"cells": {"88": 3.5, "syn": 1.5, "q": 1.2, "r": 1.5, "dot": 1, "ant": 1, "h": 0.6},
                  "legato": 0.88, "scale": "mode"},
    "metal_lead": {"cells": {"16s": 3, "8_16": 1.5, "16_8": 1.5, "88": 1, "h": 0.7, "q": 1}, "legato": 0.88,
                   "scale": "mode", "bends": 0.15},
    "reggae_lead": {"cells": {"q": 2, "88": 2, "h": 1.5, "r": 2, "dot": 1, "syn": 1.5}, "legato": 0.85,
                    "scale": "pentatonic"},
    "classical_melody": {"cells": {"q": 3, "88": 3, "h": 1.5, "dot": 1.5, "16s": 0.8, "8_16": 0.8, "w": 0.3},
                         "legato": 0.92, "scale": "mode"},
    "baroque_melody": {"cells": {"16s": 2.5, "88": 2.5, "8_16": 1.5, "16_8": 1.5, "q": 1.5, "dot": 0.8},
                       "legato": 0.85, "scale": "mode"},
})
_CALM_CELLS = {"h": 3, "q": 3, "88": 1, "r": 1.5, "w": 1}

#: rap flows: one bar of syllables on the 16th grid (x accented, o plain, . rest)
RAP_FLOWS = ("x.oox.o.x.oox...", "xooox.oox.o.x.o.", "..oox.oox.oox.o.", "x.o.xoo.x.o.xoo.",
             "xoo.xoo.xoo.x...", "..x.xoo.o.x.x.o.")
#: the same in 8ths, for double-time tempos (trap)
RAP_FLOWS_8 = ("x.o.o.o.x.o.o...", "x.o.x.o.o.o.x.o.", "o.o.x...x.o.x.o.", "x...o.o.x.o.o.o.")
