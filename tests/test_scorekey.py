"""The scorekey benchmark (helpers.benchmarks.scorekey): corpus rules (music21's Bach never
used), key evidence on scores, manifest, tracks.csv layout, the fetch's sha1 refusal.

Offline and fast, without music21: MIDI files are built here with pretty_midi, and the
conversion step is replaced by the records it would print. One test converts a shipped
row for real; it needs the scorekey side venv (``scripts/setup_env.sh scorekey``) and is
skipped, with that reason, when the venv is absent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pretty_midi = pytest.importorskip("pretty_midi")

from helpers.benchmarks.debian.common import ManifestError  # noqa: E402
from helpers.benchmarks.keymidi import common as km_common  # noqa: E402
from helpers.benchmarks.keymidi.evidence import read_midi  # noqa: E402
from helpers.benchmarks.scorekey import common, convert, evidence, fetch, find, manifest  # noqa: E402
from helpers.data import write_rows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

MAJOR_PHRASE = [0, 4, 7, 5, 4, 2, 11, 0, 4, 2, 0, 7, 5, 4, 2, 0]
MINOR_PHRASE = [0, 3, 7, 5, 3, 2, 11, 0, 3, 2, 0, 7, 5, 3, 2, 0]


def make_midi(tonic: int, minor: bool = False, ks: list[tuple[int, float]] | None = None, bars: int = 4,
              melody_only: bool = False) -> bytes:
    """A two-voice piece in ``tonic`` (melody over a held bass) of ``bars`` 4-s bars, ending on
    the tonic triad over the tonic. ``ks``: ``[(pretty_midi key number, time)]``; the
    converter writes every signature as the major key of its sharps (key numbers 0-11)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=40)
    phrase = MINOR_PHRASE if minor else MAJOR_PHRASE
    t = 0.0
    for _ in range(bars):
        for i, d in enumerate(phrase):
            inst.notes.append(pretty_midi.Note(90, 60 + (tonic + d) % 12, t + i * 0.25, t + i * 0.25 + 0.24))
        if not melody_only:
            inst.notes.append(pretty_midi.Note(80, 36 + tonic % 12, t, t + 1.99))
            inst.notes.append(pretty_midi.Note(80, 36 + (tonic + 7) % 12, t + 2, t + 3.99))
        t += 4.0
    third = (tonic + (3 if minor else 4)) % 12
    chord = (36 + tonic % 12, 48 + tonic % 12, 48 + third, 48 + (tonic + 7) % 12)
    for p in chord[:1] if melody_only else chord:
        inst.notes.append(pretty_midi.Note(90, p, t, t + 2.0))
    pm.instruments.append(inst)
    for number, time in ks or []:
        pm.key_signature_changes.append(pretty_midi.KeySignature(number, time))
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def facts(data: bytes):
    return read_midi(data)


# -- the corpus rules: music21's Bach is never used ------------------------------------------

@pytest.mark.parametrize("path", [
    "bach/bwv66.6.mxl", "bach/bwv1.6.mxl", "bach/anything/else.krn", "Bach/BWV7.7.xml",
    "/usr/lib/python3/site-packages/music21/corpus/bach/bwv269.mxl", "bach", "bach/",
    "other/chorale_15.xml", "misc/bwv846.krn",
])
def test_every_path_of_music21s_bach_corpus_is_refused(path):
    with pytest.raises(convert.RefusedPath, match="never used"):
        convert.refuse_path(path)
    assert "never used" in convert.excluded(path)


def test_cpe_bach_and_the_tonal_folders_are_not_refused():
    for path in ("cpebach/h186.mxl", "haydn/opus1no1/movement1.mxl", "mozart/k80/movement1.mxl",
                 "beethoven/opus18no1/movement1.krn", "schumann_robert/opus41no1/movement2.mxl"):
        convert.refuse_path(path)
        assert convert.excluded(path) is None, path


def test_modal_folk_atonal_and_demo_folders_are_excluded():
    for folder in ("palestrina", "josquin", "monteverdi", "ciconia", "luca", "trecento", "lusitano",
                   "essenFolksong", "ryansMammoth", "oneills1850", "airdsAirs", "miscFolk", "leadSheet",
                   "nottingham-dataset", "schoenberg", "webern", "demos", "theoryExercises"):
        assert convert.excluded(f"{folder}/piece.mxl"), folder
    assert convert.REFUSED_DIR == "bach" and "bach" not in convert.EXCLUDED_DIRS  # refused, not merely excluded
    assert "all movements in one score" in convert.excluded("beethoven/opus132.mxl")


def test_the_converter_refuses_bach_before_touching_music21():
    # convert_one checks the path before importing music21 (not installed in the study venv)
    with pytest.raises(convert.RefusedPath):
        convert.convert_one("bach/bwv66.6.mxl", "/nonexistent")
    proc = subprocess.run([sys.executable, str(common.CONVERT_SCRIPT), "convert", "--out", "/nonexistent",
                           "bach/bwv66.6.mxl"], capture_output=True, text=True, check=True)
    row = json.loads(proc.stdout.strip().splitlines()[-1])
    assert row["path"] == "bach/bwv66.6.mxl" and "RefusedPath" in row["error"]


def test_find_marks_bach_refused_without_converting_it():
    rows = find.analyse(["bach/bwv66.6.mxl", "palestrina/agnus.krn", "haydn/x/movement1.mxl"], {}, "10.5.1")
    status = {r["path"]: (r["status"], r["reason"]) for r in rows}
    assert status["bach/bwv66.6.mxl"][0] == "refused"
    assert status["palestrina/agnus.krn"][0] == "excluded"
    assert status["haydn/x/movement1.mxl"] == ("unreadable", "not converted")


def test_the_shipped_manifest_has_no_bach_and_validates():
    path = manifest.shipped_manifest()
    if not path.is_file():
        pytest.skip("no shipped manifest yet")
    rows = manifest.read_manifest(path)
    assert rows, "the shipped manifest is empty"
    for row in rows:
        assert convert.corpus_dir(row["path"]) != "bach" and not row["path"].lower().startswith("bach")
        assert convert.excluded(row["path"]) is None
    assert len({r["track_id"] for r in rows}) == len(rows)


# -- movements and titles ----------------------------------------------------------------------

SIBLINGS = ["haydn/opus1no1/movement1.mxl", "haydn/opus1no1/movement2.mxl", "haydn/opus1no1/movement3.mxl",
            "haydn/opus1no1/movement5.mxl", "corelli/opus3no1/1grave.xml", "cpebach/h186.mxl",
            "schumann_clara/opus17/movement3.xml", "joplin/maple_leaf_rag.mxl"]


@pytest.mark.parametrize("path,texts,want", [
    ("haydn/opus1no1/movement1.mxl", (), ("first", 1, 5)),
    ("haydn/opus1no1/movement2.mxl", (), ("inner", 2, 5)),
    ("haydn/opus1no1/movement5.mxl", (), ("last", 5, 5)),
    ("corelli/opus3no1/1grave.xml", (), ("first", 1, 1)),
    ("schumann_clara/opus17/movement3.xml", (), ("unknown", 3, 3)),
    ("cpebach/h186.mxl", ("Sonana in A Major, H. 186, Wq. 55/4: Second movement, Poco adagio",), ("unknown", 2, 2)),
    ("joplin/maple_leaf_rag.mxl", ("maple_leaf_rag.mxl",), ("single", None, 1)),
])
def test_movement_position(path, texts, want):
    assert evidence.movement_position(path, SIBLINGS, texts) == want


def test_a_work_title_is_read_for_first_and_last_movements_only():
    meta = {"title": "String Quartet No. 1 in F Major, Op. 18, No. 1", "movementName": "Adagio"}
    texts, note = evidence.score_texts("beethoven/opus18no1/movement1.krn", meta, "first")
    assert ("title", meta["title"]) in texts and note == ""
    texts, note = evidence.score_texts("beethoven/opus18no1/movement2.krn", meta, "inner")
    assert all(source == "filename" for source, _ in texts)
    assert "not applied to a inner movement" in note and "F major" in note
    texts, _ = evidence.score_texts("cpebach/h186.mxl", {"movementName": "Sonata in A Major: Second movement"},
                                    "unknown")
    assert all(source == "filename" for source, _ in texts)


# -- the key evidence --------------------------------------------------------------------------

def test_a_modeless_signature_read_as_major_when_the_notes_say_major():
    ev = evidence.decide_score(facts(make_midi(5, ks=[(5, 0.0)])), [])  # 1 flat, F major notes
    assert ev.key == "F major" and ev.basis == "key_signature" and ev.mode_trusted == "yes"
    assert "read as F major, not as D minor" in ev.ks_evidence


def test_a_modeless_signature_read_as_the_relative_minor_when_the_notes_say_minor():
    ev = evidence.decide_score(facts(make_midi(2, minor=True, ks=[(5, 0.0)])), [])  # 1 flat, D minor notes
    assert ev.key == "D minor" and ev.mode_trusted == "yes", ev.reason
    assert "read as D minor, not as F major" in ev.ks_evidence


def test_a_signature_only_key_whose_opening_bass_is_the_relative_tonic_is_dropped():
    data = make_midi(2, minor=True, ks=[(5, 0.0)])
    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    pm.instruments[0].notes.append(pretty_midi.Note(80, 29, 0.0, 1.0))  # an F below the bass at the start
    buf = io.BytesIO()
    pm.write(buf)
    ev = evidence.decide_score(facts(buf.getvalue()), [])
    assert ev.key is None and "first bass note is F, the tonic of the relative key F major" in ev.reason


def test_the_encoded_minor_flag_is_not_trusted_either():
    # a MIDI minor flag (D minor) on F major notes: read both ways, the notes decide
    ev = evidence.decide_score(facts(make_midi(5, ks=[(14, 0.0)])), [])
    assert ev.key == "F major", ev.reason


def test_title_and_signature_must_agree():
    f = facts(make_midi(2, minor=True, ks=[(5, 0.0)]))
    ev = evidence.decide_score(f, [("title", "Sonata in D minor")])
    assert ev.key == "D minor" and ev.basis == "key_signature+title" and ev.title_key == "D minor"
    ev = evidence.decide_score(f, [("title", "Sonata in G major")])
    assert ev.key is None and ev.reason == "key signature F major (or D minor) disagrees with the title's G major"


def test_a_signature_changing_mid_piece_is_dropped_in_both_readings():
    ev = evidence.decide_score(facts(make_midi(7, ks=[(7, 0.0), (2, 8.0)])), [])
    assert ev.key is None and ev.reason.startswith("key signature changes mid-piece: G major (or E minor) holds")


def test_no_signature_no_title_is_dropped():
    ev = evidence.decide_score(facts(make_midi(7)), [])
    assert ev.key is None and ev.reason.startswith("no key stated")


def test_polyphony_of_a_melody_and_of_two_voices():
    assert evidence.polyphony(facts(make_midi(7, ks=[(7, 0.0)]))) > 0.9
    assert evidence.polyphony(facts(make_midi(7, ks=[(7, 0.0)], melody_only=True))) < 0.1


# -- find -> manifest -> fetch on a fixture "corpus" ---------------------------------------------

def _converted(tmp_path: Path, pieces: dict[str, bytes], meta: dict[str, dict] | None = None) -> dict[str, dict]:
    out = {}
    for path, data in pieces.items():
        midi = tmp_path / (path.replace("/", "_") + ".mid")
        midi.write_bytes(data)
        out[path] = {"path": path, "midi": str(midi), "midi_sha1": hashlib.sha1(data).hexdigest(),
                     "score_sha1": hashlib.sha1(path.encode()).hexdigest(), "parts": 2, "composer": "X",
                     "title": "", "movementName": "", "movementNumber": "", "encoded_signatures": [[0, 0.0, -1, "minor"]],
                     **(meta or {}).get(path, {})}
    return out


def _fixture_report(tmp_path: Path) -> list[dict]:
    pieces = {
        "haydn/op1/movement1.mxl": make_midi(5, ks=[(5, 0.0)]),                 # F major by signature + notes
        "haydn/op1/movement2.mxl": make_midi(2, minor=True, ks=[(5, 0.0)]),     # D minor: inner, title not read
        "haydn/op1/movement3.mxl": make_midi(5, ks=[(5, 0.0)], bars=5),          # last: title F major agrees
        "haydn/op1/movement3.krn": make_midi(5, ks=[(5, 0.0)], bars=6),          # the preferred encoding
        "weber/tune.mxl": make_midi(7, ks=[(7, 0.0)], melody_only=True),        # not polyphonic
    }
    title = {"title": "Quartet in F major"}
    meta = {p: title for p in pieces if p.startswith("haydn")}
    paths = ["bach/bwv66.6.mxl", *pieces, "essenFolksong/han1.abc"]
    del pieces["haydn/op1/movement3.mxl"]  # a duplicate encoding is never converted
    return find.analyse(paths, _converted(tmp_path, pieces, meta), "10.5.1")


def test_analyse_applies_the_rules_row_by_row(tmp_path):
    rows = {r["path"]: r for r in _fixture_report(tmp_path)}
    assert rows["bach/bwv66.6.mxl"]["status"] == "refused"
    assert rows["essenFolksong/han1.abc"]["status"] == "excluded"
    assert rows["haydn/op1/movement3.mxl"]["status"] == "duplicate"
    m1, m2, m3 = (rows[f"haydn/op1/movement{i}.{'krn' if i == 3 else 'mxl'}"] for i in (1, 2, 3))
    assert (m1["status"], m1["key"], m1["basis"], m1["position"]) == ("kept", "F major", "key_signature+title",
                                                                     "first (1 of 3)")
    assert (m2["status"], m2["key"], m2["basis"]) == ("kept", "D minor", "key_signature")
    assert "not applied to a inner movement" in m2["title_evidence"]
    assert (m3["status"], m3["key"], m3["position"]) == ("kept", "F major", "last (3 of 3)")
    assert m1["encoded_mode"] == "minor"  # recorded, not trusted
    assert rows["weber/tune.mxl"]["status"] == "dropped" and "not polyphonic" in rows["weber/tune.mxl"]["reason"]


def _write_manifest(tmp_path: Path, rows: list[dict]) -> Path:
    return write_rows(tmp_path / "key.csv", rows, common.MANIFEST_COLUMNS)


def test_manifest_round_trip_and_its_errors_name_row_and_value(tmp_path):
    rows = find.manifest_rows(_fixture_report(tmp_path))
    assert [r["track_id"] for r in rows] == ["haydn--op1-movement1", "haydn--op1-movement2", "haydn--op1-movement3"]
    assert manifest.read_manifest(_write_manifest(tmp_path, rows)) == [{c: str(r[c]) for c in common.MANIFEST_COLUMNS}
                                                                      for r in rows]
    bad = [dict(r) for r in rows]
    bad[0]["path"] = "bach/bwv66.6.mxl"
    bad[1]["key"] = "d minor"
    bad[2]["midi_sha1"] = "xyz"
    with pytest.raises(ManifestError) as err:
        manifest.read_manifest(_write_manifest(tmp_path, bad))
    text = str(err.value)
    assert "key.csv:2" in text and "never used" in text
    assert "key.csv:3" in text and "'d minor'" in text
    assert "key.csv:4" in text and "'xyz'" in text
    inner = [dict(rows[1], basis="key_signature+title", title_key="D minor")]
    with pytest.raises(ManifestError, match="position is 'inner"):
        manifest.read_manifest(_write_manifest(tmp_path, inner))
    with pytest.raises(ManifestError, match="cannot read"):
        manifest.read_manifest(tmp_path / "missing.csv")


def test_the_fetch_refuses_midi_bytes_that_differ_from_the_manifest(tmp_path):
    row = find.manifest_rows(_fixture_report(tmp_path))[0]
    info = {"path": row["path"], "score_sha1": row["score_sha1"], "midi": str(tmp_path / "x.mid")}
    Path(info["midi"]).write_bytes(b"MThd other bytes")
    with pytest.raises(ValueError, match="MIDI bytes differ from the manifest's.*refused"):
        fetch.checked_midi(row, info)
    with pytest.raises(ValueError, match="another score"):
        fetch.checked_midi(row, {**info, "score_sha1": "0" * 40})
    with pytest.raises(ValueError, match="cannot convert"):
        fetch.checked_midi(row, {"path": row["path"], "error": "boom"})


class _StandIn:
    """A renderer stand-in: the fetch's bookkeeping without FluidSynth."""

    kind = "fluidsynth"
    soundfont = Path("GeneralUser-v1.47.sf2")
    soundfont_label = "GeneralUser-v1.47.sf2 (stand-in)"
    label = "stand-in"


def test_fetch_writes_keymidis_tracks_csv_layout_and_resumes(tmp_path, monkeypatch):
    report = _fixture_report(tmp_path)
    rows = find.manifest_rows(report)
    man = _write_manifest(tmp_path, rows)
    conv = {r["path"]: {"path": r["path"], "score_sha1": r["score_sha1"],
                        "midi": str(tmp_path / (r["path"].replace("/", "_") + ".mid"))} for r in rows}
    calls = []

    def fake_convert(todo, cache_dir, python):
        calls.append(len(todo))
        return {r["path"]: conv[r["path"]] for r in todo}, "10.5.1"

    def fake_render(data, rend, seconds):
        return np.full(32000, 0.5, dtype=np.float32), 0.0, 1.0

    monkeypatch.setattr(fetch, "convert_rows", fake_convert)
    from helpers.benchmarks.keymidi import fetch as keymidi_fetch

    monkeypatch.setattr(keymidi_fetch, "render_excerpt", fake_render)  # the shared write_excerpt renders
    out = tmp_path / "out"
    tracks, skipped = fetch.fetch_tracks(out, tmp_path / "cache", manifest=man, ready=_StandIn())
    assert len(tracks) == 3 and skipped == [] and calls == [3]
    with open(out / "tracks.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == km_common.TRACKS_COLUMNS  # the same layout as data/keymidi/tracks.csv
    assert tracks[0]["group"] == "haydn" and tracks[0]["source"] == "music21 10.5.1:haydn/op1/movement1.mxl"
    tracks2, _ = fetch.fetch_tracks(out, tmp_path / "cache", manifest=man, ready=_StandIn())
    assert tracks2 == tracks and calls == [3]  # nothing converted or rendered again
    from helpers.benchmarks.annotated import read_annotated

    table = read_annotated(f"csv:{out / 'tracks.csv'}")
    assert sorted(table["key"]) == ["D minor", "F major", "F major"]


# -- the side venv (music21) -------------------------------------------------------------------

def test_setup_env_has_the_scorekey_group_and_a_hashed_lock():
    text = (ROOT / "scripts" / "setup_env.sh").read_text()
    assert 'scorekey) LOCKS=("$ROOT/requirements/scorekey.lock")' in text and 'IMPORTS="import music21"' in text
    lock = (ROOT / "requirements" / "scorekey.lock").read_text()
    assert "music21==10.5.1" in lock and "--hash=sha256:" in lock


def _side_python() -> Path | None:
    explicit = os.environ.get("SYNTHMIR_SCOREKEY_PYTHON")
    if explicit:
        return Path(explicit)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "synthmir"
    done = sorted(base.glob("scorekey-venv-*/.complete"))
    return done[-1].parent / "bin" / "python" if done else None


def test_a_shipped_row_converts_to_the_recorded_midi_bytes(tmp_path):
    """Needs the scorekey side venv (scripts/setup_env.sh scorekey); skipped without it."""
    python = _side_python()
    if python is None or not python.is_file():
        pytest.skip("no scorekey side venv (scripts/setup_env.sh scorekey makes it)")
    path = manifest.shipped_manifest()
    if not path.is_file():
        pytest.skip("no shipped manifest yet")
    row = min(manifest.read_manifest(path), key=lambda r: float(r["n_notes"]))
    conv, version = common.convert_paths(python, [row["path"]], tmp_path)
    assert version == row["version"]
    assert fetch.checked_midi(row, conv[row["path"]])
