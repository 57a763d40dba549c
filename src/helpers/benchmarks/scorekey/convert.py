"""The music21 side of the scorekey benchmark: which corpus paths may be used, and the
conversion of a score to MIDI bytes.

This module is run as a script by the **scorekey side venv** (``scripts/setup_env.sh
scorekey``, music21 from ``requirements/scorekey.lock``), never imported there as part of
``helpers``: at module level it needs the standard library only, so the study venv imports
it too (for :func:`refuse_path` and :data:`EXCLUDED_DIRS`) without having music21.

    <side python> convert.py list
        one JSON line: music21's version, the corpus folder, every path of its core corpus
        (relative) and the sha1 of each file
    <side python> convert.py convert --out DIR PATH...
        one JSON line per PATH: its metadata, its opening key signatures (with the mode the
        encoding claims), the score's sha1 and the sha1 of the MIDI bytes written to
        ``DIR/<name>.mid``; or ``{"path": ..., "error": ...}``. A PATH ``<file>#<n>`` is tune
        ``X: n`` of a multi-tune ABC file (the folkkey set, :mod:`helpers.benchmarks.folkkey`);
        its ``score_sha1`` is the file's

The conversion: ``corpus.parse(path, forceSource=True)`` (no pickled cache), the parts at
sounding pitch (transposing instruments, e.g. a clarinet in B-flat, carry the concert
signature), every :class:`music21.key.Key` replaced by a plain ``KeySignature`` with the same
sharps or flats (so the MIDI key-signature events say only how many sharps or flats there are:
the mode the encoder set is recorded beside them, not trusted; the notes decide it), then
``midi.translate`` (at 1008 ticks per quarter: :data:`TICK_DIVISOR`), which plays the repeats (a score whose repeats music21 finds badly formed
is written once through, its repeat signs removed, and the JSON says so). The same music21
version and score give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys

#: music21's corpus of J. S. Bach (the chorales and everything else in ``bach/``) is NEVER used
REFUSED_DIR = "bach"
_REFUSED_WORDS = re.compile(r"chorale|bwv|riemenschneider", re.IGNORECASE)

#: corpus folders that are not used, and why: pre-tonal or modal repertoire (its "key" is no
#: major/minor key), monophonic folk-tune collections, atonal works, test and demo files.
EXCLUDED_DIRS: dict[str, str] = {
    "palestrina": "Renaissance polyphony: modal, no major/minor key",
    "josquin": "Renaissance polyphony: modal, no major/minor key",
    "monteverdi": "madrigals: modal or early tonal, no stated major/minor key",
    "lusitano": "Renaissance motet: modal, no major/minor key",
    "ciconia": "medieval (ars nova): modal, no major/minor key",
    "luca": "medieval: modal, no major/minor key",
    "trecento": "medieval (trecento): modal, no major/minor key",
    "medieval": "medieval: modal, no major/minor key",
    "renaissance": "Renaissance: modal, no major/minor key",
    "essenFolksong": "monophonic folk-tune collection",
    "ryansMammoth": "monophonic folk-tune collection",
    "oneills1850": "monophonic folk-tune collection",
    "airdsAirs": "monophonic folk-tune collection",
    "miscFolk": "monophonic folk-tune collection",
    "nottingham-dataset": "folk-tune collection (melody and chord symbols)",
    "leadSheet": "lead sheets: one melody line and chord symbols",
    "schoenberg": "atonal (Op. 19): no key",
    "webern": "atonal (Op. 16): no key",
    "demos": "music21 demo and test files, not pieces",
    "theoryExercises": "music21 theory exercises, not pieces",
}

#: files that hold a whole multi-movement work in one score: no movement can be cut out of them
#: by a rule (movement numbers do not restart, "final" barlines also close repeats), their
#: signature changes from movement to movement, and music21 takes minutes to write each
WHOLE_WORKS: dict[str, str] = {
    "beethoven/opus132.mxl": "String Quartet Op. 132, all movements in one score",
    "beethoven/opus18no3.mxl": "String Quartet Op. 18 No. 3, all movements in one score",
    "beethoven/opus18no4.mxl": "String Quartet Op. 18 No. 4, all movements in one score",
    "beethoven/opus18no5.mxl": "String Quartet Op. 18 No. 5, all movements in one score",
    "beethoven/opus74.mxl": "String Quartet Op. 74, all movements in one score",
}


class RefusedPath(ValueError):
    """A corpus path the scorekey benchmark must never use (music21's Bach)."""


def split_spec(spec: str) -> tuple[str, int | None]:
    """``"oneills1850/0001-0050.abc#12"`` -> ``("oneills1850/0001-0050.abc", 12)``; a plain path -> ``(path, None)``."""
    path, sep, number = spec.partition("#")
    if not sep:
        return spec, None
    if not number.isdigit():
        raise ValueError(f"{spec!r}: the tune number after '#' must be a whole number")
    return path, int(number)


def corpus_dir(path: str) -> str:
    """The corpus folder of a relative corpus path (``"haydn/opus1no1/movement1.mxl"`` -> ``"haydn"``)."""
    return path.replace("\\", "/").strip("/").split("/")[0]


def refuse_path(path: str) -> None:
    """Raise :class:`RefusedPath` for any path of music21's ``bach/`` folder (the chorales
    among them) or any path naming chorales or BWV numbers."""
    p = path.replace("\\", "/").strip("/")
    parts = p.split("/")
    if parts[0].lower() == REFUSED_DIR or "corpus/bach/" in f"/{p}/".lower() or _REFUSED_WORDS.search(p):
        raise RefusedPath(f"{path}: music21's bach corpus (its chorales above all) is never used by scorekey")


def excluded(path: str) -> str | None:
    """Why a corpus path is not a candidate (refused, an excluded folder, a whole work), or None."""
    try:
        refuse_path(path)
    except RefusedPath as exc:
        return str(exc)
    reason = EXCLUDED_DIRS.get(corpus_dir(path))
    if reason:
        return f"{corpus_dir(path)}/: {reason}"
    whole = WHOLE_WORKS.get(path.replace("\\", "/").strip("/"))
    return f"{path}: {whole}" if whole else None


def _relative(full: str) -> str:
    full = full.replace("\\", "/")
    i = full.rfind("/music21/corpus/")
    return full[i + len("/music21/corpus/"):] if i >= 0 else full


# -- below: the side venv only (music21) ------------------------------------------------------

def list_corpus() -> dict:
    import music21
    from music21 import common, corpus

    found = {_relative(str(p)): str(p) for p in corpus.corpora.CoreCorpus().getPaths()}
    sha1 = {}
    for rel, full in found.items():
        with open(full, "rb") as fh:
            sha1[rel] = hashlib.sha1(fh.read()).hexdigest()
    return {"music21": music21.__version__, "root": str(common.getCorpusFilePath()),
            "paths": sorted(found), "score_sha1": sha1}


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _metadata(sc) -> dict:
    md = sc.metadata
    out = {}
    for field in ("title", "movementName", "movementNumber", "composer", "number", "opusNumber",
                  "alternativeTitle"):
        try:
            out[field] = _text(getattr(md, field)) if md is not None else ""
        except Exception:  # an odd metadata field: left empty
            out[field] = ""
    return out


def _out_name(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") + ".mid"


def _drop_repeats(sc) -> None:
    """Repeat barlines made plain and repeat expressions removed, in place."""
    from music21 import bar, repeat, stream

    for m in sc.recurse().getElementsByClass(stream.Measure):
        if isinstance(m.leftBarline, bar.Repeat):
            m.leftBarline = None
        if isinstance(m.rightBarline, bar.Repeat):
            m.rightBarline = bar.Barline("regular")
    for expr in list(sc.recurse().getElementsByClass(repeat.RepeatExpression)):
        expr.activeSite.remove(expr)


#: music21 writes 10080 ticks per quarter; a long movement then passes 10 million ticks, which
#: pretty_midi (keymidi's reader) takes for a corrupt file. The MIDI is written with 1008.
TICK_DIVISOR = 10


def _coarser_ticks(mf):
    """``mf`` (a music21 MidiFile) with its resolution divided by :data:`TICK_DIVISOR`,
    rounding absolute times (no drift)."""
    from music21 import midi

    mf.ticksPerQuarterNote //= TICK_DIVISOR
    for track in mf.tracks:
        tick = new_prev = 0
        for event in track.events:
            if isinstance(event, midi.DeltaTime):
                tick += event.time
                new = int(round(tick / TICK_DIVISOR))
                event.time = new - new_prev
                new_prev = new
    return mf


def convert_one(spec: str, out_dir: str) -> dict:
    path, number = split_spec(spec)
    refuse_path(path)
    from music21 import corpus, key, midi, stream

    full = str(corpus.getWork(path))
    with open(full, "rb") as fh:
        score_sha1 = hashlib.sha1(fh.read()).hexdigest()
    sc = corpus.parse(path, forceSource=True) if number is None else corpus.parse(path, number=number,
                                                                                  forceSource=True)
    if not isinstance(sc, stream.Score):
        raise ValueError(f"not a single score (music21 read a {type(sc).__name__})")
    info = {"path": spec, "score_sha1": score_sha1, "parts": len(sc.parts), **_metadata(sc)}
    sc = sc.toSoundingPitch()
    encoded = []
    for part_index, part in enumerate(sc.parts):
        for ks in list(part.recurse().getElementsByClass(key.KeySignature)):
            offset = float(ks.getOffsetInHierarchy(sc))
            encoded.append([part_index, offset, int(ks.sharps), getattr(ks, "mode", None) or ""])
            if isinstance(ks, key.Key):
                ks.activeSite.replace(ks, key.KeySignature(ks.sharps))
    info["encoded_signatures"] = encoded
    try:
        mf = midi.translate.music21ObjectToMidiFile(sc)
        info["repeats"] = "played"
    except Exception as exc:  # music21.repeat.ExpanderException: badly formed repeats
        if "repeat" not in f"{type(exc).__name__} {exc}".lower():
            raise
        _drop_repeats(sc)
        mf = midi.translate.music21ObjectToMidiFile(sc)
        info["repeats"] = f"not played ({type(exc).__name__}: {exc}); written once through"
    data = _coarser_ticks(mf).writestr()
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, _out_name(spec))
    tmp = target + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    info.update(midi=target, midi_sha1=hashlib.sha1(data).hexdigest())
    return info


def main(argv: list[str]) -> int:
    import warnings

    warnings.simplefilter("ignore")
    if argv[:1] == ["list"]:
        print(json.dumps(list_corpus()), flush=True)
        return 0
    if argv[:1] == ["convert"] and len(argv) >= 3 and argv[1] == "--out":
        out_dir, paths = argv[2], argv[3:]
        for path in paths:
            try:
                info = convert_one(path, out_dir)
            except Exception as exc:  # one bad score is a reported row, not an abort
                info = {"path": path, "error": f"{type(exc).__name__}: {exc}"}
            print(json.dumps(info, sort_keys=True), flush=True)
        return 0
    print("usage: convert.py list | convert --out DIR PATH...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
