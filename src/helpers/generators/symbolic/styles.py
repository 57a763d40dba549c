"""Genre styles: what makes each genre recognisable (tempo, groove, kit, parts, harmony)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class PartStyle:
    """A part a genre may use: its role, candidate GM programs and patterns."""

    name: str
    role: str
    programs: tuple[int, ...]
    patterns: tuple[str, ...]
    probability: float = 1.0
    level: float = 0.7
    pump: bool = False


@dataclass(frozen=True)
class GenreStyle:
    """Everything :func:`arrange` needs to know about a genre.

    ``progressions`` maps ``"major"``/``"minor"`` to pools of
    ``(roman numerals, beats per chord)``; ``keyword_overrides`` maps a
    description keyword to ``(role, programs, pattern)`` (``None`` keeps the
    keyword's default) for instruments that mean something else in this genre.
    """

    name: str
    tempo_range: tuple[float, float]
    swing_range: tuple[float, float]
    minor_probability: float
    major_mode: str
    minor_mode: str
    key_weights: tuple[float, ...]
    drum_kits: tuple[int, ...]
    drum_patterns: tuple[str, ...]
    sparse_drum_patterns: tuple[str, ...]
    progressions: Mapping[str, tuple[tuple[tuple[str, ...], int], ...]]
    parts: tuple[PartStyle, ...]
    keys_patterns: tuple[str, ...]
    section_changes: tuple[tuple[str, float], ...]
    percussion: tuple[tuple[str, float], ...] = ()
    velocity: float = 0.85
    humanize_ms: float = 5.0
    ghost_probability: float = 0.0
    pumping: tuple[float, float] = (0.0, 0.0)
    reverb: float = 0.0
    expressive: bool = False
    start_crash: float = 0.5
    four_on_floor_pattern: str | None = None
    vocal_probability: float = 0.0      # chance of a vocal-like lead line (with the generator's `vocals` option)
    vocal_programs: tuple[int, ...] = ()
    keyword_overrides: Mapping[str, tuple[str | None, tuple[int, ...] | None, str | None]] = field(
        default_factory=dict)


def _key_weights(**weights: float) -> tuple[float, ...]:
    names = {"C": 0, "Db": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "Gb": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10, "B": 11}
    out = [1.0] * 12
    for name, w in weights.items():
        out[names[name]] = w
    return tuple(out)


GENRE_STYLES: dict[str, GenreStyle] = {
    "Electronica": GenreStyle(
        name="Electronica",
        vocal_probability=0.35,
        vocal_programs=(54, 85, 53),
        tempo_range=(112.0, 140.0),
        swing_range=(0.0, 0.12),
        minor_probability=0.75,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(A=1.5, F=1.5, C=1.3, G=1.3, D=1.3, E=1.2),
        drum_kits=(25, 24),
        drum_patterns=("four_on_floor", "techno", "breakbeat", "electro", "halfstep"),
        sparse_drum_patterns=("halfstep", "techno"),
        progressions={
            "minor": ((("i", "bVI", "bIII", "bVII"), 4), (("i", "bVII", "bVI", "bVII"), 4),
                      (("i", "iv", "bVI", "bVII"), 4), (("i7", "bVImaj7"), 8), (("i", "i", "bVI", "bVII"), 4),
                      (("i7",), 4), (("i", "bIII", "bVII", "iv"), 4)),
            "major": ((("vi", "IV", "I", "V"), 4), (("I", "V", "vi", "IV"), 4), (("IV", "V", "vi", "vi"), 4),
                      (("Imaj7", "IVmaj7"), 8), (("I", "iii", "vi", "IV"), 4)),
        },
        parts=(
            PartStyle("synth bass", "bass", (38, 39, 87), ("offbeat", "rolling_16", "sustain_808", "acid"), 1.0, 0.8,
                      pump=True),
            PartStyle("pad", "pad", (89, 90, 91, 94, 95, 50), ("pad_sustain",), 0.85, 0.5, pump=True),
            PartStyle("arpeggiator", "arp", (81, 80, 87), ("arp_up", "arp_updown", "arp_random"), 0.7, 0.45,
                      pump=True),
            PartStyle("lead", "lead", (80, 81, 84, 87), ("synth_lead",), 0.45, 0.45),
            PartStyle("stabs", "chords", (81, 62, 80), ("house_stabs",), 0.35, 0.45, pump=True),
        ),
        keys_patterns=("house_stabs", "block_half"),
        section_changes=(("drop", 0.4), ("fill", 0.2), ("none", 0.4)),
        velocity=0.9,
        humanize_ms=0.0,
        pumping=(0.35, 0.7),
        reverb=0.15,
        start_crash=0.4,
        four_on_floor_pattern="four_on_floor",
        keyword_overrides={
            "guitar": (None, (27, 28), None), "electric guitar": (None, (27, 28, 29), None),
            "bass": (None, (38, 39, 33), None), "strings": (None, (50, 48), None),
            "drums": (None, None, None), "stabs": ("chords", (81, 62), "house_stabs"),
            "solo": ("lead", (81, 80), "synth_lead"),
        },
    ),
    "Funk": GenreStyle(
        name="Funk",
        vocal_probability=0.5,
        vocal_programs=(54, 53, 85),
        tempo_range=(90.0, 116.0),
        swing_range=(0.0, 0.2),
        minor_probability=0.5,
        major_mode="mixolydian",
        minor_mode="dorian",
        key_weights=_key_weights(E=3, A=2, D=2, G=2, C=1.5, F=1.5, Bb=1.2, Eb=1.2),
        drum_kits=(0, 8, 32),
        drum_patterns=("funk_16", "funk_breaks", "funk_linear", "funk_disco"),
        sparse_drum_patterns=("funk_linear", "funk_breaks"),
        progressions={
            "major": ((("I9",), 4), (("I7",), 4), (("I7", "IV9"), 8), (("I9", "IV7"), 4), (("I7", "bVII9"), 8),
                      (("I9", "I9", "IV9", "bVII9"), 4)),
            "minor": ((("i7",), 4), (("i9",), 4), (("i7", "IV9"), 8), (("i7", "IV7"), 4), (("i9", "bVII9"), 8),
                      (("i7", "iv7"), 8)),
        },
        parts=(
            PartStyle("bass", "bass", (36, 37, 33), ("slap_16", "finger_funk", "octave_pops"), 1.0, 0.85),
            PartStyle("rhythm", "chords", (7, 28, 27), ("funk_scratch", "funk_scratch2"), 1.0, 0.6),
            PartStyle("horns", "stabs", (61, 56, 62, 66), ("stabs",), 0.75, 0.6),
            PartStyle("keys", "chords", (4, 5, 16), ("offbeat_comp", "block_half"), 0.45, 0.45),
            PartStyle("second rhythm", "chords", (28, 27, 7), ("offbeat_comp",), 0.3, 0.45),
            PartStyle("lead", "lead", (66, 65, 81, 80), ("funk_lead",), 0.3, 0.5),
        ),
        keys_patterns=("offbeat_comp", "block_half"),
        section_changes=(("fill", 0.45), ("lift", 0.2), ("none", 0.35)),
        percussion=(("congas", 0.3), ("tambourine", 0.25), ("cowbell", 0.1)),
        velocity=0.88,
        humanize_ms=4.0,
        ghost_probability=0.12,
        reverb=0.0,
        start_crash=0.5,
        four_on_floor_pattern="funk_disco",
        keyword_overrides={
            "guitar": (None, (28, 27), None), "electric guitar": (None, (28, 27), None),
            "horns": ("stabs", (61,), "stabs"), "brass": ("stabs", (61, 56, 57), "stabs"),
            "bass": (None, (33, 36, 37), None), "organ": ("chords", (16, 17), "offbeat_comp"),
            "stabs": ("stabs", (61, 56), "stabs"), "solo": ("lead", (66, 65, 56), "funk_lead"),
            "strings": ("stabs", (48, 49), "stabs"),
        },
    ),
    "Orchestral": GenreStyle(
        name="Orchestral",
        tempo_range=(60.0, 100.0),
        swing_range=(0.0, 0.0),
        minor_probability=0.5,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(D=2, C=2, G=2, F=2, Eb=1.5, Bb=1.5, A=1.5, E=1.0, B=0.5, Db=0.6, Gb=0.4, Ab=0.8),
        drum_kits=(),
        drum_patterns=("orchestral",),
        sparse_drum_patterns=("orchestral",),
        progressions={
            "major": ((("I", "IV/1", "V7", "I"), 4), (("I", "V/1", "vi", "IV"), 4), (("I", "vi", "ii/1", "V7"), 4),
                      (("I", "iii", "IV", "V"), 4), (("I", "V/1", "vi", "iii/1", "IV", "I/2", "IV", "V7"), 2),
                      (("I", "IV", "I/2", "V7"), 2)),
            "minor": ((("i", "iv/1", "V7", "i"), 4), (("i", "bVI", "iv", "V"), 4), (("i", "bVII", "bVI", "V7"), 4),
                      (("i", "bIII", "iv", "V7/1"), 4), (("i", "iio/1", "V7", "i"), 2),
                      (("i", "bVI", "bIII", "bVII"), 4)),
        },
        parts=(
            PartStyle("strings", "pad", (48, 49), ("legato",), 1.0, 0.8),
            PartStyle("low strings", "bass", (43, 42), ("sustained", "pulse_8ths", "half_notes"), 1.0, 0.7),
            PartStyle("melody", "lead", (40, 73, 68, 71, 60), ("orch_melody",), 0.9, 0.6),
            PartStyle("counter", "counter", (60, 70, 42, 71), ("counter_line",), 0.55, 0.5),
            PartStyle("brass", "chords", (61, 60, 57), ("brass_swell",), 0.35, 0.55),
            PartStyle("timpani", "timpani", (47,), ("timp_hits", "timp_roll"), 0.55, 0.6),
            PartStyle("harp", "arp", (46,), ("harp_arp",), 0.3, 0.45),
            PartStyle("choir", "pad", (52, 53), ("pad_sustain",), 0.12, 0.4),
            PartStyle("bells", "bells", (8, 9), ("bells_8ths",), 0.1, 0.3),
        ),
        keys_patterns=("block_half", "pop_arpeggio"),
        section_changes=(("swell", 0.45), ("enter", 0.25), ("none", 0.3)),
        velocity=0.78,
        humanize_ms=10.0,
        reverb=0.28,
        expressive=True,
        start_crash=0.0,
        keyword_overrides={
            "horns": ("counter", (60,), "counter_line"), "horn section": ("chords", (60, 61), "brass_swell"),
            "brass": ("chords", (61, 60, 57), "brass_swell"), "trumpet": ("lead", (56,), "orch_melody"),
            "trombone": ("chords", (57,), "brass_swell"), "tuba": ("bass", (58,), "sustained"),
            "double bass": ("bass", (43,), None), "bass": ("bass", (43, 42), None),
            "guitar": ("arp", (24,), "harp_arp"), "synth": ("pad", (50, 51), "pad_sustain"),
            "pad": ("pad", (50, 89), "pad_sustain"), "piano": ("chords", (0,), "pop_arpeggio"),
            "strings": ("pad", (48, 49), "legato"), "woodwinds": ("counter", (71, 73, 68), "counter_line"),
            "saxophone": ("lead", (65, 66), "orch_melody"), "lead synth": ("lead", (81, 80), "orch_melody"),
            "violin": ("lead", (40,), "orch_melody"), "flute": ("lead", (73,), "orch_melody"),
            "oboe": ("lead", (68,), "orch_melody"), "clarinet": ("lead", (71,), "orch_melody"),
            "stabs": ("stabs", (61, 55), "stabs"), "solo": ("lead", (40, 73, 68), "orch_melody"),
            "plucks": ("arp", (46, 45), "harp_arp"), "distorted guitar": ("chords", (30,), "power_sustain"),
        },
    ),
    "Pop": GenreStyle(
        name="Pop",
        vocal_probability=0.8,
        vocal_programs=(54, 53, 85),
        tempo_range=(92.0, 126.0),
        swing_range=(0.0, 0.08),
        minor_probability=0.25,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(C=2, G=2, D=2, A=1.5, E=1.5, F=1.5, Bb=1.2, Eb=1.2),
        drum_kits=(0, 8, 24),
        drum_patterns=("pop_backbeat", "pop_four", "pop_16", "pop_ballad"),
        sparse_drum_patterns=("pop_ballad",),
        progressions={
            "major": ((("I", "V", "vi", "IV"), 4), (("vi", "IV", "I", "V"), 4), (("I", "vi", "IV", "V"), 4),
                      (("I", "IV", "vi", "V"), 4), (("Iadd9", "V", "vi7", "IV"), 4), (("IV", "I", "V", "vi"), 4),
                      (("I", "V/1", "vi", "IV"), 4)),
            "minor": ((("i", "bVI", "bIII", "bVII"), 4), (("i", "iv", "bVI", "bVII"), 4),
                      (("i", "bVII", "bVI", "bVII"), 4), (("i", "bIII", "bVII", "iv"), 4)),
        },
        parts=(
            PartStyle("keys", "chords", (0, 1, 4), ("pop_8ths", "pop_arpeggio", "block_half", "pop_quarters"), 1.0,
                      0.65),
            PartStyle("bass", "bass", (33, 34, 38), ("pop_8ths", "pop_synco", "root_quarters"), 1.0, 0.75),
            PartStyle("acoustic guitar", "chords", (25, 24), ("strum",), 0.45, 0.5),
            PartStyle("pad", "pad", (89, 90, 88, 50), ("pad_sustain",), 0.4, 0.4),
            PartStyle("lead", "lead", (54, 85, 80, 73, 65, 11), ("pop_melody",), 0.7, 0.55),
            PartStyle("bells", "bells", (9, 11, 8), ("bells_8ths",), 0.2, 0.3),
        ),
        keys_patterns=("pop_8ths", "pop_arpeggio", "block_half"),
        section_changes=(("fill", 0.4), ("lift", 0.3), ("none", 0.3)),
        percussion=(("claps", 0.35), ("tambourine", 0.25), ("shaker", 0.2)),
        velocity=0.85,
        humanize_ms=5.0,
        reverb=0.12,
        start_crash=0.4,
        four_on_floor_pattern="pop_four",
        keyword_overrides={
            "guitar": (None, (25, 27, 24), None), "electric guitar": (None, (27, 29), None),
            "stabs": ("stabs", (62, 81), "stabs"), "solo": ("lead", (81, 65, 73), "pop_melody"),
        },
    ),
    "Rock": GenreStyle(
        name="Rock",
        vocal_probability=0.65,
        vocal_programs=(54, 53, 85),
        tempo_range=(108.0, 160.0),
        swing_range=(0.0, 0.0),
        minor_probability=0.45,
        major_mode="mixolydian",
        minor_mode="minor",
        key_weights=_key_weights(E=3, A=3, D=2.5, G=2.5, C=1.5, B=1.0, Gb=1.0, F=0.7, Bb=0.7, Eb=0.6, Db=0.5,
                                 Ab=0.5),
        drum_kits=(0, 16, 8),
        drum_patterns=("rock_8ths", "rock_driving", "rock_four", "rock_ride", "rock_halftime"),
        sparse_drum_patterns=("rock_halftime", "rock_8ths"),
        progressions={
            "major": ((("I5", "bVII5", "IV5", "I5"), 4), (("I5", "IV5", "V5", "IV5"), 4),
                      (("I5", "bVII5", "IV5", "IV5"), 4), (("I5", "V5", "bVII5", "IV5"), 4),
                      (("I5", "bIII5", "IV5", "I5"), 4), (("I5", "I5", "bVII5", "IV5"), 2)),
            "minor": ((("i5", "bVI5", "bVII5", "i5"), 4), (("i5", "bVII5", "bVI5", "bVII5"), 4),
                      (("i5", "bIII5", "bVII5", "IV5"), 4), (("i5", "i5", "bVI5", "bVII5"), 4),
                      (("i5", "iv5", "bVI5", "V5"), 4)),
        },
        parts=(
            PartStyle("rhythm guitar", "chords", (30, 29), ("power_8ths", "power_synco", "power_sustain"), 1.0, 0.85),
            PartStyle("bass", "bass", (34, 33), ("root_8ths", "root_fifth", "root_quarters"), 1.0, 0.8),
            PartStyle("second guitar", "chords", (29, 30, 27), ("power_sustain", "clean_arpeggio"), 0.5, 0.55),
            PartStyle("lead guitar", "lead", (30, 29), ("rock_lead",), 0.3, 0.5),
            PartStyle("organ", "pad", (16, 17, 18), ("pad_sustain",), 0.2, 0.4),
        ),
        keys_patterns=("pop_8ths", "block_half"),
        section_changes=(("fill", 0.55), ("lift", 0.2), ("none", 0.25)),
        velocity=0.92,
        humanize_ms=6.0,
        reverb=0.06,
        start_crash=0.6,
        four_on_floor_pattern="rock_four",
        keyword_overrides={
            "guitar": (None, (30, 29), None), "electric guitar": (None, (30, 29), None),
            "synth": (None, (81, 62), None), "stabs": ("stabs", (61, 62), "stabs"),
            "solo": ("lead", (30, 29), "rock_lead"),
        },
    ),
}
