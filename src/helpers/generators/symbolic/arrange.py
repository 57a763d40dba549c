"""Arrangement: genre style + description + seed -> an :class:`Arrangement` (the plan of a clip)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .describe import DescriptionHints, parse_description
from .patterns import _PATTERN_KIND, DRUM_KITS
from .soundfonts import SoundFontSet, resolve_soundfonts, soundfont_set
from .styles import OPTIONAL_VARIANTS, GenreStyle, genre_style
from .theory import MODE_SCALES, NOTE_NAMES, Chord, parse_roman, tonal_chord, tonal_progressions

_ROLE_REGISTER = {"vocal": 65, "bass": 38, "chords": 60, "pad": 60, "lead": 72, "arp": 67, "stabs": 68, "counter": 55,
                  "timpani": 45, "bells": 84, "fill": 64, "steel": 67}
_PROGRAM_REGISTER = {
    # bass role
    ("bass", 43): 40, ("bass", 42): 45, ("bass", 58): 40, ("bass", 32): 38, ("bass", 38): 36, ("bass", 39): 36,
    # leads and lines
    ("lead", 40): 74, ("lead", 73): 79, ("lead", 72): 84, ("lead", 68): 74, ("lead", 71): 67, ("lead", 60): 62,
    ("lead", 56): 70, ("lead", 59): 70, ("lead", 69): 67, ("lead", 65): 70, ("lead", 66): 62, ("lead", 64): 74,
    ("lead", 67): 55, ("lead", 29): 67, ("lead", 30): 67, ("lead", 54): 70, ("lead", 85): 70, ("lead", 22): 72,
    ("lead", 104): 67, ("lead", 75): 76, ("lead", 74): 76, ("lead", 11): 72,
    ("counter", 42): 52, ("counter", 41): 60, ("counter", 70): 50, ("counter", 57): 52, ("counter", 58): 43,
    ("counter", 60): 60, ("counter", 71): 64, ("counter", 73): 76, ("counter", 68): 70,
    ("chords", 57): 55, ("chords", 60): 57, ("chords", 61): 60, ("chords", 11): 67, ("chords", 45): 60,
    ("arp", 46): 62, ("arp", 12): 67, ("arp", 108): 67, ("arp", 24): 57,
    ("bells", 9): 84, ("bells", 8): 79, ("bells", 14): 67, ("bells", 11): 74, ("bells", 10): 79,
    ("bells", 13): 79, ("bells", 114): 72,
    # the GTZAN genres' parts
    ("arp", 0): 55, ("arp", 40): 64, ("arp", 6): 60, ("arp", 71): 60, ("arp", 105): 62, ("bass", 70): 45,
    ("counter", 69): 64, ("lead", 110): 74, ("lead", 21): 70, ("lead", 57): 60, ("lead", 26): 67, ("lead", 27): 67,
}
#: register by pattern, where no (role, program) entry gives one: skanks sit high, Alberti basses low
_PATTERN_REGISTER = {"skank": 67, "skank_double": 67, "bubble": 62, "chick": 62, "alberti": 55, "banjo_roll": 62,
                     "jazz_comp": 62, "boogie_dyads": 48, "muted_16": 64}

_SUSTAINED_PROGRAMS = frozenset(list(range(40, 45)) + list(range(48, 55)) + list(range(88, 96)) + [19, 20, 21])
_BRASS_PROGRAMS = frozenset(range(56, 64))
_KEYS_PROGRAMS = frozenset(list(range(0, 8)) + list(range(16, 19)) + [11, 12, 21])


@dataclass
class Part:
    """One instrument of an arrangement (one MIDI channel)."""

    name: str
    role: str
    program: int
    pattern: str
    level: float
    register: int
    voicing: str = "close"
    pump: bool = False
    enters_bar: int = 0
    forced: bool = False
    keyword: str = ""
    max_notes: int = 4
    double: bool = False              # played twice (double-tracked), the second take by double_program
    double_program: int | None = None
    soundfont: str = ""               # the SoundFont this part is played through ("": the clip's)

    @property
    def instrument(self) -> str:
        """General MIDI instrument name of :attr:`program`."""
        return _program_name(self.program)


@dataclass
class Arrangement:
    """A complete plan for one clip; :func:`to_midi` performs it."""

    genre: str
    description: str
    seed: int
    tempo: float
    key: int
    mode: str
    progression: tuple[Chord, ...]
    beats_per_chord: int
    parts: list[Part]
    drum_kit: int | None
    drum_pattern: str | None
    percussion: tuple[str, ...]
    drum_level: float
    swing: float
    swing_unit: int
    section_change: str
    change_bar: int
    fill: str
    start_crash: bool
    energy: float
    density: float
    epic: bool
    calm: bool
    pumping: float
    reverb: float
    lofi: bool
    soundfont: str
    keywords: tuple[str, ...] = ()
    drum_soundfont: str = ""          # the drum kit's SoundFont ("": the clip's)
    variant: str = ""                 # the genre's sub-style (GenreStyle.variants), "" for none

    @property
    def scale(self) -> tuple[int, ...]:
        """Scale degrees of :attr:`mode`."""
        return MODE_SCALES[self.mode]

    @property
    def key_name(self) -> str:
        """e.g. ``"A minor"`` or ``"D dorian"``."""
        return f"{NOTE_NAMES[self.key]} {self.mode}"

    def summary(self) -> dict[str, Any]:
        """JSON-ready description of the arrangement, for manifests and notebooks."""
        return {
            "genre": self.genre,
            "variant": self.variant or None,
            "description": self.description,
            "seed": int(self.seed),
            "tempo_bpm": float(self.tempo),
            "key": NOTE_NAMES[self.key],
            "mode": self.mode,
            "key_name": self.key_name,
            "progression": [c.name(self.key) for c in self.progression],
            "progression_roman": [c.symbol for c in self.progression],
            "beats_per_chord": int(self.beats_per_chord),
            "drum_kit": None if self.drum_kit is None else DRUM_KITS.get(self.drum_kit, str(self.drum_kit)),
            "drum_kit_program": self.drum_kit,
            "drum_pattern": self.drum_pattern,
            "percussion": list(self.percussion),
            "swing": round(float(self.swing), 3),
            "swing_unit": "8th" if self.swing_unit == 2 else "16th",
            "parts": [
                {"name": p.name, "role": p.role, "program": int(p.program), "instrument": p.instrument,
                 "pattern": p.pattern, "level": round(float(p.level), 3), "forced": bool(p.forced),
                 "enters_bar": int(p.enters_bar), "double": bool(p.double),
                 "soundfont": os.path.basename(p.soundfont or self.soundfont)}
                for p in self.parts
            ],
            "section_change": self.section_change,
            "change_bar": int(self.change_bar),
            "energy": round(float(self.energy), 3),
            "density": round(float(self.density), 3),
            "pumping": round(float(self.pumping), 3),
            "reverb": round(float(self.reverb), 3),
            "lofi": bool(self.lofi),
            "soundfont": os.path.basename(self.soundfont),
            "drum_soundfont": os.path.basename(self.drum_soundfont or self.soundfont) if self.drum_kit is not None
            else None,
            "keywords": list(self.keywords),
        }


def _program_name(program: int) -> str:
    import pretty_midi

    return pretty_midi.program_to_instrument_name(int(program))


def _genre_style(genre: str) -> GenreStyle:
    return genre_style(genre)


def _norm_seed(seed: int) -> int:
    return int(seed) % (2 ** 64)


# sub-streams of a request's seed
_STREAM_PERFORMANCE = 1
_STREAM_EFFECTS = 2
_STREAM_FONTS = 3
_STREAM_VOCALS = 4
_STREAM_RIFF = 5
_STREAM_SPREAD = 6
_STREAM_VARIANT = 6
_STREAM_MODES = 7
_STREAM_TEXTURE = 8
_STREAM_PART = 100


def _rng(seed: int, stream: int | None = None) -> np.random.Generator:
    """``default_rng(seed)``, or a fixed sub-stream of it."""
    s = _norm_seed(seed)
    return np.random.default_rng(s if stream is None else [s, stream])


def _choice(rng: np.random.Generator, options: Sequence[Any], weights: Sequence[float] | None = None) -> Any:
    """Pick one item; always draws exactly one uniform number."""
    u = rng.random()
    if weights is None:
        return options[min(int(u * len(options)), len(options) - 1)]
    w = np.asarray(weights, dtype=float)
    cdf = np.cumsum(w / w.sum())
    return options[min(int(np.searchsorted(cdf, u, side="right")), len(options) - 1)]


def _register_for(role: str, program: int, pattern: str = "") -> int:
    if (role, program) in _PROGRAM_REGISTER:
        return _PROGRAM_REGISTER[(role, program)]
    return _PATTERN_REGISTER.get(pattern, _ROLE_REGISTER.get(role, 60))


def _voicing_for(pattern: str, role: str, style: GenreStyle, rng: np.random.Generator) -> str:
    if pattern.startswith("power"):
        return "power"
    if pattern == "strum":
        return "guitar"
    if pattern.startswith("funk_scratch"):
        return "shell"
    if style.expressive and role in ("pad", "chords") and pattern in ("legato", "brass_swell", "pad_sustain"):
        return "spread"
    if pattern == "jazz_comp":
        return "rootless"
    if pattern in ("metal_riff", "boogie_dyads"):
        return "power"
    if pattern in _PATTERN_REGISTER:
        return "close"
    return "open" if rng.random() < 0.35 else "close"


def _pattern_for(role: str, program: int, style: GenreStyle, rng: np.random.Generator) -> str:
    """A pattern that suits ``program`` playing ``role`` in ``style``."""
    u = rng.random()

    def pick(options: Sequence[str]) -> str:
        return options[min(int(u * len(options)), len(options) - 1)]

    if role == "bass":
        for ps in style.parts:
            if ps.role == "bass":
                return pick(ps.patterns)
        return "root_quarters"
    if role == "chords":
        if program in style.chord_patterns:
            return pick(style.chord_patterns[program])
        if program in (29, 30):
            return pick(("power_8ths", "power_synco", "power_sustain"))
        if program in (24, 25, 105):
            return "strum"
        if program in (7, 28):
            return pick(("funk_scratch", "funk_scratch2")) if style.name == "Funk" else "offbeat_comp"
        if program == 45:
            return "pizz_8ths"
        if program in _BRASS_PROGRAMS:
            return "brass_swell" if style.expressive else "stabs"
        if program in _SUSTAINED_PROGRAMS:
            return "pad_sustain"
        if program in (26, 27):
            return pick(("funk_scratch", "offbeat_comp")) if style.name == "Funk" else "clean_arpeggio"
        return pick(style.keys_patterns)
    if role == "pad":
        return "legato" if style.expressive else "pad_sustain"
    if role == "lead":
        for ps in style.parts:
            if ps.role == "lead":
                return pick(ps.patterns)
        return "pop_melody"
    if role == "arp":
        if program in (46, 12, 108, 24, 11):
            return "harp_arp"
        return pick(("arp_up", "arp_updown", "arp_random"))
    if role == "stabs":
        return "brass_swell" if style.expressive else ("house_stabs" if style.name == "Electronica" else "stabs")
    if role == "counter":
        return "counter_line"
    if role == "timpani":
        return pick(("timp_hits", "timp_roll"))
    if role == "bells":
        return "bells_8ths"
    for ps in style.parts:  # the genre's own roles (guitar fills, pedal steel)
        if ps.role == role:
            return pick(ps.patterns)
    return {"fill": "blues_fill", "steel": "steel_swell"}.get(role, "block_half")


def _groove_pattern(style: GenreStyle, groove: str | None) -> str | None:
    """The genre's drum pattern for a groove word of the description (``None``: no preference)."""
    if groove is None or not style.drum_kits:
        return None
    if groove in style.grooves:
        return style.grooves[groove]
    if groove in ("four_on_floor", "techno"):
        return style.four_on_floor_pattern
    return None


def _worded_patterns(style: GenreStyle, text: str) -> tuple[str, ...]:
    """The drum patterns a description names in the genre's own words ("one drop", "blast beats")."""
    out: list[str] = []
    for regex, patterns in style.pattern_words:
        if re.search(r"\b(?:" + regex + r")\b", text, re.I):
            out.extend(p for p in patterns if p not in out)
    return tuple(out)


def _variant(style: GenreStyle, text: str, seed: int) -> str:
    """The genre's sub-style: the one whose words the description uses most, else drawn by weight."""
    if not style.variants:
        return ""
    scores = [sum(len(re.findall(r"\b(?:" + w + r")\b", text, re.I)) for w in v.words) for v in style.variants]
    if max(scores) > 0:
        return style.variants[int(np.argmax(scores))].name
    return str(_choice(_rng(seed, _STREAM_VARIANT), [v.name for v in style.variants],
                       [v.weight for v in style.variants]))


#: tempo_spread "wide": each genre's range stretched (x 0.7 below, x 1.3 above) within what tempo
#: benchmarks cover (Ballroom, GTZAN, GiantSteps: about 60-200 BPM)
WIDE_TEMPO = (0.7, 1.3, 60.0, 200.0)


def wide_tempo_range(style: GenreStyle) -> tuple[float, float]:
    lo, hi = style.tempo_range
    a, b, floor, ceiling = WIDE_TEMPO
    return max(floor, lo * a), min(ceiling, hi * b)


def _tempo(style: GenreStyle, hints: DescriptionHints, rng: np.random.Generator,
           tempo_range: tuple[float, float] | None = None) -> float:
    lo, hi = tempo_range or style.tempo_range
    window = hints.tempo_window or ((0.3, 1.0) if hints.energy > 1.05 and not hints.calm else (0.0, 1.0))
    u = rng.uniform(*window)
    if hints.bpm is not None:
        return float(hints.bpm)
    return float(np.clip(round(lo + u * (hi - lo)), 40, 240))


#: the values of :func:`arrange`'s choice options (the generator checks its options against them too)
OPTION_VALUES = {"soundfont_per": ("clip", "part"), "tempo_spread": ("style", "wide"),
                 "key_spread": ("style", "uniform"), "key_modes": ("style", "tonal", "mixed"),
                 "texture": ("full", "solo", "mixed")}


def check_option(name: str, value, what: str = "") -> None:
    """``ValueError`` unless ``value`` is one of :data:`OPTION_VALUES` ``[name]`` (``what`` prefixes the message)."""
    allowed = OPTION_VALUES[name]
    if value not in allowed:
        raise ValueError(f"{what}{name} must be {' or '.join(map(repr, allowed))}, got {value!r}")


def arrange(genre: str, description: str | None, seed: int, *, soundfonts: Sequence[str] | None = None,
            duration_s: float = 10.0, soundfont_per: str = "clip", vocals: bool = False,
            double_guitars: bool = False, metal_in_rock: bool = False, tempo_spread: str = "style",
            key_spread: str = "style", key_modes: str = "style", texture: str = "full") -> Arrangement:
    """Plan a clip of ``genre`` following ``description``, with choices drawn from ``seed``.

    Args:
        soundfonts: the SoundFonts to draw from (default: every one
            :func:`soundfonts.find_soundfonts` sees); General MIDI sets play
            the parts, acoustic drum kits (AVL) may play an acoustic kit's part
            in the genres whose style allows it (``GenreStyle.acoustic_kits``).
        duration_s: places the section change.
        soundfont_per: ``"clip"`` (one General MIDI set for all parts) or
            ``"part"`` (each part, and the drums, draw their own).
        vocals: add a vocal-like lead line (voice patches, sung phrasing, vibrato)
            with the genre's probability (most real pop and rock has vocals).
        double_guitars: double-track the rhythm guitar of Rock and Metal (the wall of guitars).
        metal_in_rock: draw Rock's sub-styles (:data:`styles.ROCK_VARIANTS`): a Rock clip plays
            metal when its description names metal words, and with the variant's weight otherwise.
            Off, Rock has no sub-styles.
        tempo_spread: ``"style"`` (the genre's own range) or ``"wide"`` (:func:`wide_tempo_range`,
            drawn from a sub-stream of the seed), for tempo training data.
        key_spread: ``"style"`` (the genre's key weights and minor share) or ``"uniform"`` (all 24
            keys equally likely, from a sub-stream of the seed), for key training data.
        key_modes: ``"style"`` (the genre's modes and progressions: mixolydian rock and funk,
            dorian funk, ``bVII`` chords) or ``"tonal"`` (major and minor keys as key benchmarks
            label them: ionian and aeolian lines, and the genre's progressions kept to tonal
            harmony by :func:`theory.tonal_progressions`; a family left with none plays its tonic
            chord) or ``"mixed"`` (each clip one or the other, even odds from a sub-stream of the
            seed: a clip is then exactly its ``style`` or its ``tonal`` twin), for key training data.
        texture: ``"full"`` (the genre's band), ``"solo"`` (its melody alone: the vocal line, else
            the lead, else a lead the genre's lead part would have played; no drums, no other part,
            no section change) or ``"mixed"`` (each clip one or the other, even odds from a
            sub-stream of the seed: a solo clip is the melody of its full twin), for key training
            data that has heard a tune without its accompaniment.
        A key or tempo the description names ("in F# minor", "at 128 BPM") wins over both.
    Raises ``ValueError`` for an unknown genre or option.
    """
    for name, value in (("soundfont_per", soundfont_per), ("tempo_spread", tempo_spread),
                        ("key_spread", key_spread), ("key_modes", key_modes), ("texture", texture)):
        check_option(name, value)
    if key_modes == "mixed":
        key_modes = "tonal" if _rng(seed, _STREAM_MODES).random() < 0.5 else "style"
    if texture == "mixed":
        texture = "solo" if _rng(seed, _STREAM_TEXTURE).random() < 0.5 else "full"
    style = _genre_style(genre)
    optional = {"metal_in_rock": metal_in_rock}
    drawn = OPTIONAL_VARIANTS.get(style.name) is None or optional[OPTIONAL_VARIANTS[style.name]]
    variant = _variant(style, description or "", seed) if drawn else ""
    style = style.variant(variant)
    hints = parse_description(description)
    fset = soundfont_set(resolve_soundfonts("auto" if soundfonts is None else soundfonts))
    rng = _rng(seed)

    soundfont = _choice(rng, list(fset.gm))
    minor_draw = rng.random()
    mode_family = hints.mode or ("minor" if minor_draw < style.minor_probability else "major")
    mode = style.minor_mode if mode_family == "minor" else style.major_mode
    key = int(_choice(rng, list(range(12)), style.key_weights))
    tempo = _tempo(style, hints, rng)
    # the spreads draw from their own sub-stream: the main stream (and so every other choice) is unchanged
    spread = _rng(seed, _STREAM_SPREAD)
    if key_spread == "uniform":
        k24 = int(spread.integers(24))
        key = k24 % 12
        if hints.mode is None:
            mode_family = "minor" if k24 >= 12 else "major"
            mode = style.minor_mode if mode_family == "minor" else style.major_mode
    if tempo_spread == "wide":
        tempo = _tempo(style, hints, spread, wide_tempo_range(style))
    if hints.key is not None:
        key = int(hints.key)
    if key_modes == "tonal":
        mode = mode_family
        pool = tonal_progressions(style.progressions[mode_family], mode_family) or [
            ((tonal_chord(parse_roman("I" if mode_family == "major" else "i"), mode_family),), 4)]
        progression, beats_per_chord = _choice(rng, pool)
    else:
        tokens, beats_per_chord = _choice(rng, style.progressions[mode_family])
        progression = tuple(parse_roman(t) for t in tokens)
    swing_draw = rng.random()
    lo_sw, hi_sw = style.swing_range
    swing, swing_unit = lo_sw + swing_draw * (hi_sw - lo_sw), style.swing_unit
    if hints.swing and style.shuffle_unit is not None:
        # a shuffle: swung 8ths in rock/pop (and the swinging genres), hard-swung 16ths in funk and electronica
        swing_unit = style.shuffle_unit
        swing = 0.28 + 0.08 * swing_draw
    elif hints.calm and style.swing_unit == 1:  # a calm shuffle or jazz still swings
        swing *= 0.5

    # drums
    kit_draw = rng.random()
    pattern_draw = rng.random()
    drum_kit: int | None = None
    drum_pattern: str | None = None
    wants_drums = hints.drums in ("kit", "live", "machine", "808", "brushes") or bool(
        style.name == "Orchestral" and "percussion" in hints.percussion)
    if hints.drums != "none" and (style.drum_kits or wants_drums):
        if hints.drums == "808":
            drum_kit = 25
        elif hints.drums == "machine":
            drum_kit = (24, 25)[int(kit_draw * 2)]
        elif hints.drums == "brushes":
            drum_kit = 40
        elif hints.drums == "live" and style.name == "Electronica":
            drum_kit = (0, 8)[int(kit_draw * 2)]
        elif style.drum_kits:
            drum_kit = style.drum_kits[min(int(kit_draw * len(style.drum_kits)), len(style.drum_kits) - 1)]
        else:
            drum_kit = 48
        groove = _groove_pattern(style, hints.drum_pattern)
        worded = _worded_patterns(style, description or "")
        if worded:
            drum_pattern = worded[min(int(pattern_draw * len(worded)), len(worded) - 1)]
        elif groove:
            drum_pattern = groove
        else:
            pool = style.sparse_drum_patterns if hints.calm else style.drum_patterns
            if hints.tempo_window and hints.tempo_window[1] <= 0.35 and not hints.calm:
                pool = style.sparse_drum_patterns + style.drum_patterns[:1]
            elif hints.energy > 1.05 or (hints.tempo_window and hints.tempo_window[0] >= 0.6):
                pool = tuple(p for p in pool if p not in style.sparse_drum_patterns) or pool
            drum_pattern = pool[min(int(pattern_draw * len(pool)), len(pool) - 1)]
    drum_level = float(0.85 * rng.uniform(0.88, 1.1)) * style.drum_level

    percussion: list[str] = []
    for name, p in style.percussion:
        if rng.random() < p * hints.density and drum_kit is not None:
            percussion.append(name)
    if drum_kit is not None:
        for name in hints.percussion:
            if name == "percussion":
                name = "congas" if style.name != "Orchestral" else ""
            if name and name not in percussion:
                percussion.append(name)

    # parts
    parts: list[Part] = []
    density = hints.density
    for ps in style.parts:
        draw = rng.random()
        pick = min(int(rng.random() * len(ps.programs)), len(ps.programs) - 1)
        used = {q.program for q in parts}
        options = [ps.programs[(pick + k) % len(ps.programs)] for k in range(len(ps.programs))]
        program = next((prog for prog in options if prog not in used), options[0])  # no doubled instrument
        pattern = ps.patterns[min(int(rng.random() * len(ps.patterns)), len(ps.patterns) - 1)]
        level = ps.level * float(rng.uniform(0.85, 1.12))
        voicing = _voicing_for(pattern, ps.role, style, rng)
        p = ps.probability
        if ps.probability < 1.0:
            p = ps.probability * density
            if hints.epic and (ps.role in ("timpani",) or (ps.role == "chords" and style.expressive)):
                p = 1.0
        if draw >= p:
            continue
        if any(program // 8 == hp // 8 for h in hints.excluded for hp in h.programs):
            continue  # "without piano" / "no guitars": leave out the whole GM family
        parts.append(Part(name=ps.name, role=ps.role, program=program, pattern=pattern, level=level,
                          register=_register_for(ps.role, program, pattern), voicing=voicing, pump=ps.pump))

    # forced instruments from the description
    for hint in hints.instruments:
        role, programs, pattern = hint.role, hint.programs, None
        override = style.keyword_overrides.get(hint.keyword)
        if override:
            role = override[0] or role
            programs = override[1] or programs
            pattern = override[2]
        if not programs or hint.keyword in _DESCRIPTIVE_KEYWORDS:
            # "melody", "solo", "arpeggios", "stabs": a job more than an instrument; an existing part does it
            existing = [q for q in parts if q.role == role]
            if existing:
                existing[0].forced, existing[0].keyword = True, existing[0].keyword or hint.keyword
                continue
            if not programs:
                templates = [ps for ps in style.parts if ps.role == role]
                programs = templates[0].programs if templates else (80, 81)
        program = programs[min(int(rng.random() * len(programs)), len(programs) - 1)]
        if role == "bass" and hint.keyword in _KEYWORD_BASS_PATTERNS:
            pattern = _KEYWORD_BASS_PATTERNS[hint.keyword]
        elif pattern is None:
            pattern = _pattern_for(role, program, style, rng)
        voicing = _voicing_for(pattern, role, style, rng)
        level = float(np.clip(0.7 * rng.uniform(0.95, 1.1), 0.0, 1.0))
        same = [q for q in parts if q.program == program and q.role == role]
        if same:
            same[0].forced, same[0].keyword = True, hint.keyword
            same[0].level = max(same[0].level, level)
            continue
        new = Part(name=hint.keyword, role=role, program=program, pattern=pattern, level=level,
                   register=_register_for(role, program, pattern), voicing=voicing, forced=True, keyword=hint.keyword,
                   pump=bool(style.pumping[1] > 0 and role in ("pad", "chords", "arp")))
        # a named instrument takes the place of the genre's default of the same job
        replace = [j for j, q in enumerate(parts) if q.role == role and not q.forced and
                   (role in _REPLACED_ROLES or _family(q.program) == _family(program))]
        if replace:
            old = parts[replace[0]]
            if role == "bass" and hint.keyword not in _KEYWORD_BASS_PATTERNS and _bass_pattern_ok(old.pattern, program):
                new.pattern = old.pattern
                new.register = _register_for(role, program, new.pattern)
            new.pump = old.pump
            parts[replace[0]] = new
            continue
        if role == "lead" and any(q.role == "lead" for q in parts):
            new.role, new.pattern, new.register = "counter", "counter_line", _register_for("counter", program)
            new.voicing = "close"
        parts.append(new)

    if style.name == "Orchestral" and "percussion" in hints.percussion and not any(
            q.role == "timpani" for q in parts):
        parts.append(Part(name="percussion", role="timpani", program=47, pattern="timp_hits", level=0.65,
                          register=_register_for("timpani", 47), forced=True, keyword="percussion"))

    # keep at most 8 melodic parts: drop optional (non-forced) parts from the end
    while len(parts) > 8:
        drop = [j for j, q in enumerate(parts) if not q.forced and q.role not in ("bass",)]
        if not drop:
            break
        parts.pop(drop[-1])
    if not any(q.role in ("chords", "pad", "stabs", "arp") for q in parts):
        # every clip needs harmony: fall back to the genre's first harmony part, avoiding excluded programs
        banned = {prog for h in hints.excluded for prog in h.programs}
        for ps in style.parts:
            allowed = [prog for prog in ps.programs if prog not in banned]
            if ps.role in ("chords", "pad") and allowed:
                parts.insert(0, Part(name=ps.name, role=ps.role, program=allowed[0], pattern=ps.patterns[0],
                                     level=ps.level, register=_register_for(ps.role, allowed[0], ps.patterns[0]),
                                     voicing=_voicing_for(ps.patterns[0], ps.role, style, rng)))
                break
        else:
            parts.insert(0, Part(name="pad", role="pad", program=89, pattern="pad_sustain", level=0.6,
                                 register=_register_for("pad", 89), voicing="close"))

    # many sustained layers: thin the extra ones to three-note close voicings (polyphony budget)
    sustained = [q for q in parts if _PATTERN_KIND.get(q.pattern) == "sustain"]
    for q in sustained[2:]:
        q.max_notes = 3
        q.voicing = "close"

    if vocals:
        _add_vocals(parts, style, hints, seed)
    if double_guitars and style.double_guitars:
        for q in parts:
            if q.role == "chords" and q.program in (29, 30) and not q.double:
                q.double = True
                q.double_program = (29, 30)[int(_rng(seed, _STREAM_VOCALS + 1).integers(2))]
                break
    if texture == "solo":
        parts = [_solo_line(parts, style, seed)]
        drum_kit, percussion = None, []
    drum_soundfont = _choose_fonts(parts, fset, soundfont, soundfont_per, style, seed, drum_kit)

    # section change
    change_options = style.section_changes
    if drum_kit is None:
        change_options = tuple((n, w) for n, w in change_options if n not in ("fill", "drop")) or (("none", 1.0),)
    section = _choice(rng, [n for n, _ in change_options], [w for _, w in change_options])
    if texture == "solo":
        section = "none"  # one line: nothing enters, drops or fills
    bar_s = 240.0 / tempo
    change_bar = int(min(4, max(1, int(duration_s / bar_s * 0.6))))
    fill = _choice(rng, ("snare", "toms", "snare_toms"))
    if section == "enter":
        optional = [q for q in parts if q.role in ("lead", "counter", "arp", "bells", "timpani", "fill", "steel")
                    and not q.forced]
        if optional:
            _choice(rng, optional).enters_bar = change_bar
        else:
            section = "none"
    start_crash = bool(rng.random() < style.start_crash)

    pumping = float(rng.uniform(*style.pumping)) if style.pumping[1] > 0 and drum_kit is not None else 0.0
    reverb = style.reverb if hints.reverb is None else hints.reverb
    reverb = float(reverb * (1.3 if hints.calm and hints.reverb is None else 1.0))
    energy = style.velocity * hints.energy

    return Arrangement(
        genre=style.name, description=description or "", seed=int(seed), tempo=tempo, key=key, mode=mode,
        progression=progression, beats_per_chord=int(beats_per_chord), parts=parts, drum_kit=drum_kit,
        drum_pattern=drum_pattern if drum_kit is not None else None, percussion=tuple(percussion),
        drum_level=drum_level, swing=float(swing), swing_unit=swing_unit, section_change=section,
        change_bar=change_bar, fill=fill,
        start_crash=start_crash, energy=float(energy), density=float(density), epic=hints.epic, calm=hints.calm,
        pumping=pumping, reverb=reverb, lofi=hints.lofi, soundfont=str(soundfont), keywords=hints.keywords,
        drum_soundfont=drum_soundfont if drum_kit is not None else "", variant=variant,
    )


#: GM drum kits an acoustic (AVL) kit may stand in for
_ACOUSTIC_KITS = frozenset({0, 8, 16, 32})


def _choose_fonts(parts: list[Part], fset: SoundFontSet, clip_font: str, per: str, style: GenreStyle,
                  seed: int, drum_kit: int | None = None) -> str:
    """Give each part its SoundFont; return the drum kit's. From their own stream, so the rest of
    the arrangement does not depend on which SoundFonts exist. An acoustic (AVL) kit plays, with the
    genre's ``acoustic_kits`` chance, only a part written for an acoustic GM kit (never an 808)."""
    rng = _rng(seed, _STREAM_FONTS)
    gm = list(fset.gm)
    for q in parts:
        q.soundfont = str(_choice(rng, gm)) if per == "part" else clip_font
    drums = str(_choice(rng, gm)) if per == "part" else clip_font
    if fset.kits and style.acoustic_kits > 0 and rng.random() < style.acoustic_kits and (
            drum_kit is None or drum_kit in _ACOUSTIC_KITS):
        drums = str(_choice(rng, list(fset.kits)))
    return drums


def _solo_line(parts: list[Part], style: GenreStyle, seed: int) -> Part:
    """The melody of a ``texture: solo`` clip: the vocal line, else the first lead, else a lead
    drawn (from its own sub-stream) as the genre's first lead part would play it."""
    for role in ("vocal", "lead"):
        for q in parts:
            if q.role == role:
                q.enters_bar = 0
                return q
    rng = _rng(seed, _STREAM_TEXTURE + 1)
    ps = next((ps for ps in style.parts if ps.role == "lead"), None)
    programs, pattern, level = ((ps.programs, ps.patterns[0], ps.level) if ps is not None
                                else ((73, 68, 40), "pop_melody", 0.6))
    program = int(_choice(rng, list(programs)))
    return Part(name=ps.name if ps is not None else "melody", role="lead", program=program, pattern=pattern,
                level=float(level), register=_register_for("lead", program, pattern), voicing="close")


def _add_vocals(parts: list[Part], style: GenreStyle, hints: DescriptionHints, seed: int) -> None:
    """A vocal-like lead with the genre's probability (always when the description names voices);
    it takes the place of an instrumental lead that the description did not ask for."""
    rng = _rng(seed, _STREAM_VOCALS)
    named = any(h.keyword == "choir" for h in hints.instruments) and style.name != "Orchestral"
    if not style.vocal_programs or (rng.random() >= style.vocal_probability and not named):
        return
    program = int(_choice(rng, style.vocal_programs))
    for j in [j for j, q in enumerate(parts) if q.role == "lead" and not q.forced][:1]:
        parts.pop(j)
    parts.append(Part(name="vocal", role="vocal", program=program, pattern=style.vocal_pattern,
                      level=float(0.72 * rng.uniform(0.9, 1.1)), register=style.vocal_register + int(
                          rng.integers(-3, 4)), voicing="close", forced=named, keyword="vocal" if named else ""))


_DESCRIPTIVE_KEYWORDS = frozenset({"melody", "solo", "arpeggio", "sequence", "stabs", "plucks", "pad"})
_KEYWORD_BASS_PATTERNS = {"808": "sustain_808", "acid": "acid"}
_REPLACED_ROLES = frozenset({"bass", "lead", "arp", "timpani", "bells", "stabs", "fill", "steel"})


def _family(program: int) -> str:
    """Coarse instrument family, to decide whether a named instrument replaces a default part."""
    if program in (29, 30):
        return "power guitar"
    if program in (24, 25, 105):
        return "acoustic guitar"
    if 24 <= program <= 31:
        return "guitar"
    if program == 7:
        return "clavinet"
    if 0 <= program <= 6:
        return "keys"
    return f"gm{program // 8}"


def _bass_pattern_ok(pattern: str, program: int) -> bool:
    """Whether a genre bass pattern suits a replacement bass program (slap lines need a slap-capable bass)."""
    if pattern in ("slap_16", "octave_pops"):
        return program in (33, 34, 35, 36, 37, 38, 39, 87)
    return True
