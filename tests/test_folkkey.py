"""The folkkey benchmark (helpers.benchmarks.folkkey): ABC tunes and their stated keys, the
rules and the seeded draw, the manifest, and the fetch through scorekey's.

Offline and fast, without music21: the ABC texts are written here, MIDI files are built with
pretty_midi, and the conversion step is replaced by the records it would print. One test
converts a shipped row for real; it needs the scorekey side venv and is skipped without it.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pytest

pretty_midi = pytest.importorskip("pretty_midi")

from helpers.benchmarks.debian.common import ManifestError  # noqa: E402
from helpers.benchmarks.folkkey import FOLKKEY, abc, common, find, manifest  # noqa: E402
from helpers.data import write_rows  # noqa: E402
from helpers.benchmarks.keymidi import common as km_common  # noqa: E402
from helpers.benchmarks.scorekey import convert  # noqa: E402
from helpers.benchmarks.scorekey import fetch as sk_fetch  # noqa: E402

from test_scorekey import _StandIn, _side_python, make_midi  # noqa: E402

BOOK = """% a tune book
X: 1
T: The First Reel
R: reel
M: 4/4
K:G
GABc dedB|dedB dedB|
X: 2
T: A Minor Air
K: Em
E2 ED|E4|
X: 3
T: A Modal Tune
K:Dmix
D2 FA|=c2 BA|
X: 4
T: Changes Key
K:D
DFA|[K:G] GBd|
X: 5
T: No Mode Word
K:HP
ABc|
X: 6
T: Flat Major
K:Bbmaj
B2 d2|
"""


@pytest.mark.parametrize("text, key", [
    ("G", "G major"), ("Gmaj", "G major"), ("G major", "G major"), ("Gion", "G major"), ("Em", "E minor"),
    ("Emin", "E minor"), ("E minor", "E minor"), ("Eaeo", "E minor"), ("Bb", "A# major"), ("F#m", "F# minor"),
    ("D clef=treble", "D major"), (" A % comment", "A major"),
])
def test_a_major_or_minor_k_field_is_read(text, key):
    assert abc.key_of_field(text) == (key, "")


@pytest.mark.parametrize("text, why", [
    ("Dmix", "modal (mixolydian)"), ("AMix", "modal (mixolydian)"), ("E dor", "modal (dorian)"),
    ("Ador", "modal (dorian)"), ("Bphr", "modal (phrygian)"), ("HP", "no major or minor key"),
    ("none", "no major or minor key"), ("", "no K: field"), ("Bn", "not understood"), ("H", "not a key"),
])
def test_a_modal_or_empty_k_field_states_no_key(text, why):
    key, reason = abc.key_of_field(text)
    assert key is None and why in reason


def test_parse_tunes_reads_headers_and_later_key_changes():
    tunes = abc.parse_tunes(BOOK)
    assert [t.number for t in tunes] == [1, 2, 3, 4, 5, 6]
    first = tunes[0]
    assert (first.title, first.rhythm, first.meter, first.key_field, first.line) == ("The First Reel", "reel",
                                                                                      "4/4", "G", 2)
    assert tunes[1].key_field == "Em" and tunes[1].body_keys == []
    assert tunes[3].body_keys == ["G"] and tunes[3].describe_key_changes() == "K:G"


def test_the_rules_keep_stated_major_and_minor_keys_once():
    other = BOOK.replace("The First Reel", "The First Reel Again")
    kept, aside = find.candidates({"oneills1850/b.abc": other, "oneills1850/a.abc": BOOK})
    assert [(r["tune"], r["key"], r["path"]) for r in kept] == [
        (1, "G major", "oneills1850/a.abc#1"), (2, "E minor", "oneills1850/a.abc#2"),
        (6, "A# major", "oneills1850/a.abc#6")]
    why = {(r["path"], r["tune"]): r["reason"] for r in aside}
    assert "modal (mixolydian)" in why[("oneills1850/a.abc#3", 3)]
    assert "key changes in the tune (K:G)" in why[("oneills1850/a.abc#4", 4)]
    assert "no major or minor key" in why[("oneills1850/a.abc#5", 5)]
    assert "taken from oneills1850/a.abc" in why[("oneills1850/b.abc#1", 1)]  # the copy in the later file
    assert kept[0]["track_id"] == "oneills1850--0001"


def test_the_draw_is_fixed_by_its_seed():
    rows = [{"tune": n, "path": f"oneills1850/a.abc#{n}"} for n in range(40, 0, -1)]
    a = [r["tune"] for r in find.random_order(rows, 20261204)]
    assert a == [r["tune"] for r in find.random_order(list(reversed(rows)), 20261204)]  # not the file order
    assert sorted(a) == list(range(1, 41)) and a != sorted(a)
    assert a != [r["tune"] for r in find.random_order(rows, 1)]


def _info(tmp_path: Path, spec: str, data: bytes, title: str) -> dict:
    midi = tmp_path / (spec.replace("/", "_").replace("#", "_") + ".mid")
    midi.write_bytes(data)
    return {"path": spec, "midi": str(midi), "midi_sha1": hashlib.sha1(data).hexdigest(),
            "score_sha1": hashlib.sha1(b"book").hexdigest(), "title": title}


def _row(number: int, key: str, title: str = "A Tune") -> dict:
    return {"path": f"oneills1850/a.abc#{number}", "tune": number, "title": title, "rhythm": "reel",
            "key_field": key.split()[0][0] + ("m" if "minor" in key else ""), "line": 3, "key": key,
            "track_id": common.track_id(number)}


def test_check_tune_needs_the_same_tune_enough_notes_and_notes_that_confirm_the_key(tmp_path):
    g_major = make_midi(7, melody_only=True)
    row, _ = find.check_tune(_row(1, "G major"), _info(tmp_path, "oneills1850/a.abc#1", g_major, "A Tune"))
    assert row["status"] == "kept" and row["mode_check"].startswith("end bass G") and row["in_key"] == 1.0
    row, _ = find.check_tune(_row(2, "G major", "Tune, A"), _info(tmp_path, "x#2", g_major, "A Tune."))
    assert row["status"] == "kept"  # music21 writes "Tune, A" as "A Tune"
    row, _ = find.check_tune(_row(3, "G major"), _info(tmp_path, "x#3", g_major, "Another Tune"))
    assert row["status"] == "dropped" and "another tune" in row["reason"]
    row, _ = find.check_tune(_row(4, "E minor"), _info(tmp_path, "x#4", g_major, "A Tune"))
    assert row["status"] == "dropped" and "do not confirm E minor" in row["reason"]  # ends on G: relative
    row, _ = find.check_tune(_row(5, "G major"), _info(tmp_path, "x#5", make_midi(7, melody_only=True, bars=1),
                                                        "A Tune"))
    assert row["status"] == "dropped" and "too short" in row["reason"]
    row, _ = find.check_tune(_row(6, "G major"), {"path": "x#6", "error": "StreamException: boom"})
    assert row["status"] == "dropped" and "cannot convert it: StreamException" in row["reason"]


def _kept_rows(tmp_path: Path) -> list[dict]:
    out = []
    for number, tonic, key in ((1, 7, "G major"), (2, 4, "E minor"), (3, 2, "D major")):
        data = make_midi(tonic, minor="minor" in key, melody_only=True)
        row, _ = find.check_tune(_row(number, key), _info(tmp_path, f"oneills1850/a.abc#{number}", data, "A Tune"))
        assert row["status"] == "kept"
        out.append(find.manifest_row(row, "10.5.1"))
    return out


def _write_manifest(tmp_path: Path, rows: list[dict]) -> Path:
    return write_rows(tmp_path / "key.csv", rows, common.MANIFEST_COLUMNS)


def test_manifest_round_trip_and_its_errors_name_row_and_value(tmp_path):
    rows = _kept_rows(tmp_path)
    assert manifest.read_manifest(_write_manifest(tmp_path, rows)) == [
        {c: str(r[c]) for c in common.MANIFEST_COLUMNS} for r in rows]
    bad = [dict(r) for r in rows]
    bad[0]["path"] = "bach/bwv66.6.mxl#1"
    bad[1]["tune"] = "7"
    bad[2]["ks_key"] = "B minor"
    with pytest.raises(ManifestError) as err:
        manifest.read_manifest(_write_manifest(tmp_path, bad))
    text = str(err.value)
    assert "key.csv:2" in text and "never used" in text
    assert "key.csv:3" in text and "does not name tune '7'" in text
    assert "key.csv:4" in text and "ks_key 'B minor' differs from key 'D major'" in text
    with pytest.raises(ManifestError, match="not a tune of oneills1850"):
        manifest.read_manifest(_write_manifest(tmp_path, [dict(rows[0], path="haydn/a.abc#1")]))
    with pytest.raises(ManifestError, match="did not confirm"):
        manifest.read_manifest(_write_manifest(tmp_path, [dict(rows[0], mode_trusted="no")]))


def test_a_tune_spec_names_a_file_and_a_number():
    assert convert.split_spec("oneills1850/0001-0050.abc#12") == ("oneills1850/0001-0050.abc", 12)
    assert convert.split_spec("haydn/opus1no1/movement1.mxl") == ("haydn/opus1no1/movement1.mxl", None)
    with pytest.raises(ValueError, match="whole number"):
        convert.split_spec("oneills1850/a.abc#x")
    with pytest.raises(convert.RefusedPath):
        convert.convert_one("bach/bwv66.6.mxl#1", "/nonexistent")  # refused before music21 is imported


def test_fetch_through_scorekeys_writes_keymidis_layout_and_resumes(tmp_path, monkeypatch):
    rows = _kept_rows(tmp_path)
    man = _write_manifest(tmp_path, rows)
    conv = {r["path"]: {"path": r["path"], "score_sha1": r["score_sha1"],
                        "midi": str(tmp_path / (r["path"].replace("/", "_").replace("#", "_") + ".mid"))}
            for r in rows}
    calls = []

    def fake_convert(todo, cache_dir, python):
        calls.append(len(todo))
        return {r["path"]: conv[r["path"]] for r in todo}, "10.5.1"

    def fake_render(data, rend, seconds):
        return np.full(32000, 0.5, dtype=np.float32), 0.0, 1.0

    monkeypatch.setattr(sk_fetch, "convert_rows", fake_convert)
    from helpers.benchmarks.keymidi import fetch as keymidi_fetch

    monkeypatch.setattr(keymidi_fetch, "render_excerpt", fake_render)
    out = tmp_path / "out"
    tracks, skipped = sk_fetch.fetch_tracks(out, tmp_path / "cache", manifest=man, ready=_StandIn(), tool=FOLKKEY)
    assert len(tracks) == 3 and skipped == [] and calls == [3]
    with open(out / "tracks.csv", newline="") as fh:
        assert tuple(next(csv.reader(fh))) == km_common.TRACKS_COLUMNS
    assert tracks[0]["group"] == "oneills1850" and tracks[0]["source"] == "music21 10.5.1:oneills1850/a.abc#1"
    tracks2, _ = sk_fetch.fetch_tracks(out, tmp_path / "cache", manifest=man, ready=_StandIn(), tool=FOLKKEY)
    assert tracks2 == tracks and calls == [3]
    from helpers.benchmarks.annotated import read_annotated

    assert sorted(read_annotated(f"csv:{out / 'tracks.csv'}")["key"]) == ["D major", "E minor", "G major"]


def test_the_shipped_manifest_validates_and_is_a_random_sample():
    rows = manifest.read_manifest()
    assert len(rows) == common.SAMPLE_SIZE
    assert {r["path"].split("/")[0] for r in rows} == {"oneills1850"}
    numbers = sorted(int(r["tune"]) for r in rows)
    assert numbers[0] < 100 and numbers[-1] > 1700  # drawn across the whole collection


def test_a_shipped_row_converts_to_the_recorded_midi_bytes(tmp_path):
    """Needs the scorekey side venv (scripts/setup_env.sh scorekey); skipped without it."""
    from helpers.benchmarks.scorekey import common as sk_common

    python = _side_python()
    if python is None or not python.is_file():
        pytest.skip("no scorekey side venv (scripts/setup_env.sh scorekey makes it)")
    row = min(manifest.read_manifest(), key=lambda r: float(r["n_notes"]))
    conv, version = sk_common.convert_paths(python, [row["path"]], tmp_path)
    assert version == row["version"]
    assert sk_fetch.checked_midi(row, conv[row["path"]])


def test_ryans_collection_has_one_tune_per_file_and_copies_by_title():
    from helpers.benchmarks.folkkey.common import RYANS
    from helpers.benchmarks.folkkey.ryans import FIDDLEKEY

    one = "X:1\nT:Acacia -- Reel\nK:G\nGABc|\n"
    again = "X:1\nT:ACACIA  REEL\nK:D\nDEFG|\n"
    other = "X:1\nT:Admirals Hornpipe\nK:Am\nABcd|\n"
    kept, aside = find.candidates({"ryansMammoth/AcaciaReel.abc": one, "ryansMammoth/AcaciaReel2.abc": again,
                                   "ryansMammoth/AdmiralsHornpipe.abc": other}, RYANS)
    assert [(r["track_id"], r["key"]) for r in kept] == [("ryansmammoth--acaciareel", "G major"),
                                                         ("ryansmammoth--admiralshornpipe", "A minor")]
    assert "the title 'ACACIA  REEL' is taken from ryansMammoth/AcaciaReel.abc" in aside[0]["reason"]
    assert FIDDLEKEY.module == "helpers.benchmarks.folkkey.ryans" and RYANS.seed != common.ONEILLS.seed


def test_a_manifest_row_of_one_collection_is_refused_by_the_other(tmp_path):
    from helpers.benchmarks.folkkey.common import RYANS

    rows = _kept_rows(tmp_path)
    with pytest.raises(ManifestError, match="is not a tune of ryansMammoth"):
        manifest.read_manifest(_write_manifest(tmp_path, rows), RYANS)
