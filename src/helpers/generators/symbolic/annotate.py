"""What a symbolic clip played, as the field writes it down: JAMS annotations and the clip's MIDI.

The generator knows the score exactly, so these labels are facts, not estimates:

* ``tempo`` (BPM, confidence 1) and ``beat`` (every beat of the score's grid, with its
  position in the bar: 1 = downbeat), from the MIDI's tempo map and its 4/4 time signature;
  humanised timing and swing move notes, never the grid, as real annotators label;
* ``key_mode``: the arrangement's tonic and mode (``D:dorian``); the scalar labels give the
  major/minor family the key task uses (``D minor``);
* ``chord`` (Harte syntax, ``A:min7``, ``C:maj/3``): the progression on its beat grid;
* ``tag_open``: each instrument present, as ``<GM family>/<role>/<GM name>``.

:func:`annotate` returns the JAMS object, the PrettyMIDI object and the scalar labels
that go into ``clips/metadata.csv`` (:data:`LABEL_COLUMNS`).
"""

from __future__ import annotations

from typing import Any

from .arrange import Arrangement
from .theory import MINOR_MODES, NOTE_NAMES

#: scalar labels of a clip, as columns of ``clips/metadata.csv`` (empty for backends without them)
LABEL_COLUMNS = ["tempo_bpm", "key", "key_mode", "time_signature", "annotation", "midi"]

_HARTE = {
    "maj": "maj", "min": "min", "dim": "dim", "aug": "aug", "5": "(1,5)", "7": "7", "maj7": "maj7",
    "m7": "min7", "9": "9", "m9": "min9", "add9": "maj(9)", "madd9": "min(9)", "sus2": "sus2",
    "sus4": "sus4", "7sus4": "sus4(b7)", "6": "maj6", "m6": "min6", "dim7": "dim7", "m7b5": "hdim7",
    "maj9": "maj9", "13": "13",
}
_DEGREE = {0: "1", 1: "b2", 2: "2", 3: "b3", 4: "3", 5: "4", 6: "b5", 7: "5", 8: "#5", 9: "6", 10: "b7", 11: "7"}
# JAMS spells sharps with '#', as NOTE_NAMES does
_JAMS_MODES = {"major", "minor", "ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian"}


def key_family(mode: str) -> str:
    """``major`` or ``minor``: the family of a mode (its third), as key benchmarks label."""
    return "minor" if mode in MINOR_MODES or mode in ("aeolian", "locrian") else "major"


def harte(chord, key: int) -> str:
    """A progression chord in Harte syntax (``A:min7``, ``C:maj/3``)."""
    from .theory import CHORD_INTERVALS

    root = NOTE_NAMES[(key + chord.root) % 12]
    label = f"{root}:{_HARTE[chord.quality]}"
    if chord.inversion:
        interval = CHORD_INTERVALS[chord.quality][chord.inversion] % 12
        label += "/" + _DEGREE[interval]
    return label


def annotate(arrangement: Arrangement, duration_s: float, midi=None, owners=None) -> tuple[Any, Any, dict]:
    """``(jams.JAMS, pretty_midi.PrettyMIDI, labels)`` of an arrangement performed for ``duration_s``."""
    import jams
    from pretty_midi import program_to_instrument_class

    from .perform.midi import perform

    if midi is None:
        midi, owners = perform(arrangement, duration_s)
    arr = arrangement
    ja = jams.JAMS()
    ja.file_metadata.duration = float(duration_s)
    ja.file_metadata.title = f"{arr.genre}: {arr.description}"
    source = {"annotation_tools": "synthmir symbolic generator (the score, not an estimate)",
              "annotator": {"name": "synthmir", "seed": int(arr.seed)}}

    tempo = jams.Annotation(namespace="tempo", time=0.0, duration=float(duration_s))
    tempo.append(time=0.0, duration=float(duration_s), value=float(arr.tempo), confidence=1.0)

    beats = jams.Annotation(namespace="beat", time=0.0, duration=float(duration_s))
    ts = midi.time_signature_changes[0] if midi.time_signature_changes else None
    per_bar = int(ts.numerator) if ts else 4
    beat_times = [t for t in midi.get_beats() if t < duration_s - 1e-9]
    for i, t in enumerate(beat_times):
        beats.append(time=float(t), duration=0.0, value=int(i % per_bar) + 1, confidence=1.0)

    mode = arr.mode if arr.mode in _JAMS_MODES else key_family(arr.mode)
    key = jams.Annotation(namespace="key_mode", time=0.0, duration=float(duration_s))
    key.append(time=0.0, duration=float(duration_s), value=f"{NOTE_NAMES[arr.key]}:{mode}", confidence=1.0)

    chords = jams.Annotation(namespace="chord", time=0.0, duration=float(duration_s))
    chord_s = 60.0 / float(arr.tempo) * arr.beats_per_chord
    t, i = 0.0, 0
    while t < duration_s - 1e-9:
        c = arr.progression[i % len(arr.progression)]
        chords.append(time=float(t), duration=float(min(chord_s, duration_s - t)), value=harte(c, arr.key),
                      confidence=1.0)
        t, i = t + chord_s, i + 1

    tags = jams.Annotation(namespace="tag_open", time=0.0, duration=float(duration_s))
    present = []
    for part, take in owners or []:
        if take:
            continue
        tag = "Drums/kit/Standard Kit" if part is None else \
            f"{program_to_instrument_class(part.program)}/{part.role}/{part.instrument}"
        if tag not in present:
            present.append(tag)
            tags.append(time=0.0, duration=float(duration_s), value=tag, confidence=1.0)

    for ann in (tempo, beats, key, chords, tags):
        ann.annotation_metadata = jams.AnnotationMetadata(data_source="synthmir", **source)
        ja.annotations.append(ann)
    ja.sandbox.synthmir = {"genre": arr.genre, "mode": arr.mode, "swing": float(arr.swing),
                           "requested": False}
    labels = {"tempo_bpm": float(arr.tempo), "key": f"{NOTE_NAMES[arr.key]} {key_family(arr.mode)}",
              "key_mode": arr.mode, "time_signature": f"{per_bar}/{ts.denominator if ts else 4}"}
    return ja, midi, labels


def read_labels(path) -> dict:
    """The scalar labels (:data:`LABEL_COLUMNS` but the file names) of a clip's JAMS file."""
    import jams

    ja = jams.load(str(path), validate=False)
    out: dict = {}
    tempo = ja.search(namespace="tempo")
    if tempo:
        out["tempo_bpm"] = float(tempo[0].data[0].value)
    key = ja.search(namespace="key_mode")
    if key:
        tonic, mode = key[0].data[0].value.split(":")
        mode = ja.sandbox.synthmir.get("mode", mode) if "synthmir" in ja.sandbox else mode
        out.update(key=f"{tonic} {key_family(mode)}", key_mode=mode)
    beats = ja.search(namespace="beat")
    if beats:
        out["time_signature"] = f"{max(int(o.value) for o in beats[0].data)}/4"
    return out


def requested(text: str, duration_s: float):
    """For a backend that cannot state what it played (MusicGen): the tempo and key its prompt asks
    for ("at 128 BPM", "in F# minor"), as a JAMS marked ``requested`` (nothing verifies that the
    model followed them), or None when the prompt names neither."""
    import jams

    from .describe import _BPM_RE, named_key

    key = named_key(text)
    m = _BPM_RE.search(text or "")
    if key is None and m is None:
        return None
    ja = jams.JAMS()
    ja.file_metadata.duration = float(duration_s)
    meta = jams.AnnotationMetadata(data_source="requested in the prompt; not verified",
                                   annotation_tools="synthmir (prompt words)")
    labels: dict = {}
    if m is not None:
        ann = jams.Annotation(namespace="tempo", time=0.0, duration=float(duration_s), annotation_metadata=meta)
        ann.append(time=0.0, duration=float(duration_s), value=float(m.group(1)), confidence=0.0)
        ja.annotations.append(ann)
        labels["tempo_bpm"] = float(m.group(1))
    if key is not None:
        ann = jams.Annotation(namespace="key_mode", time=0.0, duration=float(duration_s), annotation_metadata=meta)
        ann.append(time=0.0, duration=float(duration_s), value=f"{NOTE_NAMES[key[0]]}:{key[1]}", confidence=0.0)
        ja.annotations.append(ann)
        labels.update(key=f"{NOTE_NAMES[key[0]]} {key[1]}", key_mode=key[1])
    ja.sandbox.synthmir = {"requested": True}
    return ja, None, labels
