"""Description parsing: instruments, mood, tempo and production words of a prompt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np


@dataclass(frozen=True)
class InstrumentHint:
    """An instrument named in the description: its canonical keyword, role and GM programs."""

    keyword: str
    role: str
    programs: tuple[int, ...]
    text: str = ""


@dataclass(frozen=True)
class DescriptionHints:
    """What :func:`parse_description` understood of a description."""

    instruments: tuple[InstrumentHint, ...] = ()
    excluded: tuple[InstrumentHint, ...] = ()
    mode: str | None = None
    tempo_window: tuple[float, float] | None = None
    bpm: float | None = None
    key: int | None = None            # a tonic the description names ("in F# minor"): pitch class 0-11
    energy: float = 1.0
    density: float = 1.0
    epic: bool = False
    calm: bool = False
    lofi: bool = False
    reverb: float | None = None
    drums: str | None = None
    drum_pattern: str | None = None
    swing: bool = False
    percussion: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


# (regex, canonical keyword, role, GM programs); earlier entries win overlapping text.
# roles: bass, chords, pad, lead, arp, stabs, counter, timpani, bells, steel; "drums"/"perc"/"bass808"
# are special.
_INSTRUMENTS: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    (r"(?:bass|kick)[- ]drums?", "kick drum", "drums", ()),
    (r"drum[- ]machines?|beat[- ]?box(?:es)?|electronic drums|drum[- ]?computer", "drum machine", "drums", ()),
    (r"(?:tr[- ]?)?808s?", "808", "bass808", (38,)),
    (r"electric[- ]pianos?|e[- ]pianos?|rhodes|wurlitzer|wurli", "electric piano", "chords", (4, 5)),
    (r"(?:grand |upright |acoustic |honky[- ]tonk )?pianos?", "piano", "chords", (0, 1)),
    (r"(?:church|pipe|cathedral)[- ]organs?", "church organ", "pad", (19,)),
    (r"(?:hammond|b-?3|electric|rock|drawbar)?[- ]?organs?|hammond", "organ", "chords", (16, 17, 18)),
    (r"clavinets?|clavs?|clavi", "clavinet", "chords", (7,)),
    (r"harpsichords?", "harpsichord", "chords", (6,)),
    (r"synth(?:esizer)?[- ]?bass(?:es|lines?)?|bass[- ]synth(?:s|esizers?)?|sub[- ]?bass(?:es)?|acid[- ]bass(?:lines?)?",
     "synth bass", "bass", (38, 39)),
    (r"slap(?:ped)?[- ]bass(?:es)?", "slap bass", "bass", (36, 37)),
    (r"fretless(?: bass)?", "fretless bass", "bass", (35,)),
    (r"(?:upright|double|acoustic|string)[- ]bass(?:es)?|contrabass(?:es)?|contrabassoon", "double bass", "bass",
     (32,)),
    (r"synth(?:esizer)?[- ]strings?", "synth strings", "pad", (50, 51)),
    (r"synth(?:esizer)?[- ]brass", "synth brass", "stabs", (62, 63)),
    (r"acid(?:[- ]squelch(?:es|y)?)?|squelch(?:es|y)?|tb-?303", "acid", "bass", (38, 87)),
    (r"brassy|big[- ]band", "brass", "stabs", (61,)),
    (r"(?:modular |synth |step )?sequences?|sequencers?|modular", "sequence", "arp", (81, 80)),
    (r"(?:synth(?:esizer)?|chord|brass|horn|stringy?)?[- ]?stabs?|stabbing", "stabs", "stabs", (81, 62)),
    (r"(?:bass )?guitar solos?|lead guitars?|guitar leads?|guitar solo", "lead guitar", "lead", (30, 29)),
    (r"(?:distorted|distortion|heavy|fuzz|fuzzy|metal|buzzsaw|detuned|down-?tuned|chugging|chunky)[- ]guitars?|"
     r"power[- ]chords?|guitar riffs?|riff(?:s|ing)?|distorted|buzzsaw|fuzz|feedback|chugging",
     "distorted guitar", "chords", (30,)),
    (r"(?:overdriven|overdrive|crunchy|crunch|dirty|gritty|bluesy|slide)[- ]guitars?|tube[- ]amp|crunchy",
     "overdriven guitar", "chords", (29,)),
    (r"(?:pedal|lap)[- ]steels?(?:[- ]guitars?)?|steel[- ]guitars?|dobros?|weeping[- ]steel", "pedal steel", "steel",
     (26, 27)),
    (r"(?:acoustic|steel[- ]string|folk|strummed|strumming)[- ]guitars?", "acoustic guitar", "chords", (25,)),
    (r"(?:nylon|classical|spanish|flamenco)(?:[- ]string)?[- ]guitars?", "nylon guitar", "chords", (24,)),
    (r"(?:clean|chorus(?:ed)?|jangly|jangling|chiming|twangy|surf)[- ]guitars?|jangly|twangy", "clean guitar",
     "chords", (27,)),
    (r"jazz[- ]guitars?", "jazz guitar", "chords", (26,)),
    (r"(?:muted|funk|funky|wah(?:[- ]wah)?|chicken[- ]scratch|scratchy)[- ]guitars?", "muted guitar", "chords", (28,)),
    (r"bass[- ]guitars?|electric[- ]bass(?:es)?|bass(?:es|lines?)?|basslines?", "bass", "bass", (33, 34)),
    (r"electric[- ]guitars?", "electric guitar", "chords", (27, 29)),
    (r"guitars?", "guitar", "chords", (27, 25)),
    (r"tremolo[- ]strings?", "tremolo strings", "pad", (44,)),
    (r"pizzicato|pizz", "pizzicato strings", "chords", (45,)),
    (r"string[- ](?:section|ensemble|orchestra|quartet|arrangement|swell|chord|pattern|line|pad|scratche)s?|"
     r"strings", "strings", "pad", (48, 49)),
    (r"violins?|fiddles?", "violin", "lead", (40,)),
    (r"violas?", "viola", "counter", (41,)),
    (r"(?:violon)?cellos?", "cello", "counter", (42,)),
    (r"harps?", "harp", "arp", (46,)),
    (r"piccolos?", "piccolo", "lead", (72,)),
    (r"pan[- ]?flutes?|pan[- ]?pipes?", "pan flute", "lead", (75,)),
    (r"flutes?", "flute", "lead", (73,)),
    (r"recorders?", "recorder", "lead", (74,)),
    (r"clarinets?", "clarinet", "lead", (71,)),
    (r"english[- ]horns?|cor anglais", "english horn", "lead", (69,)),
    (r"oboes?", "oboe", "lead", (68,)),
    (r"bassoons?", "bassoon", "counter", (70,)),
    (r"woodwinds?|winds", "woodwinds", "counter", (71, 73, 68)),
    (r"french[- ]horns?", "french horn", "counter", (60,)),
    (r"horn[- ]sections?", "horn section", "stabs", (61,)),
    (r"muted[- ]trumpets?", "muted trumpet", "lead", (59,)),
    (r"trumpets?", "trumpet", "lead", (56,)),
    (r"trombones?", "trombone", "counter", (57,)),
    (r"tubas?", "tuba", "counter", (58,)),
    (r"brass(?:[- ]section)?", "brass", "stabs", (61,)),
    (r"horns?", "horns", "stabs", (61,)),
    (r"soprano[- ]sax(?:ophone)?s?", "soprano sax", "lead", (64,)),
    (r"alto[- ]sax(?:ophone)?s?", "alto sax", "lead", (65,)),
    (r"tenor[- ]sax(?:ophone)?s?", "tenor sax", "lead", (66,)),
    (r"baritone[- ]sax(?:ophone)?s?|bari[- ]sax", "baritone sax", "lead", (67,)),
    (r"sax(?:ophone)?s?", "saxophone", "lead", (65, 66)),
    (r"timpani|kettle[- ]?drums?", "timpani", "timpani", (47,)),
    (r"glockenspiels?|glock", "glockenspiel", "bells", (9,)),
    (r"tubular[- ]bells?|chimes", "tubular bells", "bells", (14,)),
    (r"celesta|celeste", "celesta", "bells", (8,)),
    (r"music[- ]?box(?:es)?", "music box", "bells", (10,)),
    (r"bells?", "bells", "bells", (9, 14)),
    (r"marimbas?", "marimba", "arp", (12,)),
    (r"vibraphones?|vibes", "vibraphone", "chords", (11,)),
    (r"xylophones?", "xylophone", "bells", (13,)),
    (r"steel[- ]?(?:drums?|pans?)", "steel drums", "bells", (114,)),
    (r"kalimbas?|mbiras?", "kalimba", "arp", (108,)),
    (r"choirs?|choral|chorus(?:es)?|voices|vocals?|chants?|aahs|oohs", "choir", "pad", (52, 53)),
    (r"accordions?", "accordion", "chords", (21,)),
    (r"harmonicas?", "harmonica", "lead", (22,)),
    (r"melodicas?", "melodica", "lead", (22,)),
    (r"banjos?", "banjo", "chords", (105,)),
    (r"sitars?", "sitar", "lead", (104,)),
    (r"ukuleles?|ukes?", "ukulele", "chords", (24,)),
    (r"(?:hand[- ]?)?claps?|handclaps?", "claps", "perc", ()),
    (r"congas?|bongos?", "congas", "perc", ()),
    (r"tambourines?", "tambourine", "perc", ()),
    (r"shakers?|maracas", "shaker", "perc", ()),
    (r"cowbells?", "cowbell", "perc", ()),
    (r"percussion|percussive", "percussion", "perc", ()),
    (r"arp(?:eggio(?:s)?|eggiat(?:or|ors|ed|ing)|s)?", "arpeggio", "arp", (81, 80, 87)),
    (r"saw(?:tooth)?(?:[- ](?:synths?|leads?|waves?))?", "saw synth", "lead", (81,)),
    (r"square(?:[- ]wave)?(?:[- ](?:synths?|leads?))?", "square synth", "lead", (80,)),
    (r"(?:synth(?:esizer)?[- ]?)?pads?|drones?|swells", "pad", "pad", (88, 89, 90, 91, 94, 95)),
    (r"(?:synth(?:esizer)?[- ])?plucks?|plucked synths?", "plucks", "arp", (80, 81)),
    (r"bleeps?|blips?|chiptune", "bleeps", "lead", (80,)),
    (r"whistl(?:e|es|ed|ing)", "whistle", "lead", (78,)),
    (r"(?:wah|blues(?:-based)?|scorching|soaring|screaming)?[- ]?solos?", "solo", "lead", (30, 29)),
    (r"(?:main |catchy |vocal |lead )?(?:melod(?:y|ies)|hooks?|themes?|tunes?|toplines?)", "melody", "lead", ()),
    (r"(?:synth(?:esizer)?[- ]?)?leads?", "lead synth", "lead", (80, 81, 87)),
    (r"synth(?:esizer)?s?|synthwave|analog synths?", "synth", "pad", (90, 89, 81)),
    (r"keys|keyboards?", "keys", "chords", (0, 4)),
    (r"brush(?:ed|es)?(?:[- ](?:drums|snare|kit))?", "brushes", "drums", ()),
    (r"(?:live|acoustic|real)[- ]drums|drum[- ]kits?|drums|drummer", "drums", "drums", ()),
)
_INSTRUMENT_RES = tuple((re.compile(r"\b(?:" + pat + r")\b", re.I), kw, role, progs)
                        for pat, kw, role, progs in _INSTRUMENTS)
_NEGATION_RE = re.compile(r"\b(?:no|without|minus|sans|except)\s+(?:any\s+|the\s+)?$", re.I)
_NO_DRUMS_RE = re.compile(r"\b(?:no|without)\s+(?:any\s+)?(?:drums|percussion|beats?|rhythm section)\b|"
                          r"\bdrumless\b|\ba[- ]?cappella\b|\bbeatless\b", re.I)
# groove words -> a drum pattern family (mapped per genre by arrange)
_GROOVE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(r"\b(?:" + pat + r")\b", re.I), name) for pat, name in (
        (r"four[- ]on[- ]the[- ]floor|house|disco|dance[- ]?floor|club", "four_on_floor"),
        (r"techno", "techno"),
        (r"drum[- ](?:and|&|n|'n'?)[- ]bass|dnb|jungle|break[- ]?beats?|breaks|amen break", "breakbeat"),
        (r"dubstep|trap|half[- ]?time|half[- ]step", "halftime"),
    ))
_SWING_RE = re.compile(r"\b(?:swing|swinging|swingy|swung|shuffle|shuffled|shuffling)\b", re.I)
_BPM_RE = re.compile(r"\b(\d{2,3})\s*(?:bpm|beats per minute)\b", re.I)
# a named key: "in F minor", "in Bb major", "F#-minor", "in E flat major"
_KEY_RE = re.compile(r"\b(?:in\s+)?([A-G])(\s*(?:#|b|♯|♭|sharp|flat))?[\s-]+(major|minor)\b")
_PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def named_key(text: str | None) -> tuple[int, str] | None:
    """``(pitch class, "major" | "minor")`` of a key a text names ("in F# minor"), else None."""
    m = _KEY_RE.search(text or "")
    if not m:
        return None
    accidental = (m.group(2) or "").strip().lower()
    shift = 1 if accidental in ("#", "♯", "sharp") else -1 if accidental in ("b", "♭", "flat") else 0
    return (_PITCH_CLASS[m.group(1)] + shift) % 12, m.group(3)

_MAJOR_WORDS = ("happy", "uplifting", "bright", "joyful", "joyous", "cheerful", "sunny", "triumphant", "euphoric",
                "optimistic", "playful", "hopeful", "heroic", "festive", "fun", "feel-good", "feel good", "jubilant",
                "celebratory", "summery", "summer", "carefree", "positive", "lighthearted", "light-hearted", "sunny",
                "breezy", "cheeky", "quirky", "sweet", "proud", "noble", "confident", "glittering", "sparkling")
_MINOR_WORDS = ("sad", "dark", "melancholic", "melancholy", "tense", "mysterious", "moody", "somber", "sombre",
                "brooding", "ominous", "haunting", "gloomy", "eerie", "menacing", "sinister", "suspenseful",
                "mournful", "tragic", "lonely", "bittersweet", "nostalgic", "anxious", "foreboding", "angry",
                "desolate", "grim", "introspective", "wistful", "unsettling", "creeping", "desperate", "brutal",
                "cold", "reflective", "dramatic", "nervous", "paranoid", "dread", "sorrowful", "heartbroken")
_EPIC_WORDS = ("epic", "cinematic", "heroic", "triumphant", "grand", "majestic", "massive", "soaring",
               "anthemic", "monumental", "sweeping", "powerful", "huge", "bombastic")
_CALM_WORDS = ("calm", "dreamy", "relaxed", "relaxing", "gentle", "peaceful", "soft", "mellow", "ambient",
               "serene", "soothing", "tender", "intimate", "quiet", "delicate", "lullaby", "meditative",
               "chill", "chilled", "laid-back", "laid back", "sleepy", "hazy", "floating", "minimal", "sparse",
               "tranquil", "subdued", "understated", "smooth", "hushed", "fragile", "faint", "restrained",
               "lone", "floaty", "weightless")
_ENERGY_WORDS = ("energetic", "aggressive", "intense", "heavy", "driving", "hard", "punchy", "pounding",
                 "explosive", "fierce", "raw", "loud", "wild", "high-energy", "high energy", "danceable", "dance",
                 "party", "bouncy", "dense", "busy", "thumping", "banging", "rocking", "thunderous", "stomping",
                 "crashing", "urgent", "extreme", "galloping", "action", "chase", "enormous", "massive")
# tempo words -> window of the genre's tempo range (0 = slowest, 1 = fastest)
_TEMPO_WORDS: tuple[tuple[tuple[str, ...], tuple[float, float]], ...] = (
    (("frantic", "breakneck", "furious", "blistering", "hyper", "relentless"), (1.0, 1.35)),
    (("fast", "quick", "rapid", "uptempo", "up-tempo", "speedy", "racing", "high-tempo", "fast-paced"), (0.85, 1.2)),
    (("upbeat", "driving", "lively", "energetic", "bouncy", "brisk"), (0.6, 1.0)),
    (("mid-tempo", "midtempo", "mid tempo", "moderate", "medium tempo", "medium-tempo", "steady"), (0.35, 0.65)),
    (("laid-back", "laid back", "relaxed", "chill", "chilled", "lounge", "easy-going", "easygoing", "unhurried"),
     (0.0, 0.35)),
    (("slow", "slowly", "ballad", "downtempo", "lazy", "slow-burning", "slow-moving", "largo", "adagio"),
     (-0.35, 0.2)),
)
_LOFI_WORDS = ("lo-fi", "lofi", "lo fi", "low-fi", "vintage", "tape", "dusty", "vinyl", "cassette", "crackle",
               "crackling", "old-school radio", "degraded", "bitcrushed", "bit-crushed", "8-bit", "chiptune")
_REVERB_HEAVY = ("reverb-drenched", "drenched", "washed-out", "washed out", "cavernous", "cathedral", "cavern",
                 "huge reverb", "shimmering")
_REVERB_WORDS = ("reverb", "reverberant", "spacious", "hall", "ethereal", "atmospheric", "airy", "echo", "echoing",
                 "echoes", "roomy", "ambient", "lush", "wide", "distant", "vast", "delays", "dub", "cathedral-like")
_DRY_WORDS = ("dry", "tight", "close-miked", "in-your-face")


def _word_re(words: Iterable[str]) -> re.Pattern[str]:
    alts = sorted((re.escape(w).replace(r"\ ", r"[\s-]").replace(r"\-", r"[\s-]") for w in words),
                  key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.I)


_MAJOR_RE = _word_re(_MAJOR_WORDS)
_MINOR_RE = _word_re(_MINOR_WORDS)
_EPIC_RE = _word_re(_EPIC_WORDS)
_CALM_RE = _word_re(_CALM_WORDS)
_ENERGY_RE = _word_re(_ENERGY_WORDS)
_TEMPO_RES = tuple((_word_re(words), window) for words, window in _TEMPO_WORDS)
_LOFI_RE = _word_re(_LOFI_WORDS)
_REVERB_HEAVY_RE = _word_re(_REVERB_HEAVY)
_REVERB_RE = _word_re(_REVERB_WORDS)
_DRY_RE = _word_re(_DRY_WORDS)
_MAJOR_KEY_RE = re.compile(r"\bmajor(?:[- ]key)?\b", re.I)
_MINOR_KEY_RE = re.compile(r"\bminor(?:[- ]key)?\b", re.I)


def parse_description(text: str | None) -> DescriptionHints:
    """Read instruments, mood, tempo and production words from a description.

    Instruments are matched longest-first ("electric piano" is not also a
    "piano"); one preceded by "no"/"without" is excluded rather than forced.
    Mood words pick the mode (``"major"``/``"minor"``), tempo words a window of
    the genre's tempo range (an explicit "NNN BPM" wins), and epic/calm/energy
    words scale dynamics and density.
    """
    text = (text or "").strip()
    keywords: list[str] = []
    taken = np.zeros(len(text) + 1, dtype=bool)
    drums: str | None = None
    drum_pattern: str | None = None
    percussion: list[str] = []
    instruments: list[InstrumentHint] = []
    excluded: list[InstrumentHint] = []

    for m in _NO_DRUMS_RE.finditer(text):
        taken[m.start():m.end()] = True
        drums = "none"
        keywords.append(m.group(0).lower())

    first_groove = len(text) + 1
    for regex, name in _GROOVE_WORDS:  # before instruments: "drum and bass" is no bass part
        for m in regex.finditer(text):
            taken[m.start():m.end()] = True
            keywords.append(m.group(0).lower())
            if m.start() < first_groove:
                first_groove, drum_pattern = m.start(), name

    for regex, kw, role, progs in _INSTRUMENT_RES:
        for m in regex.finditer(text):
            if taken[m.start():m.end()].any():
                continue
            taken[m.start():m.end()] = True
            negated = bool(_NEGATION_RE.search(text[max(0, m.start() - 16):m.start()]))
            hint = InstrumentHint(keyword=kw, role=role, programs=progs, text=m.group(0).lower())
            if negated:
                excluded.append(hint)
                if role in ("drums", "perc") and kw in ("drums", "percussion"):
                    drums = "none"
                continue
            keywords.append(hint.text)
            if role == "drums":
                if kw == "drum machine" and drums != "none":
                    drums = "machine"
                elif kw == "drums" and drums is None:
                    drums = "live" if re.search(r"live|acoustic|real", hint.text) else "kit"
                elif kw == "brushes" and drums in (None, "kit", "live"):
                    drums = "brushes"
                continue
            if role == "perc":
                if kw not in percussion:
                    percussion.append(kw)
                continue
            if role == "bass808":
                if drums != "none":
                    drums = "808"
                instruments.append(InstrumentHint(kw, "bass", progs, hint.text))
                continue
            if all(h.keyword != kw for h in instruments):
                instruments.append(hint)

    def _count(regex: re.Pattern[str]) -> int:
        found = regex.findall(text)
        keywords.extend(f.lower() for f in found)
        return len(found)

    swing = _count(_SWING_RE) > 0

    n_major, n_minor = _count(_MAJOR_RE), _count(_MINOR_RE)
    n_major += _count(_MAJOR_KEY_RE)
    n_minor += _count(_MINOR_KEY_RE)
    mode = "major" if n_major > n_minor else ("minor" if n_minor > n_major else None)
    key = named_key(text)
    if key is not None:  # a named key sets the tonic and the mode, whatever the mood words say
        mode = key[1]
        keywords.append(_KEY_RE.search(text).group(0).strip().lower())
    epic = _count(_EPIC_RE) > 0
    calm = _count(_CALM_RE) > 0
    energetic = _count(_ENERGY_RE) > 0

    tempo_window: tuple[float, float] | None = None
    first = len(text) + 1
    for regex, window in _TEMPO_RES:
        m = regex.search(text)
        if m and m.start() < first:
            first, tempo_window = m.start(), window
    bpm: float | None = None
    m = _BPM_RE.search(text)
    if m:
        bpm = float(np.clip(float(m.group(1)), 40.0, 240.0))
        keywords.append(m.group(0).lower())
    if tempo_window is None and calm and not energetic:
        tempo_window = (0.0, 0.5)

    energy = 1.0 + (0.12 if energetic else 0.0) + (0.1 if epic else 0.0) - (0.2 if calm else 0.0)
    density = 1.0 + (0.2 if energetic else 0.0) + (0.15 if epic else 0.0) - (0.35 if calm else 0.0)

    lofi = _count(_LOFI_RE) > 0
    reverb: float | None = None
    if _count(_REVERB_HEAVY_RE):
        reverb = 0.5
    elif _count(_REVERB_RE):
        reverb = 0.35
    elif _count(_DRY_RE):
        reverb = 0.0

    return DescriptionHints(
        instruments=tuple(instruments), excluded=tuple(excluded), mode=mode, tempo_window=tempo_window,
        bpm=bpm, key=None if key is None else key[0], energy=energy, density=density, epic=epic, calm=calm, lofi=lofi, reverb=reverb,
        drums=drums, drum_pattern=drum_pattern, swing=swing, percussion=tuple(percussion),
        keywords=tuple(dict.fromkeys(k for k in keywords if k)),
    )
