"""Genre styles: what makes each genre recognisable (tempo, groove, kit, parts, harmony).

:data:`GENRE_STYLES` holds one :class:`GenreStyle` per genre the symbolic
generator makes: the original five (Electronica, Funk, Orchestral, Pop, Rock)
and GTZAN's genres (Blues, Classical, Country, Disco, Hiphop, Jazz, Metal,
Reggae; GTZAN's pop and rock are Pop and Rock). :func:`genre_style` finds a
style by name in any case and spelling (``hip hop``, ``hip-hop``, ``HipHop``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, Mapping


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
class StyleVariant:
    """A sub-style of a genre (trap or boom bap, string quartet or solo piano): the fields of
    :class:`GenreStyle` it changes. ``words`` are regular expressions; a description that matches
    them picks this variant (the one with most matches), otherwise it is drawn with ``weight``."""

    name: str
    weight: float
    changes: Mapping[str, Any]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenreStyle:
    """Everything :func:`arrange` needs to know about a genre.

    ``progressions`` maps ``"major"``/``"minor"`` to pools of
    ``(roman numerals, beats per chord)``; ``keyword_overrides`` maps a
    description keyword to ``(role, programs, pattern)`` (``None`` keeps the
    keyword's default) for instruments that mean something else in this genre.

    Rhythm: ``swing_unit`` 1 swings 16ths, 2 swings 8ths (shuffle, jazz);
    ``shuffle_unit`` is the unit "swing"/"shuffle" words ask for (``None``: the
    genre ignores them). Drums: ``acoustic_kits`` is the chance that an
    acoustic (AVL) kit plays a part written for an acoustic GM kit;
    ``grooves`` maps a description's groove family (``four_on_floor``,
    ``techno``, ``breakbeat``, ``halftime``) to a drum pattern;
    ``pattern_words`` maps regular expressions of the description to drum
    patterns (``one drop``, ``blast beats``); ``lift`` is what a "lift"
    section adds (``tambourine``, ``ride``: the hats move to the ride, or
    ``none``). ``chord_patterns`` gives the comping patterns of a chord
    instrument the description names, by GM program. ``double_guitars``: the
    generator's option double-tracks the rhythm guitar. ``vocal_pattern`` and
    ``vocal_register``: how the vocal line sings (or raps). ``drum_level``
    scales the kit's level (dense grooves sit back in the mix). ``variants``:
    sub-styles, see :class:`StyleVariant`. ``aliases``: other names.
    ``production``: the genre whose production settings
    (``produce.GENRE_PRODUCTION``) the style uses, ``""`` for its own.
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
    swing_unit: int = 1
    shuffle_unit: int | None = 1
    acoustic_kits: float = 0.0
    double_guitars: bool = False
    lift: str = "tambourine"
    grooves: Mapping[str, str | None] = field(default_factory=dict)
    pattern_words: tuple[tuple[str, tuple[str, ...]], ...] = ()
    chord_patterns: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    vocal_pattern: str = "vocal_melody"
    vocal_register: int = 65
    drum_level: float = 1.0
    variants: tuple[StyleVariant, ...] = ()
    aliases: tuple[str, ...] = ()
    production: str = ""

    def variant(self, name: str) -> "GenreStyle":
        """This style with the changes of its variant ``name`` (``""``: the style itself)."""
        if not name:
            return self
        for v in self.variants:
            if v.name == name:
                return dataclasses.replace(self, **v.changes)
        raise ValueError(f"genre {self.name} has no variant {name!r}; its variants: "
                         f"{', '.join(v.name for v in self.variants) or 'none'}")


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
        grooves={"techno": "techno", "breakbeat": "breakbeat", "halftime": "halfstep"},
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
        acoustic_kits=0.75,
        grooves={"breakbeat": "funk_breaks", "halftime": "funk_linear"},
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
        shuffle_unit=None,
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
        shuffle_unit=2,
        acoustic_kits=0.75,
        grooves={"breakbeat": "breakbeat", "halftime": "pop_ballad"},
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
        shuffle_unit=2,
        acoustic_kits=0.75,
        double_guitars=True,
        lift="ride",
        grooves={"halftime": "rock_halftime"},
        keyword_overrides={
            "guitar": (None, (30, 29), None), "electric guitar": (None, (30, 29), None),
            "synth": (None, (81, 62), None), "stabs": ("stabs", (61, 62), "stabs"),
            "solo": ("lead", (30, 29), "rock_lead"),
        },
    ),
}

# --- GTZAN's genres ------------------------------------------------------------------------------

_BLUES_OVERRIDES = {
    "guitar": ("fill", (27, 29, 26), "blues_fill"), "electric guitar": ("fill", (27, 29), "blues_fill"),
    "clean guitar": ("fill", (27,), "blues_fill"), "overdriven guitar": ("fill", (29,), "blues_fill"),
    "distorted guitar": ("chords", (29, 30), "boogie_dyads"), "muted guitar": ("chords", (28,), "shuffle_comp"),
    "acoustic guitar": ("chords", (25,), "strum"), "lead guitar": ("lead", (29, 27), "blues_lead"),
    "solo": ("lead", (29, 22, 27), "blues_lead"), "lead synth": ("lead", (22, 29), "blues_lead"),
    "piano": ("chords", (0, 1), "shuffle_comp"), "electric piano": ("chords", (4, 5), "shuffle_comp"),
    "organ": ("pad", (16, 17, 18), "pad_sustain"), "harmonica": ("lead", (22,), "blues_lead"),
    "saxophone": ("lead", (66, 65), "blues_lead"), "tenor sax": ("lead", (66,), "blues_lead"),
    "trumpet": ("lead", (56,), "blues_lead"), "muted trumpet": ("lead", (59,), "blues_lead"),
    "horns": ("stabs", (61,), "stabs"), "horn section": ("stabs", (61,), "stabs"), "brass": ("stabs", (61,), "stabs"),
    "bass": (None, (33, 34, 32), None), "double bass": ("bass", (32,), "walking"),
}

_QUARTET = (
    PartStyle("first violin", "lead", (40,), ("classical_melody",), 1.0, 0.68),
    PartStyle("second violin", "arp", (40,), ("alberti",), 1.0, 0.45),
    PartStyle("viola", "counter", (41,), ("counter_line",), 0.9, 0.48),
    PartStyle("cello", "bass", (42,), ("half_notes", "root_quarters", "pulse_8ths"), 1.0, 0.62),
)
_SOLO_PIANO = (
    PartStyle("right hand", "lead", (0,), ("classical_melody",), 1.0, 0.8),
    PartStyle("left hand", "arp", (0,), ("alberti",), 1.0, 0.4),
)
_BAROQUE = (
    PartStyle("solo", "lead", (40, 73, 68, 56), ("baroque_melody",), 1.0, 0.62),
    PartStyle("harpsichord", "arp", (6,), ("alberti", "harp_arp"), 1.0, 0.65),
    PartStyle("continuo bass", "bass", (42, 70, 43), ("walking_diatonic", "root_quarters"), 1.0, 0.6),
    PartStyle("strings", "pad", (48, 49), ("legato",), 0.35, 0.4),
)
_WINDS = (
    PartStyle("flute", "lead", (73, 68), ("classical_melody",), 1.0, 0.6),
    PartStyle("clarinet", "arp", (71,), ("alberti",), 1.0, 0.45),
    PartStyle("oboe", "counter", (68, 69), ("counter_line",), 0.7, 0.45),
    PartStyle("bassoon", "bass", (70,), ("half_notes", "root_quarters"), 1.0, 0.55),
    PartStyle("horn", "pad", (60,), ("legato",), 0.5, 0.4),
)

_HIPHOP_BOOM_BAP_PARTS = (
    PartStyle("bass", "bass", (33, 34, 32, 38), ("boom_bap_bass", "boom_bap_bass_b"), 1.0, 0.85),
    PartStyle("sample loop", "chords", (4, 0, 5, 11, 48, 49), ("loop_chops", "block_half", "pop_arpeggio"), 1.0,
              0.55),
    PartStyle("pad", "pad", (89, 90, 50), ("pad_sustain",), 0.25, 0.35),
    PartStyle("horns", "stabs", (61, 56), ("stabs",), 0.2, 0.45),
    PartStyle("lead", "lead", (73, 65, 80), ("pop_melody",), 0.2, 0.45),
)
_HIPHOP_TRAP_PARTS = (
    PartStyle("808", "bass", (38, 39), ("trap_808", "sustain_808"), 1.0, 0.9),
    PartStyle("keys loop", "chords", (0, 4, 48, 49, 89, 11), ("block_half", "loop_chops", "pop_arpeggio"), 1.0, 0.5),
    PartStyle("bells", "bells", (9, 11, 14, 8), ("bells_8ths",), 0.35, 0.35),
    PartStyle("pad", "pad", (89, 90, 91, 50), ("pad_sustain",), 0.35, 0.35),
    PartStyle("lead", "lead", (73, 80, 81), ("synth_lead",), 0.2, 0.4),
)

GENRE_STYLES.update({
    "Blues": GenreStyle(
        name="Blues",
        vocal_probability=0.7,
        vocal_programs=(54, 85, 53),
        tempo_range=(60.0, 120.0),
        swing_range=(0.26, 0.34),
        swing_unit=2,
        shuffle_unit=2,
        minor_probability=0.2,
        major_mode="mixolydian",
        minor_mode="minor",
        key_weights=_key_weights(E=3, A=3, G=2, C=1.5, D=1.5, Bb=1.5, F=1.2, B=1.0, Eb=0.8, Db=0.5, Gb=0.5, Ab=0.6),
        drum_kits=(0, 8, 32),
        acoustic_kits=0.6,
        drum_patterns=("blues_shuffle", "blues_shuffle_ride", "texas_shuffle", "slow_blues"),
        sparse_drum_patterns=("slow_blues", "blues_brush"),
        pattern_words=((r"shuffl\w*", ("blues_shuffle", "blues_shuffle_ride", "texas_shuffle")),
                       (r"brush\w*", ("blues_brush",))),
        progressions={  # twelve-bar forms (some entered mid-form, as an excerpt of a song is), an eight-bar
            "major": ((("I7", "IV7", "I7", "I7", "IV7", "IV7", "I7", "I7", "V7", "IV7", "I7", "V7"), 4),
                      (("I7", "I7", "I7", "I7", "IV7", "IV7", "I7", "I7", "V7", "IV7", "I7", "V7"), 4),
                      (("IV7", "IV7", "I7", "I7", "V7", "IV7", "I7", "V7", "I7", "IV7", "I7", "I7"), 4),
                      (("V7", "IV7", "I7", "V7", "I7", "IV7", "I7", "I7", "IV7", "IV7", "I7", "I7"), 4),
                      (("I7", "V7", "IV7", "IV7", "I7", "V7", "I7", "V7"), 4),
                      (("I9", "IV9", "I9", "I9", "IV9", "IV9", "I9", "I9", "V9", "IV9", "I9", "V9"), 4)),
            "minor": ((("i7", "iv7", "i7", "i7", "iv7", "iv7", "i7", "i7", "bVI7", "V7", "i7", "V7"), 4),
                      (("i7", "i7", "i7", "i7", "iv7", "iv7", "i7", "i7", "V7", "iv7", "i7", "V7"), 4),
                      (("iv7", "iv7", "i7", "i7", "bVI7", "V7", "i7", "V7", "i7", "iv7", "i7", "i7"), 4)),
        },
        parts=(
            PartStyle("bass", "bass", (33, 32, 34), ("walking", "boogie", "boogie_quarters"), 1.0, 0.8),
            PartStyle("guitar fills", "fill", (27, 29, 26), ("blues_fill",), 0.8, 0.7),
            PartStyle("piano", "chords", (0, 1), ("shuffle_comp", "charleston"), 0.6, 0.62),
            PartStyle("rhythm guitar", "chords", (29, 27, 26), ("boogie_dyads",), 0.35, 0.6),
            PartStyle("organ", "pad", (16, 17, 18), ("pad_sustain",), 0.35, 0.4),
            PartStyle("harmonica", "lead", (22, 22, 66), ("blues_lead",), 0.5, 0.55),
        ),
        keys_patterns=("shuffle_comp", "charleston"),
        section_changes=(("fill", 0.45), ("lift", 0.2), ("none", 0.35)),
        percussion=(("tambourine", 0.1),),
        velocity=0.85,
        humanize_ms=8.0,
        ghost_probability=0.05,
        reverb=0.1,
        start_crash=0.35,
        four_on_floor_pattern="texas_shuffle",
        lift="ride",
        chord_patterns={29: ("boogie_dyads", "shuffle_comp"), 30: ("boogie_dyads",), 26: ("shuffle_comp",),
                        27: ("shuffle_comp",), 28: ("shuffle_comp",)},
        keyword_overrides=_BLUES_OVERRIDES,
    ),
    "Classical": GenreStyle(
        name="Classical",
        tempo_range=(60.0, 130.0),
        swing_range=(0.0, 0.0),
        shuffle_unit=None,
        minor_probability=0.4,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(C=2, G=2, D=2, F=1.8, Bb=1.5, Eb=1.5, A=1.5, E=1.0, Ab=0.8, B=0.5, Db=0.5, Gb=0.3),
        drum_kits=(),
        drum_patterns=("orchestral",),
        sparse_drum_patterns=("orchestral",),
        progressions={  # common-practice harmony: cadences, inversions, the cadential six-four
            "major": ((("I", "IV", "V7", "I"), 4), (("I", "ii/1", "V7", "I"), 4), (("I", "vi", "ii/1", "V7"), 4),
                      (("I", "IV", "I/2", "V7"), 4), (("I", "V7/1", "I", "IV", "I/2", "V7", "I", "I"), 2),
                      (("I", "V/1", "vi", "iii/1", "IV", "I/1", "ii", "V7"), 2), (("I", "V7", "V7", "I"), 4)),
            "minor": ((("i", "iv", "V7", "i"), 4), (("i", "iio/1", "V7", "i"), 4), (("i", "bVI", "iv/1", "V7"), 4),
                      (("i", "V7/1", "i", "iv/1", "i/2", "V7", "i", "i"), 2),
                      (("i", "iv", "bVII", "bIII", "bVI", "iio/1", "V7", "i"), 2)),
        },
        parts=_QUARTET,
        keys_patterns=("alberti", "pop_quarters"),
        section_changes=(("swell", 0.3), ("enter", 0.3), ("none", 0.4)),
        velocity=0.74,
        humanize_ms=12.0,
        reverb=0.22,
        expressive=True,
        start_crash=0.0,
        variants=(
            StyleVariant("baroque", 0.15, {"parts": _BAROQUE, "tempo_range": (70.0, 130.0),
                                           "keys_patterns": ("alberti",)},
                         words=(r"harpsichords?", r"baroque", r"continuo", r"fugues?", r"concerto grosso")),
            StyleVariant("wind ensemble", 0.15, {"parts": _WINDS},
                         words=(r"woodwinds?", r"wind (?:quintet|ensemble)", r"flutes?", r"oboes?", r"clarinets?",
                                r"bassoons?")),
            StyleVariant("solo piano", 0.35, {"parts": _SOLO_PIANO},
                         words=(r"pianos?", r"sonatas?", r"sonatinas?", r"nocturnes?", r"[ée]tudes?", r"preludes?",
                                r"toccatas?", r"impromptus?", r"mazurkas?", r"waltz(?:es)?")),
            StyleVariant("string quartet", 0.35, {"parts": _QUARTET},
                         words=(r"string (?:quartet|trio)s?", r"quartets?", r"strings", r"violins?", r"violas?",
                                r"cellos?", r"fiddles?")),
        ),
        keyword_overrides={
            "solo": ("lead", None, "classical_melody"), "melody": ("lead", None, "classical_melody"),
            "piano": ("arp", (0,), "alberti"), "harpsichord": ("arp", (6,), "alberti"),
            "keys": ("arp", (0,), "alberti"), "strings": ("counter", (41, 42, 40), "counter_line"),
            "violin": ("lead", (40,), "classical_melody"), "viola": ("counter", (41,), "counter_line"),
            "cello": ("bass", (42,), "half_notes"), "double bass": ("bass", (43,), "half_notes"),
            "bass": ("bass", (42, 43), "half_notes"), "flute": ("lead", (73,), "classical_melody"),
            "oboe": ("lead", (68,), "classical_melody"), "clarinet": ("lead", (71,), "classical_melody"),
            "recorder": ("lead", (74,), "baroque_melody"), "bassoon": ("bass", (70,), "half_notes"),
            "woodwinds": ("counter", (71, 73, 68), "counter_line"), "horns": ("counter", (60,), "counter_line"),
            "french horn": ("counter", (60,), "counter_line"), "brass": ("pad", (60, 61), "brass_swell"),
            "trumpet": ("lead", (56,), "baroque_melody"), "trombone": ("counter", (57,), "counter_line"),
            "guitar": ("arp", (24,), "harp_arp"), "nylon guitar": ("arp", (24,), "harp_arp"),
            "acoustic guitar": ("arp", (24,), "harp_arp"), "harp": ("arp", (46,), "harp_arp"),
            "organ": ("pad", (19,), "pad_sustain"), "choir": ("pad", (52, 53), "pad_sustain"),
            "pizzicato strings": ("chords", (45,), "pizz_8ths"), "lead synth": ("lead", None, "classical_melody"),
            "synth": ("pad", (48, 49), "legato"), "pad": ("pad", (48, 49), "legato"),
        },
    ),
    "Country": GenreStyle(
        name="Country",
        vocal_probability=0.8,
        vocal_programs=(54, 85, 53),
        vocal_register=64,
        tempo_range=(88.0, 140.0),
        swing_range=(0.0, 0.06),
        shuffle_unit=2,
        minor_probability=0.12,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(G=3, D=3, A=2.5, E=2, C=2, F=1.0, Bb=0.8, B=0.6, Eb=0.5, Db=0.4, Gb=0.4, Ab=0.5),
        drum_kits=(0, 8, 40),
        acoustic_kits=0.6,
        drum_patterns=("train_beat", "two_step", "two_step_rim", "country_rock"),
        sparse_drum_patterns=("country_ballad", "two_step_rim"),
        pattern_words=((r"train[- ]?beat|runaway train|locomotive", ("train_beat",)),
                       (r"two[- ]step|boom[- ]chick\w*", ("two_step", "two_step_rim"))),
        progressions={
            "major": ((("I", "IV", "I", "V"), 4), (("I", "I", "IV", "V"), 4), (("I", "IV", "V", "I"), 4),
                      (("I", "vi", "IV", "V"), 4), (("IV", "I", "V", "I"), 4), (("I", "V", "vi", "IV"), 4),
                      (("I", "IV", "I", "V7"), 8)),
            "minor": ((("i", "bVI", "bVII", "i"), 4), (("i", "iv", "bVII", "bIII"), 4), (("i", "bVII", "bVI", "V"), 4)),
        },
        parts=(
            PartStyle("bass", "bass", (33, 32, 34), ("country_2", "country_4", "country_walk"), 1.0, 0.78),
            PartStyle("acoustic guitar", "chords", (25,), ("strum",), 1.0, 0.75),
            PartStyle("telecaster", "fill", (27,), ("chicken_pickin",), 0.55, 0.9),
            PartStyle("pedal steel", "steel", (26, 27), ("steel_swell",), 0.45, 0.5),
            PartStyle("fiddle", "lead", (110,), ("fiddle",), 0.45, 0.5),
            PartStyle("banjo", "arp", (105,), ("banjo_roll",), 0.3, 0.42),
            PartStyle("piano", "chords", (0, 1), ("chick", "pop_8ths"), 0.3, 0.45),
        ),
        keys_patterns=("chick", "pop_8ths"),
        section_changes=(("fill", 0.4), ("lift", 0.25), ("none", 0.35)),
        percussion=(("tambourine", 0.15), ("shaker", 0.1)),
        velocity=0.84,
        humanize_ms=6.0,
        reverb=0.1,
        start_crash=0.4,
        four_on_floor_pattern="country_rock",
        grooves={"halftime": "country_ballad"},
        chord_patterns={27: ("chick", "strum"), 26: ("chick",), 29: ("power_8ths",), 30: ("power_8ths",)},
        keyword_overrides={
            "guitar": ("chords", (25,), "strum"), "acoustic guitar": ("chords", (25,), "strum"),
            "electric guitar": ("fill", (27,), "chicken_pickin"), "clean guitar": ("fill", (27,), "chicken_pickin"),
            "distorted guitar": ("chords", (29,), "power_8ths"), "overdriven guitar": ("fill", (29,), "chicken_pickin"),
            "lead guitar": ("lead", (27, 29), "chicken_pickin"), "solo": ("lead", (27, 110), "chicken_pickin"),
            "lead synth": ("lead", (110, 27), "fiddle"), "violin": ("lead", (110,), "fiddle"),
            "banjo": ("arp", (105,), "banjo_roll"), "harmonica": ("lead", (22,), "blues_lead"),
            "bass": (None, (33, 32, 34), None), "double bass": ("bass", (32,), "country_2"),
            "piano": ("chords", (0, 1), "chick"), "organ": ("pad", (16, 17), "pad_sustain"),
            "pedal steel": ("steel", (26, 27), "steel_swell"), "accordion": ("chords", (21,), "chick"),
        },
    ),
    "Disco": GenreStyle(
        name="Disco",
        vocal_probability=0.75,
        vocal_programs=(54, 85, 53),
        tempo_range=(110.0, 130.0),
        swing_range=(0.0, 0.08),
        minor_probability=0.5,
        major_mode="major",
        minor_mode="dorian",
        key_weights=_key_weights(A=2, E=2, D=2, G=1.5, C=1.5, F=1.5, Bb=1.2, Eb=1.2),
        drum_kits=(0, 8),
        acoustic_kits=0.5,
        drum_patterns=("disco", "disco_16", "disco_snare"),
        sparse_drum_patterns=("disco",),
        progressions={
            "major": ((("Imaj7", "IVmaj7"), 8), (("ii7", "V7", "Imaj7", "vi7"), 4), (("I", "vi7", "ii7", "V7"), 4),
                      (("IVmaj7", "iii7", "ii7", "Imaj7"), 4), (("Imaj7", "iii7", "IVmaj7", "V7sus4"), 4)),
            "minor": ((("i7", "IV7"), 8), (("i7", "iv7"), 8), (("i7", "bVII", "bVI", "V7"), 4),
                      (("i7", "bIII", "bVII", "iv7"), 4), (("i9", "bVII"), 8)),
        },
        parts=(
            PartStyle("bass", "bass", (33, 34, 36), ("disco_octaves", "disco_octaves_16", "octave_pops"), 1.0, 0.85),
            PartStyle("strings", "stabs", (48, 49), ("stabs", "pad_sustain"), 0.75, 0.75),
            PartStyle("guitar", "chords", (28, 27), ("muted_16", "funk_scratch"), 0.75, 0.45),
            PartStyle("keys", "chords", (4, 5, 7), ("offbeat_comp", "pop_8ths"), 0.55, 0.45),
            PartStyle("horns", "stabs", (61, 56), ("stabs",), 0.4, 0.5),
            PartStyle("lead", "lead", (65, 66, 80), ("funk_lead",), 0.2, 0.45),
        ),
        keys_patterns=("offbeat_comp", "pop_8ths"),
        section_changes=(("lift", 0.35), ("fill", 0.3), ("none", 0.35)),
        percussion=(("tambourine", 0.35), ("shaker", 0.2), ("congas", 0.25), ("cowbell", 0.08)),
        velocity=0.9,
        humanize_ms=3.0,
        ghost_probability=0.04,
        reverb=0.12,
        start_crash=0.5,
        four_on_floor_pattern="disco",
        drum_level=0.75,
        grooves={"halftime": "disco", "breakbeat": "disco_snare"},
        chord_patterns={28: ("muted_16", "funk_scratch"), 27: ("muted_16", "offbeat_comp"), 26: ("muted_16",),
                        7: ("funk_scratch", "offbeat_comp")},
        keyword_overrides={
            "guitar": ("chords", (28, 27), "muted_16"), "muted guitar": ("chords", (28,), "muted_16"),
            "electric guitar": ("chords", (28, 27), "muted_16"), "clean guitar": ("chords", (27,), "muted_16"),
            "distorted guitar": ("chords", (28, 27), "muted_16"), "strings": ("stabs", (48, 49), None),
            "synth strings": ("pad", (50, 51), "pad_sustain"), "bass": (None, (33, 34, 36), None),
            "synth bass": ("bass", (38, 39), "disco_octaves"), "slap bass": ("bass", (36, 37), "octave_pops"),
            "horns": ("stabs", (61, 56), "stabs"), "brass": ("stabs", (61, 56), "stabs"),
            "horn section": ("stabs", (61,), "stabs"), "electric piano": ("chords", (4, 5), "offbeat_comp"),
            "piano": ("chords", (0, 1), "offbeat_comp"), "clavinet": ("chords", (7,), "funk_scratch"),
            "organ": ("chords", (16, 17), "offbeat_comp"), "synth": ("pad", (50, 89, 81), "pad_sustain"),
            "lead synth": ("lead", (80, 81), "funk_lead"), "solo": ("lead", (65, 66, 56), "funk_lead"),
            "saxophone": ("lead", (65, 66), "funk_lead"), "flute": ("lead", (73,), "pop_melody"),
        },
    ),
    "Hiphop": GenreStyle(
        name="Hiphop",
        aliases=("hip hop", "hip-hop"),
        vocal_probability=0.9,
        vocal_programs=(85, 54),
        vocal_pattern="rap_flow",
        vocal_register=57,
        tempo_range=(84.0, 100.0),
        swing_range=(0.08, 0.22),
        minor_probability=0.7,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(C=1.5, Db=1.3, D=1.2, Eb=1.3, F=1.5, G=1.5, A=1.5, Bb=1.2),
        drum_kits=(0, 8),
        acoustic_kits=0.4,
        drum_patterns=("boom_bap", "boom_bap_b", "boom_bap_c"),
        sparse_drum_patterns=("boom_bap_sparse",),
        progressions={  # short loops, as a sample is
            "minor": ((("i7", "iv7"), 8), (("i7", "bVImaj7"), 8), (("i9", "iv9"), 8), (("i", "i", "bVI", "V"), 4),
                      (("i7", "bVII", "bVI", "bVII"), 4), (("i7",), 4)),
            "major": ((("Imaj7", "vi7"), 8), (("IVmaj7", "iii7"), 8), (("Imaj7", "IVmaj7"), 8),
                      (("ii9", "V7", "Imaj7", "vi7"), 4)),
        },
        parts=_HIPHOP_BOOM_BAP_PARTS,
        keys_patterns=("loop_chops", "block_half"),
        section_changes=(("drop", 0.3), ("enter", 0.25), ("none", 0.45)),
        percussion=(("shaker", 0.1), ("claps", 0.15)),
        velocity=0.9,
        humanize_ms=6.0,
        reverb=0.06,
        start_crash=0.2,
        lift="none",
        grooves={"breakbeat": "boom_bap_b"},
        variants=(
            StyleVariant("trap", 0.45, {"tempo_range": (130.0, 150.0), "swing_range": (0.0, 0.0), "drum_kits": (25,),
                                        "acoustic_kits": 0.0, "drum_patterns": ("trap", "trap_b", "trap_c"),
                                        "sparse_drum_patterns": ("trap_sparse",), "humanize_ms": 0.0,
                                        "parts": _HIPHOP_TRAP_PARTS, "keys_patterns": ("block_half",)},
                         words=(r"trap", r"808s?", r"half[- ]?time", r"drill", r"crunk", r"rattling", r"sub[- ]?bass")),
            StyleVariant("boom bap", 0.55, {},
                         words=(r"boom[- ]?bap", r"golden[- ]age", r"jazzy", r"dusty", r"samples?", r"sampled",
                                r"nineties", r"90s", r"head[- ]nod\w*", r"head[- ]bobbing")),
        ),
        chord_patterns={27: ("clean_arpeggio", "loop_chops"), 26: ("clean_arpeggio", "loop_chops"),
                        25: ("loop_chops",), 24: ("clean_arpeggio",)},
        keyword_overrides={
            "piano": ("chords", (0, 1), "loop_chops"), "electric piano": ("chords", (4, 5), "loop_chops"),
            "keys": ("chords", (4, 0), "loop_chops"), "strings": ("chords", (48, 49), "loop_chops"),
            "guitar": ("chords", (27, 26), "clean_arpeggio"), "acoustic guitar": ("chords", (25, 24), "clean_arpeggio"),
            "nylon guitar": ("chords", (24,), "clean_arpeggio"), "distorted guitar": ("chords", (27, 29), "loop_chops"),
            "overdriven guitar": ("chords", (29,), "loop_chops"), "synth": ("pad", (89, 90, 81), "pad_sustain"),
            "bass": (None, (33, 34, 38), None), "synth bass": ("bass", (38, 39), "trap_808"),
            "double bass": ("bass", (32,), "boom_bap_bass"), "horns": ("stabs", (61, 56), "stabs"),
            "brass": ("stabs", (61, 56), "stabs"), "stabs": ("stabs", (61, 48), "stabs"),
            "flute": ("lead", (73,), "pop_melody"), "saxophone": ("lead", (65, 66), "jazz_lead"),
            "organ": ("chords", (16, 17), "block_half"), "lead synth": ("lead", (80, 81), "synth_lead"),
            "solo": ("lead", (80, 73, 65), "pop_melody"),
        },
    ),
    "Jazz": GenreStyle(
        name="Jazz",
        vocal_probability=0.3,
        vocal_programs=(53, 54, 85),
        tempo_range=(90.0, 220.0),
        swing_range=(0.22, 0.33),
        swing_unit=2,
        shuffle_unit=2,
        minor_probability=0.35,
        major_mode="major",
        minor_mode="dorian",
        key_weights=_key_weights(F=2.5, Bb=2.5, Eb=2.2, C=2, Ab=1.5, G=1.2, D=1.0, Db=1.0, A=0.7, E=0.6, B=0.4, Gb=0.5),
        drum_kits=(32, 40, 0, 8),
        drum_patterns=("jazz_ride", "jazz_ride_b", "jazz_two", "jazz_brushes"),
        sparse_drum_patterns=("jazz_ballad", "jazz_brushes"),
        pattern_words=((r"brush\w*", ("jazz_brushes", "jazz_ballad")),),
        progressions={  # ii-V-I, rhythm-changes turnarounds, a modal vamp; extended chords
            "major": ((("ii7", "V7", "Imaj7", "Imaj7"), 4), (("Imaj7", "vi7", "ii7", "V7"), 4),
                      (("iii7", "vi7", "ii7", "V7"), 4), (("Imaj7", "VI7", "ii7", "V7"), 4),
                      (("ii9", "V13", "Imaj9", "VI7"), 4), (("IVmaj7", "bVII9", "Imaj7", "Imaj7"), 4),
                      (("ii7", "V7", "iii7", "VI7"), 4)),
            "minor": ((("iiø7", "V7", "i6", "i6"), 4), (("i7", "iv7", "iiø7", "V7"), 4),
                      (("i7", "bVI7", "iiø7", "V7"), 4),
                      (("i7", "IV7"), 8), (("i7",), 4)),
        },
        parts=(
            PartStyle("bass", "bass", (32, 33), ("walking",), 1.0, 0.5),
            PartStyle("piano", "chords", (0, 1), ("jazz_comp",), 0.8, 0.95),
            PartStyle("guitar", "chords", (26,), ("jazz_comp",), 0.35, 0.7),
            PartStyle("vibraphone", "chords", (11,), ("jazz_comp",), 0.12, 0.65),
            PartStyle("horn", "lead", (65, 66, 56, 59, 71), ("jazz_lead",), 0.75, 0.6),
            PartStyle("second horn", "counter", (57, 66, 65), ("counter_line",), 0.2, 0.4),
        ),
        keys_patterns=("jazz_comp",),
        section_changes=(("fill", 0.3), ("enter", 0.3), ("none", 0.4)),
        velocity=0.8,
        humanize_ms=9.0,
        ghost_probability=0.06,
        reverb=0.12,
        start_crash=0.15,
        lift="none",
        chord_patterns={p: ("jazz_comp",) for p in (0, 1, 4, 5, 11, 16, 17, 24, 26, 27)},
        keyword_overrides={
            "piano": ("chords", (0, 1), "jazz_comp"), "electric piano": ("chords", (4, 5), "jazz_comp"),
            "keys": ("chords", (0, 4), "jazz_comp"), "organ": ("chords", (16, 17), "jazz_comp"),
            "guitar": ("chords", (26,), "jazz_comp"), "jazz guitar": ("chords", (26,), "jazz_comp"),
            "electric guitar": ("chords", (26, 27), "jazz_comp"), "clean guitar": ("chords", (26, 27), "jazz_comp"),
            "nylon guitar": ("chords", (24,), "jazz_comp"), "lead guitar": ("lead", (26,), "jazz_lead"),
            "vibraphone": ("chords", (11,), "jazz_comp"), "bass": ("bass", (32, 33), "walking"),
            "double bass": ("bass", (32,), "walking"), "fretless bass": ("bass", (35,), "walking"),
            "tuba": ("bass", (58,), "walking"), "saxophone": ("lead", (65, 66), "jazz_lead"),
            "alto sax": ("lead", (65,), "jazz_lead"), "tenor sax": ("lead", (66,), "jazz_lead"),
            "soprano sax": ("lead", (64,), "jazz_lead"), "baritone sax": ("lead", (67,), "jazz_lead"),
            "trumpet": ("lead", (56,), "jazz_lead"), "muted trumpet": ("lead", (59,), "jazz_lead"),
            "trombone": ("counter", (57,), "counter_line"), "clarinet": ("lead", (71,), "jazz_lead"),
            "flute": ("lead", (73,), "jazz_lead"), "violin": ("lead", (40,), "jazz_lead"),
            "harmonica": ("lead", (22,), "jazz_lead"), "solo": ("lead", (65, 66, 56), "jazz_lead"),
            "lead synth": ("lead", None, "jazz_lead"), "brass": ("stabs", (61,), "stabs"),
            "horns": ("stabs", (61,), "stabs"), "horn section": ("stabs", (61,), "stabs"),
            "banjo": ("chords", (105,), "strum"), "strings": ("pad", (48, 49), "pad_sustain"),
            "synth": ("pad", (89, 90), "pad_sustain"),
        },
    ),
    "Metal": GenreStyle(
        name="Metal",
        vocal_probability=0.6,
        vocal_programs=(85, 54, 53),
        tempo_range=(140.0, 200.0),
        swing_range=(0.0, 0.0),
        shuffle_unit=2,
        minor_probability=0.9,
        major_mode="mixolydian",
        minor_mode="phrygian",
        key_weights=_key_weights(E=4, D=3, C=1.5, B=1.5, A=1.5, G=1.0, F=0.8, Gb=1.0, Db=0.6, Eb=0.8, Ab=0.4, Bb=0.5),
        drum_kits=(0, 16, 8),
        acoustic_kits=0.7,
        # a pattern listed twice is drawn twice as often: blast beats are the exception
        drum_patterns=("metal_double", "metal_double_b", "metal_gallop", "metal_thrash", "metal_gallop", "metal_thrash",
                       "metal_double", "metal_blast"),
        sparse_drum_patterns=("metal_halftime", "metal_gallop"),
        pattern_words=((r"blast[- ]?beats?", ("metal_blast",)), (r"gallop\w*", ("metal_gallop",)),
                       (r"double[- ](?:kick|bass)\w*", ("metal_double", "metal_double_b")),
                       (r"thrash\w*", ("metal_thrash",)), (r"breakdowns?|djent\w*", ("metal_halftime",))),
        progressions={  # riffs over a pedal: the chords set the riff's roots (phrygian b2, tritone)
            "minor": ((("i5",), 4), (("i5", "bVI5", "bVII5", "i5"), 4), (("i5", "bII5"), 4),
                      (("i5", "i5", "bVI5", "bVII5"), 4), (("i5", "iv5", "bVI5", "V5"), 4),
                      (("i5", "bV5", "i5", "bII5"), 4), (("i5", "bIII5", "bII5", "i5"), 4)),
            "major": ((("I5", "bVII5", "bVI5", "bVII5"), 4), (("I5", "bIII5", "IV5", "I5"), 4)),
        },
        parts=(
            PartStyle("rhythm guitar", "chords", (30, 29), ("metal_riff",), 1.0, 1.0),
            PartStyle("bass", "bass", (33, 34), ("riff_bass",), 1.0, 0.65),
            PartStyle("second guitar", "chords", (30, 29), ("power_sustain",), 0.35, 0.55),
            PartStyle("lead guitar", "lead", (30, 29), ("metal_lead",), 0.3, 0.5),
            PartStyle("keys", "pad", (48, 89, 19, 52), ("pad_sustain",), 0.15, 0.35),
        ),
        keys_patterns=("block_half",),
        section_changes=(("fill", 0.5), ("lift", 0.2), ("none", 0.3)),
        velocity=0.95,
        humanize_ms=3.0,
        reverb=0.05,
        start_crash=0.8,
        four_on_floor_pattern="metal_double",
        drum_level=0.55,
        double_guitars=True,
        lift="ride",
        grooves={"halftime": "metal_halftime", "breakbeat": "metal_thrash"},
        chord_patterns={29: ("metal_riff",), 30: ("metal_riff",), 27: ("clean_arpeggio",), 26: ("clean_arpeggio",)},
        keyword_overrides={
            "guitar": ("chords", (30, 29), "metal_riff"), "electric guitar": ("chords", (30, 29), "metal_riff"),
            "distorted guitar": ("chords", (30, 29), "metal_riff"),
            "overdriven guitar": ("chords", (29,), "metal_riff"),
            "lead guitar": ("lead", (30, 29), "metal_lead"), "solo": ("lead", (30, 29), "metal_lead"),
            "lead synth": ("lead", (30, 29), "metal_lead"), "bass": ("bass", (33, 34), "riff_bass"),
            "fretless bass": ("bass", (35,), "riff_bass"), "clean guitar": ("chords", (27,), "clean_arpeggio"),
            "acoustic guitar": ("chords", (25,), "strum"), "keys": ("pad", (48, 89), "pad_sustain"),
            "synth": ("pad", (89, 90, 81), "pad_sustain"), "organ": ("pad", (19, 16), "pad_sustain"),
            "church organ": ("pad", (19,), "pad_sustain"), "strings": ("pad", (48, 49), "legato"),
            "violin": ("lead", (40,), "metal_lead"), "choir": ("pad", (52, 53), "pad_sustain"),
            "piano": ("chords", (0,), "pop_arpeggio"), "harpsichord": ("arp", (6,), "harp_arp"),
        },
    ),
    "Reggae": GenreStyle(
        name="Reggae",
        vocal_probability=0.75,
        vocal_programs=(54, 85, 53),
        vocal_register=64,
        tempo_range=(60.0, 90.0),
        swing_range=(0.0, 0.2),
        swing_unit=2,
        shuffle_unit=2,
        minor_probability=0.45,
        major_mode="major",
        minor_mode="minor",
        key_weights=_key_weights(A=2, G=2, C=1.8, D=1.8, E=1.5, F=1.5, Bb=1.3, B=1.0),
        drum_kits=(0, 8),
        acoustic_kits=0.5,
        drum_patterns=("one_drop", "one_drop_hats", "one_drop_rim", "rockers", "steppers"),
        sparse_drum_patterns=("one_drop", "one_drop_rim"),
        pattern_words=((r"one[- ]drop", ("one_drop", "one_drop_hats", "one_drop_rim")),
                       (r"steppers?|militant|marching", ("steppers",)), (r"rockers", ("rockers",))),
        progressions={
            "major": ((("I", "IV"), 8), (("I", "IV", "V", "IV"), 4), (("I", "vi", "IV", "V"), 4), (("I", "IV"), 4),
                      (("IV", "V", "I", "I"), 4), (("I", "ii", "IV", "I"), 4)),
            "minor": ((("i", "iv"), 8), (("i", "bVII"), 8), (("i", "bVI", "bVII", "i"), 4), (("i7", "iv7"), 8),
                      (("i", "bIII", "bVII", "iv"), 4)),
        },
        parts=(
            PartStyle("bass", "bass", (33, 34, 32), ("reggae_1", "reggae_2", "reggae_3"), 1.0, 0.95),
            PartStyle("skank guitar", "chords", (28, 27), ("skank", "skank_double"), 1.0, 0.75),
            PartStyle("organ bubble", "chords", (16, 17), ("bubble",), 0.75, 0.55),
            PartStyle("piano", "chords", (0, 1), ("skank",), 0.35, 0.55),
            PartStyle("melodica", "lead", (22, 21), ("reggae_lead",), 0.4, 0.5),
            PartStyle("horns", "stabs", (61, 56, 57), ("stabs",), 0.2, 0.45),
        ),
        keys_patterns=("skank", "bubble"),
        section_changes=(("fill", 0.35), ("enter", 0.2), ("none", 0.45)),
        percussion=(("congas", 0.2), ("shaker", 0.15)),
        velocity=0.82,
        humanize_ms=7.0,
        reverb=0.14,
        start_crash=0.0,
        four_on_floor_pattern="steppers",
        lift="none",
        grooves={"halftime": "one_drop"},
        chord_patterns={**{p: ("skank", "skank_double") for p in (27, 28)}, 16: ("bubble",), 17: ("bubble",),
                        18: ("bubble",), **{p: ("skank",) for p in (0, 1, 4, 5, 7, 24, 25, 26)}},
        keyword_overrides={
            "guitar": ("chords", (28, 27), "skank"), "electric guitar": ("chords", (28, 27), "skank"),
            "clean guitar": ("chords", (27,), "skank"), "muted guitar": ("chords", (28,), "skank"),
            "acoustic guitar": ("chords", (25,), "skank"), "distorted guitar": ("chords", (28, 27), "skank"),
            "overdriven guitar": ("chords", (29,), "skank"), "lead guitar": ("lead", (27, 26), "reggae_lead"),
            "organ": ("chords", (16, 17), "bubble"), "keys": ("chords", (16, 0, 4), "bubble"),
            "piano": ("chords", (0, 1), "skank"), "electric piano": ("chords", (4, 5), "skank"),
            "clavinet": ("chords", (7,), "skank"), "bass": (None, (33, 34, 32), None),
            "synth bass": ("bass", (38, 39), "reggae_1"), "harmonica": ("lead", (22,), "reggae_lead"),
            "melodica": ("lead", (22,), "reggae_lead"), "accordion": ("lead", (21,), "reggae_lead"),
            "horns": ("stabs", (61, 56, 57), "stabs"), "horn section": ("stabs", (61,), "stabs"),
            "brass": ("stabs", (61, 56), "stabs"), "trumpet": ("lead", (56,), "reggae_lead"),
            "saxophone": ("lead", (66, 65), "reggae_lead"), "trombone": ("lead", (57,), "reggae_lead"),
            "flute": ("lead", (73,), "reggae_lead"), "solo": ("lead", (22, 66, 56), "reggae_lead"),
            "lead synth": ("lead", (80, 22), "reggae_lead"), "synth": ("pad", (89, 90), "pad_sustain"),
            "strings": ("pad", (48, 49), "pad_sustain"), "stabs": ("stabs", (61,), "stabs"),
        },
    ),
})

#: the fields a Rock clip takes from Metal when it is drawn as metal (everything that makes the riff,
#: the grooves, the harmony and the sound; the label, the vocals and the lift stay Rock's)
_METAL_FIELDS = ("tempo_range", "minor_probability", "major_mode", "minor_mode", "key_weights", "acoustic_kits",
                 "drum_patterns", "sparse_drum_patterns", "pattern_words", "progressions", "parts", "keys_patterns",
                 "section_changes", "velocity", "humanize_ms", "reverb", "start_crash", "four_on_floor_pattern",
                 "drum_level", "grooves", "chord_patterns", "keyword_overrides")
#: Rock's sub-styles (the generator's ``metal_in_rock`` option): most genre taxonomies file heavy
#: metal, thrash and their kin under rock (FMA's Rock holds Metal; AllMusic's Pop/Rock holds Heavy
#: Metal), and so do free "rock" recordings. A description that names metal words plays metal; one
#: that names neither sub-style is drawn as metal with the variant's weight.
ROCK_VARIANTS = (
    StyleVariant("rock", 0.7, {}, words=(r"classic rock", r"indie", r"garage", r"punk\w*", r"blues\w*", r"folk\w*",
                                         r"jangl\w*", r"britpop", r"surf", r"rock ?'?n'? ?roll", r"ballads?",
                                         r"acoustic", r"clean", r"dreamy", r"mellow", r"gentle", r"soft",
                                         r"country", r"pop\w*", r"funk\w*", r"psychedelic")),
    StyleVariant("metal", 0.3, {**{f: getattr(GENRE_STYLES["Metal"], f) for f in _METAL_FIELDS}, "production": "Metal"},
                 words=(r"metal\w*", r"thrash\w*", r"double[- ](?:kick|bass)\w*", r"blast[- ]?beats?", r"gallop\w*",
                        r"djent\w*", r"chug\w*", r"headbang\w*", r"shred\w*", r"breakdowns?", r"machine[- ]gun")),
)
GENRE_STYLES["Rock"] = dataclasses.replace(GENRE_STYLES["Rock"], variants=ROCK_VARIANTS)
#: genres whose sub-styles the generator draws only when an option asks (genre -> option name)
OPTIONAL_VARIANTS = {"Rock": "metal_in_rock"}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_LOOKUP: dict[str, str] = {}
for _name, _style in GENRE_STYLES.items():
    for _alias in (_name, *_style.aliases):
        _LOOKUP[_norm(_alias)] = _name


def known_genres() -> tuple[str, ...]:
    """The genres the symbolic generator makes, sorted."""
    return tuple(sorted(GENRE_STYLES))


def genre_style(genre: str) -> GenreStyle:
    """The style of ``genre``, matched without case, spaces or hyphens (``hip hop`` is Hiphop).

    Raises ``ValueError`` naming the genre and listing the known ones.
    """
    name = _LOOKUP.get(_norm(genre))
    if name is None:
        aliases = [a for s in GENRE_STYLES.values() for a in s.aliases]
        raise ValueError(f"unknown genre {genre!r} for the symbolic generator; it makes: "
                         f"{', '.join(known_genres())} (any case; also {', '.join(aliases)})")
    return GENRE_STYLES[name]


def style_for(genre: str, variant: str = "") -> GenreStyle:
    """The style an arrangement was made with: ``genre``'s style with its ``variant`` applied."""
    return genre_style(genre).variant(variant)
