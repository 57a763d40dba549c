"""Key evidence in a MIDI file: what its key signature says, what its title says, and
whether the notes bear out the mode a key signature claims.

A file is kept when its key is *stated*:

* **key signature**: the first key signature event is in effect from the first note
  (tick 0 or before any note) and the key it names holds for at least
  :data:`KS_COVERAGE` (90 %) of the piece (first onset to last offset, drums left out);
  a signature that changes to another key (its relative key included) for more than
  10 % of the piece is no statement of one key, and the file is dropped;
* **title**: the file name, the first track's name or a text event at tick 0 names a
  key ("Sonata in D minor", ``sonata_d_minor.mid``, "c-moll", "Prelude in C");
  a phrase naming a chord or scale ("Chord of C Major") is not a key statement.

When both exist they must agree, else the file is dropped. A key signature alone
cannot tell a major key from its relative minor for certain (the sharps and flats are
the same; the MIDI event's major/minor flag is only as good as whoever set it, and
many sequencers write "C major" by default). So a key that rests on a signature alone
is trusted only when the notes agree (:func:`mode_check`):

* the final bass note (lowest pitch sounding just after the last onset) is the tonic,
  or the final sonority holds the whole tonic triad (tonic, the mode's third, fifth)
  with one of them in the bass; or, when the end says nothing either way (it is neither
  the tonic nor the relative tonic: a dominant ending, a loop point), the first bass
  note is the tonic;
* and the piece does not end on the relative key's tonic (that is the classic sign of
  a major signature on a minor piece, or the other way round);
* and at least :data:`MIN_IN_KEY` (70 %) of the pitched note-time lies on the key's
  scale (major: the major scale; minor: natural minor plus the raised sixth and
  seventh), which rejects default "C major" signatures on pieces in other keys.

A title that names a mode is trusted as it stands (the check is still recorded).
Every decision is a :class:`KeyEvidence` with the texts the manifest records.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..annotated.keys import NOTES

#: the initial key signature must hold for this share of the piece
KS_COVERAGE = 0.90
#: share of pitched note-time on the key's scale for a signature-only key
MIN_IN_KEY = 0.70
#: a piece shorter than this (seconds of pitched notes) or with fewer notes is no piece
MIN_DURATION_S = 10.0
MIN_NOTES = 40

_LETTER = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_MAJOR_WORDS = {"major", "maj", "dur"}
_MINOR_WORDS = {"minor", "min", "moll"}
# "D minor", "Eb major", "F-sharp minor", "c-moll", "fis-moll", "sonata_d_minor"
_KEY_WITH_MODE = re.compile(
    r"(?<![A-Za-z0-9])(?P<letter>[A-Ga-g])"
    r"(?P<acc>[#\u266f\u266d]|b(?=[\s_-]*(?:major|minor|maj|min|dur|moll)\b)|is|es|s|"
    r"[\s_-]*(?:sharp|flat))?"
    r"[\s_-]*(?P<mode>major|minor|maj|min|dur|moll)(?![A-Za-z])", re.IGNORECASE)
# "Prelude in C", "Fugue in F#, BWV 858", "in the key of G": mode implied major
_KEY_IN = re.compile(
    r"(?<![A-Za-z])(?:[Ii]n|[Kk]ey\s+of)[\s_]+(?P<letter>[A-G])(?P<acc>[#\u266f\u266d]|b|[\s_-]*(?:sharp|flat))?"
    r"(?=\s*(?:$|[,;:()\[\]._-]|\s(?:op|no|bwv|k|kv|hob|d|for|from|by)\b))")
_NOT_A_KEY = re.compile(r"(?:chord|scale|arpeggio|triad|cadence|interval)s?\s+(?:of\s+|in\s+)?$", re.IGNORECASE)


def key_name(tonic: int, minor: bool) -> str:
    """``(1, True)`` -> ``"C# minor"``: the normalised spelling (sharps)."""
    return f"{NOTES[tonic % 12]} {'minor' if minor else 'major'}"


def parse_key_name(text: str) -> tuple[int, bool]:
    """``"C# minor"`` -> ``(1, True)`` (the inverse of :func:`key_name`)."""
    tonic, _, mode = text.strip().partition(" ")
    if tonic not in NOTES or mode not in ("major", "minor"):
        raise ValueError(f"{text!r} is not a normalised key ('C# minor' style)")
    return NOTES.index(tonic), mode == "minor"


def relative_tonic(tonic: int, minor: bool) -> int:
    """The tonic of the relative key (A for C major, C for A minor)."""
    return (tonic + 3) % 12 if minor else (tonic - 3) % 12


def scale_pcs(tonic: int, minor: bool) -> frozenset[int]:
    """Pitch classes of the key's scale (minor: natural + raised 6th and 7th)."""
    steps = (0, 2, 3, 5, 7, 8, 9, 10, 11) if minor else (0, 2, 4, 5, 7, 9, 11)
    return frozenset((tonic + s) % 12 for s in steps)


def _accidental(acc: str | None) -> int:
    if not acc:
        return 0
    a = acc.strip(" _-").lower()
    if a in ("#", "\u266f", "sharp", "is"):
        return 1
    if a in ("b", "\u266d", "flat", "es", "s"):
        return -1
    return 0


@dataclass(frozen=True)
class TitleKey:
    """A key a title names: the key, the text it came from and how."""

    key: str
    source: str  # "filename", "track_name", "text"
    text: str
    implied_mode: bool = False

    def describe(self) -> str:
        how = " (mode implied major)" if self.implied_mode else ""
        return f"{self.source} {self.text!r} -> {self.key}{how}"


def keys_in_text(text: str, prose: bool = True) -> tuple[list[tuple[str, bool]], list[str]]:
    """Keys named in ``text``: ``([(key, implied_mode)], [rejected phrases])``.

    In ``prose`` (a track name or text event, not a file name) a lower-case "a minor" /
    "a major" is the English article, not A minor."""
    found: list[tuple[str, bool]] = []
    rejected: list[str] = []
    spans: list[tuple[int, int]] = []
    for m in _KEY_WITH_MODE.finditer(text):
        letter, acc, mode = m["letter"], m["acc"], m["mode"].lower()
        if _NOT_A_KEY.search(text[:m.start()]):
            rejected.append(f"{m.group(0)!r} names a chord or scale")
            spans.append(m.span())
            continue
        if prose and letter == "a" and not acc and m.group(0)[1:2] == " " and m["mode"].islower():
            rejected.append(f"{m.group(0)!r} reads as English ('a minor ...')")
            spans.append(m.span())
            continue
        # German: "c-moll", "fis-moll", "Es-Dur": the letter's case does not decide the mode
        if acc and acc.lower() == "s" and letter.lower() not in ("a", "e"):
            continue  # "s" alone is a flat only in "as"/"es" (Ab, Eb)
        tonic = (_LETTER[letter.lower()] + _accidental(acc)) % 12
        found.append((key_name(tonic, mode in _MINOR_WORDS), False))
        spans.append(m.span())
    for m in _KEY_IN.finditer(text):
        if any(a <= m.start("letter") < b for a, b in spans):
            continue
        tonic = (_LETTER[m["letter"].lower()] + _accidental(m["acc"])) % 12
        found.append((key_name(tonic, False), True))
    return found, rejected


def _words(name: str) -> str:
    """A file name as words: ``"06-Greensleeves"``, ``"sonataInDMinor"`` -> spaced text."""
    stem = PurePosixPath(name).stem
    stem = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", stem)
    return re.sub(r"[_]+", " ", stem)


def title_keys(texts: list[tuple[str, str]]) -> tuple[list[TitleKey], list[str]]:
    """The keys ``[(source, text)]`` name, and the phrases rejected (chords, scales)."""
    out: list[TitleKey] = []
    rejected: list[str] = []
    for source, text in texts:
        keys, rej = keys_in_text(text, prose=source != "filename")
        rejected += [f"{source} {r}" for r in rej]
        out += [TitleKey(k, source, text, implied) for k, implied in keys]
    return out, rejected


@dataclass
class Note:
    start: float
    end: float
    pitch: int


@dataclass
class MidiFacts:
    """What the rules read from one MIDI file (times in seconds)."""

    notes: list[Note]
    key_signatures: list[tuple[float, int, str]]  # (time, tick, "C# minor"), deduplicated, sorted
    texts: list[tuple[str, str]]  # (source, text) candidates for a title
    n_drum_notes: int = 0
    ks_conflicts: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # (tick, keys) at one tick
    digest: str = ""  # sha1 of the pitched notes (duplicates across packages)

    @property
    def first_onset(self) -> float:
        return min(n.start for n in self.notes) if self.notes else 0.0

    @property
    def last_offset(self) -> float:
        return max(n.end for n in self.notes) if self.notes else 0.0

    @property
    def duration_s(self) -> float:
        return self.last_offset - self.first_onset


_TRACK0_META = ("set_tempo", "key_signature", "time_signature")


def _meta_on_first_track(mf) -> bytes:
    """The file's bytes with tempo, key and time signatures of every track moved to the first.

    pretty_midi reads those from the first track only (and warns); players honour them on
    any track, so a file that keeps them elsewhere is read as players play it."""
    import mido

    if mf.type != 1 or len(mf.tracks) < 2 or not any(
            msg.type in _TRACK0_META for track in mf.tracks[1:] for msg in track):
        buf = io.BytesIO()
        mf.save(file=buf)
        return buf.getvalue()
    moved: list[tuple[int, int, object]] = []
    out = mido.MidiFile(type=1, ticks_per_beat=mf.ticks_per_beat)
    for index, track in enumerate(mf.tracks):
        tick, kept = 0, []
        for order, msg in enumerate(track):
            tick += msg.time
            if index > 0 and msg.type in _TRACK0_META:
                moved.append((tick, index * 1_000_000 + order, msg))
            elif msg.type != "end_of_track":
                kept.append((tick, index * 1_000_000 + order, msg))
        if index == 0:
            first = kept
        else:
            out.tracks.append(_track(kept))
    out.tracks.insert(0, _track(sorted(first + moved, key=lambda e: (e[0], e[1]))))
    buf = io.BytesIO()
    out.save(file=buf)
    return buf.getvalue()


def _track(events):
    """A mido track from ``[(absolute tick, order, message)]`` (sorted), ending properly."""
    import mido

    track = mido.MidiTrack()
    last = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    return track


def read_midi(data: bytes, name: str = "") -> MidiFacts:
    """Read notes, key signatures and title texts of a MIDI file's bytes.

    ``name`` (a file or member name) is one of the title texts. Raises ``ValueError``
    for a file pretty_midi cannot read.
    """
    import mido
    import pretty_midi

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mf = mido.MidiFile(file=io.BytesIO(data), clip=True)
            pm = pretty_midi.PrettyMIDI(io.BytesIO(_meta_on_first_track(mf)))
    except Exception as exc:  # mido/pretty_midi raise many kinds on broken files
        raise ValueError(f"unreadable MIDI ({type(exc).__name__}: {exc})") from exc
    notes = [Note(float(n.start), float(n.end), int(n.pitch))
             for inst in pm.instruments if not inst.is_drum for n in inst.notes if n.end > n.start]
    notes.sort(key=lambda n: (n.start, n.pitch))
    drums = sum(len(inst.notes) for inst in pm.instruments if inst.is_drum)
    kss: list[tuple[float, int, str]] = []
    for ks in sorted(pm.key_signature_changes, key=lambda k: k.time):
        key = key_name(ks.key_number % 12, ks.key_number >= 12)
        if kss and kss[-1][2] == key:
            continue  # the same signature repeated (on every track of a type-1 file)
        kss.append((float(ks.time), int(pm.time_to_tick(ks.time)), key))
    texts: list[tuple[str, str]] = []
    if name:
        texts.append(("filename", _words(name)))
    if mf.tracks:
        tick = 0
        for msg in mf.tracks[0]:
            tick += msg.time
            if msg.type == "track_name" and msg.name.strip():
                texts.append(("track_name", msg.name.strip()))
            elif msg.type == "text" and tick == 0 and msg.text.strip():
                texts.append(("text", msg.text.strip()))
    conflicts = _signature_conflicts(mf)
    digest = hashlib.sha1(";".join(f"{n.pitch},{n.start:.2f},{n.end:.2f}" for n in notes).encode()).hexdigest()
    return MidiFacts(notes, kss, texts, n_drum_notes=drums, digest=digest, ks_conflicts=conflicts)


def _mido_key(text: str) -> str:
    """mido's ``"Ebm"``, ``"F#"`` -> ``"D# minor"``, ``"F# major"``."""
    from ..annotated.keys import normalise_key

    return normalise_key(text if text.endswith("m") else f"{text} major") or text


def _signature_conflicts(mf) -> list[tuple[int, tuple[str, ...]]]:
    """Ticks at which tracks set different key signatures (F major on one, C major on another)."""
    at: dict[int, set[str]] = {}
    for track in mf.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "key_signature":
                at.setdefault(tick, set()).add(_mido_key(msg.key))
    return [(t, tuple(sorted(keys))) for t, keys in sorted(at.items()) if len(keys) > 1]


def opening_signature(facts: MidiFacts) -> tuple[float, int, str] | None:
    """The key signature in effect at the first note (the last one at or before it)."""
    opening = [ks for ks in facts.key_signatures if ks[0] <= facts.first_onset + 1e-3]
    return opening[-1] if opening else None


def _coverage(facts: MidiFacts) -> tuple[float, float | None]:
    """Share of the piece the opening signature's key holds, and the time it first changes."""
    t0, t1 = facts.first_onset, facts.last_offset
    span = t1 - t0
    opening = opening_signature(facts)
    if span <= 0 or opening is None:
        return 0.0, None
    first = opening[2]
    later = [ks for ks in facts.key_signatures if ks[0] > t0 + 1e-3]
    bounds = [(t0, first)] + [(t, key) for t, _, key in later] + [(t1, "")]
    held = 0.0
    change = None
    for (a, key), (b, _) in zip(bounds, bounds[1:]):
        if b <= a:
            continue
        if key == first:
            held += min(b, t1) - a
        elif change is None and a < t1:
            change = a
    return held / span, change


def _sounding(notes: list[Note], t: float) -> list[Note]:
    return [n for n in notes if n.start <= t < n.end]


@dataclass
class ModeCheck:
    """What the notes say about a key: the end, the start and the scale fit."""

    end_bass: int | None
    end_pcs: frozenset[int]
    start_bass: int | None
    in_key: float
    agrees: bool
    reason: str

    def describe(self, tonic: int) -> str:
        def pc(p):
            return "-" if p is None else NOTES[p % 12]

        chord = ",".join(NOTES[p] for p in sorted(self.end_pcs, key=lambda p: (p - tonic) % 12))
        return (f"end bass {pc(self.end_bass)}, end chord {chord or '-'}; start bass {pc(self.start_bass)}; "
                f"in key {self.in_key:.0%}; {self.reason}")


def mode_check(facts: MidiFacts, key: str) -> ModeCheck:
    """Do the notes agree with ``key`` (tonic and mode)? See the module's rules."""
    tonic, minor = parse_key_name(key)
    rel = relative_tonic(tonic, minor)
    notes = facts.notes
    if not notes:
        return ModeCheck(None, frozenset(), None, 0.0, False, "no pitched notes")
    last_on = max(n.start for n in notes)
    end = _sounding(notes, last_on + 0.05) or [n for n in notes if n.start >= last_on - 0.05]
    end_bass = min(n.pitch for n in end) % 12
    end_pcs = frozenset(n.pitch % 12 for n in end)
    first_on = notes[0].start
    start = [n for n in notes if n.start <= first_on + 0.1]
    start_bass = min(n.pitch for n in start) % 12
    total = sum(n.end - n.start for n in notes)
    scale = scale_pcs(tonic, minor)
    in_key = sum(n.end - n.start for n in notes if n.pitch % 12 in scale) / total if total else 0.0
    third = (tonic + (3 if minor else 4)) % 12
    fifth = (tonic + 7) % 12
    triad = {tonic, third, fifth} <= end_pcs and end_bass in (tonic, third, fifth)
    if end_bass == rel:
        return ModeCheck(end_bass, end_pcs, start_bass, in_key, False,
                         f"ends on the relative key's tonic {NOTES[rel]}")
    if in_key < MIN_IN_KEY:
        return ModeCheck(end_bass, end_pcs, start_bass, in_key, False,
                         f"only {in_key:.0%} of the note-time on the {key} scale (< {MIN_IN_KEY:.0%})")
    if end_bass == tonic:
        why = "final bass is the tonic"
    elif triad:
        why = "final sonority is the tonic triad"
    elif start_bass == tonic:
        why = "ending neither tonic nor relative; first bass is the tonic"
    else:
        return ModeCheck(end_bass, end_pcs, start_bass, in_key, False,
                         "neither the ending nor the first bass note is the tonic")
    return ModeCheck(end_bass, end_pcs, start_bass, in_key, True, why)


@dataclass
class KeyEvidence:
    """The decision for one file: the key kept (None: dropped), why, and the records."""

    key: str | None
    reason: str  # why dropped, or "" when kept
    basis: str = ""  # "key_signature", "title", "key_signature+title"
    ks_key: str = ""
    ks_evidence: str = ""
    title_key: str = ""
    title_evidence: str = ""
    mode_check: str = ""
    mode_trusted: str = ""  # "yes", "no", "" (not needed)
    in_key: float = math.nan
    ks_change_s: float = math.nan  # first change of signature (NaN: none)
    notes: list[str] = field(default_factory=list)


#: texts that say a file was converted from a format without key signatures (Doom's MUS):
#: the signature such a file carries is the converter's, not the composer's
_CONVERTED = re.compile(r"mus\s*-?>\s*mid|mus2mid|qmus2mid", re.IGNORECASE)
#: a source (package, or archive in it) with at least this many signatures, all of them
#: C major, is taken to carry its software's default signature
DEFAULT_SIGNATURE_MIN_FILES = 3


def default_signature(keys: list[str]) -> bool:
    """Do the opening signatures of one source's files look like a default?

    Many sequencers and converters write a C major signature when the user set none.
    When every file of a package (or of one archive) that has a signature has C major,
    and there are at least :data:`DEFAULT_SIGNATURE_MIN_FILES`, nobody chose it."""
    return len(keys) >= DEFAULT_SIGNATURE_MIN_FILES and all(k == "C major" for k in keys)


def decide(facts: MidiFacts, signature_not_stated: str | None = None) -> KeyEvidence:
    """Apply the rules of this module to one file's facts.

    ``signature_not_stated`` (a reason) sets the key signature aside as no statement of
    the key, e.g. when the file's source carries a default signature (:func:`default_signature`)."""
    if len(facts.notes) < MIN_NOTES or facts.duration_s < MIN_DURATION_S:
        return KeyEvidence(None, f"too short for a piece ({len(facts.notes)} pitched notes, "
                                 f"{facts.duration_s:.1f} s; need {MIN_NOTES} and {MIN_DURATION_S:.0f} s)")
    ev = KeyEvidence(None, "")
    # -- key signature
    ks_ok = False
    unusable = ""
    if facts.key_signatures:
        opening = opening_signature(facts)
        t, tick, key = opening or facts.key_signatures[0]
        cov, change = _coverage(facts)
        ev.ks_change_s = change if change is not None else math.nan
        where = f"key_signature {key} at tick {tick} ({t:.2f} s)"
        converted = [text for _, text in facts.texts if _CONVERTED.search(text)]
        if facts.ks_conflicts:
            tick0, keys = facts.ks_conflicts[0]
            ev.ks_evidence = (f"{where}: tracks set different signatures at tick {tick0} ({' / '.join(keys)}): "
                              "no statement of one key")
            unusable = "conflicting key signatures"
        elif signature_not_stated:
            ev.ks_evidence = f"{where}: {signature_not_stated}"
            unusable = "signature taken as a default"
        elif converted:
            ev.ks_evidence = (f"{where}: written by a converter from a format without key signatures "
                              f"({converted[0]!r}), not a statement")
            unusable = "signature written by a converter"
        elif opening is None:
            ev.ks_evidence = f"{where}, after the first note at {facts.first_onset:.2f} s: not the opening key"
            unusable = "first signature after the first note"
        elif cov < KS_COVERAGE:
            later = ", ".join([f"{k} at {tt:.1f} s" for tt, _, k in facts.key_signatures
                               if tt > facts.first_onset + 1e-3][:3])
            ev.ks_evidence = f"{where}; changes ({later}); holds {cov:.0%} of the piece"
            return _dropped(ev, f"key signature changes mid-piece: {key} holds {cov:.0%} (< {KS_COVERAGE:.0%})")
        else:
            extra = f"; changes at {change:.1f} s" if change is not None else ""
            ev.ks_evidence = f"{where}; holds {cov:.0%} of the piece{extra}"
            ev.ks_key, ks_ok = key, True
    # -- title
    tkeys, rejected = title_keys(facts.texts)
    stated_tonics = {parse_key_name(tk.key)[0] for tk in tkeys if not tk.implied_mode}
    # "in D" beside "D minor": the implied major gives way to the stated mode
    tkeys = [tk for tk in tkeys if not (tk.implied_mode and parse_key_name(tk.key)[0] in stated_tonics)]
    distinct = sorted({tk.key for tk in tkeys})
    if rejected:
        ev.notes.append("title phrase not read as a key: " + "; ".join(rejected))
    title: TitleKey | None = None
    if len(distinct) > 1:
        ev.title_evidence = "; ".join(tk.describe() for tk in tkeys)
        return _dropped(ev, f"titles name several keys ({', '.join(distinct)})")
    if tkeys:
        stated = [tk for tk in tkeys if not tk.implied_mode]
        title = (stated or tkeys)[0]
        ev.title_key = title.key
        ev.title_evidence = "; ".join(dict.fromkeys(tk.describe() for tk in tkeys))
    if not ks_ok and title is None:
        return _dropped(ev, "no key stated (no opening key signature, no key in the title)"
                        if not facts.key_signatures else f"no key stated ({unusable}; no key in the title)")
    if ks_ok and title is not None and ev.ks_key != title.key:
        return _dropped(ev, f"key signature {ev.ks_key} disagrees with the title's {title.key}")
    key = title.key if title is not None else ev.ks_key
    check = mode_check(facts, key)
    tonic = parse_key_name(key)[0]
    ev.mode_check = check.describe(tonic)
    ev.in_key = check.in_key
    if title is not None and not title.implied_mode:
        ev.basis = "key_signature+title" if ks_ok else "title"
        ev.mode_trusted = ""  # the title names the mode
        ev.key = key
        return ev
    # a signature alone (or a title with an implied mode) decides nothing about the mode
    ev.basis = "key_signature+title" if (ks_ok and title is not None) else ("key_signature" if ks_ok else "title")
    ev.mode_trusted = "yes" if check.agrees else "no"
    if not check.agrees:
        return _dropped(ev, f"mode not confirmed by the notes: {check.reason}")
    ev.key = key
    return ev


def _dropped(ev: KeyEvidence, reason: str) -> KeyEvidence:
    ev.key = None
    ev.reason = reason
    return ev
