"""Tempo and key benchmarks read in their own layouts (helpers.benchmarks.annotated).

The fixtures under tests/fixtures/annotated/ are subsets of the real annotation repositories
(GiantSteps Key, GiantSteps MTG Key, GiantSteps Tempo v1+v2, Krebs' Ballroom beats,
gtzan_tempo_beat, GTZAN-Rhythm v2's stats.csv and GTZANindex.txt, Lerch's gtzan_key), with
the real file names and values, beside tiny silent audio files where the datasets put them.
Tests that break or move a file work on a copy in tmp_path.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from helpers.benchmarks.annotated import (ANNOTATED_KINDS, COLUMNS, BenchmarkError, normalise_key, parse_spec,
                                          read_annotated)

FIX = Path(__file__).parent / "fixtures" / "annotated"


def copy(name, tmp_path) -> Path:
    return Path(shutil.copytree(FIX / name, tmp_path / name))


def by_id(tracks):
    return tracks.set_index("track_id")


def reasons(skipped):
    return {Path(p).name: r for p, r in zip(skipped["path"], skipped["reason"])}


def silence(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.zeros(80, dtype=np.float32), 8000)
    return path


# --- keys ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, key", [
    ("F# minor", "F# minor"), ("Gb minor", "F# minor"), ("f#m", "F# minor"), ("E major", "E major"),
    ("Ebmaj", "D# major"), ("C:min", "C minor"), ("A:minor", "A minor"), ("Db major", "C# major"),
    ("Ab:major", "G# major"), ("Bb minor", "A# minor"), ("bbm", "A# minor"), ("b minor", "B minor"),
    ("Am", "A minor"), ("AM", "A major"), ("c# minor", "C# minor"), ("b major ", "B major"),
    ("Cb major", "B major"), ("E#:minor", "F minor"), ("B\u266d major", "A# major"), ("D:ionian", "D major"),
    ("E:aeolian", "E minor"),
])
def test_normalise_key_spellings_and_enharmonics(text, key):
    assert normalise_key(text) == key
    assert normalise_key(text, with_reason=True) == (key, None)


@pytest.mark.parametrize("text, why", [
    ("-", "no key"), ("X", "no key"), ("N", "no key"), ("", "no key"), (None, "no key"), (float("nan"), "no key"),
    ("D:dorian", "modal label"), ("G:mixolydian", "modal label"), ("d major / b minor", "ambiguous"),
    ("a-a# minor", "ambiguous"), ("C minor | Eb major", "ambiguous"), ("X major", "unknown tonic"),
    ("C other", "unknown mode"), ("E", "does not say major or minor"), ("H minor", "not a key label"),
    ("120", "not a key label"),
])
def test_normalise_key_refuses_with_a_reason(text, why):
    key, reason = normalise_key(text, with_reason=True)
    assert key is None and normalise_key(text) is None
    assert why in reason


# --- the spec ------------------------------------------------------------------------------

def test_spec_syntax_and_errors(tmp_path):
    kind, root, opts = parse_spec("gtzan-tempo:/data/gtzan?annotations=/data/tb&annotations=~/rhythm")
    assert (kind, root) == ("gtzan-tempo", Path("/data/gtzan"))
    assert opts == {"annotations": ["/data/tb", "~/rhythm"]}
    assert parse_spec("giantsteps-tempo:/d?version=v1")[2] == {"version": ["v1"]}
    assert parse_spec("jams:relative/dir")[1] == Path.cwd() / "relative" / "dir"
    assert set(ANNOTATED_KINDS) == {"giantsteps-key", "giantsteps-tempo", "ballroom", "gtzan-tempo", "gtzan-key",
                                    "jams", "csv"}
    with pytest.raises(BenchmarkError, match="unknown kind 'beatport'"):
        read_annotated("beatport:/x")
    with pytest.raises(BenchmarkError, match="expected <kind>:<path>"):
        read_annotated("/just/a/path")
    with pytest.raises(BenchmarkError, match="jams takes no option 'annotations'"):
        read_annotated(f"jams:{tmp_path}?annotations=/x")
    with pytest.raises(BenchmarkError, match="version='v3'"):
        read_annotated(f"giantsteps-tempo:{FIX / 'giantsteps-tempo-dataset'}?version=v3")


@pytest.mark.parametrize("kind", ["giantsteps-key", "giantsteps-tempo", "ballroom", "gtzan-tempo", "gtzan-key",
                                  "jams", "csv"])
def test_a_missing_folder_is_an_error_naming_it(kind, tmp_path):
    with pytest.raises(BenchmarkError, match=str(tmp_path / "nowhere")):
        read_annotated(f"{kind}:{tmp_path / 'nowhere'}")


def test_the_table_has_exactly_the_columns_and_types():
    tracks, skipped = read_annotated(f"giantsteps-tempo:{FIX / 'giantsteps-tempo-dataset'}", with_skipped=True)
    assert tuple(tracks.columns) == COLUMNS == ("track_id", "path", "tempo_bpm", "tempo2_bpm", "tempo_weight",
                                                "key", "group", "source")
    assert list(skipped.columns) == ["path", "reason"]
    assert all(tracks[c].dtype == float for c in ("tempo_bpm", "tempo2_bpm", "tempo_weight"))
    assert all(isinstance(v, str) for c in ("track_id", "path", "group", "source") for v in tracks[c])
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in tracks["path"])
    assert tracks["key"].isna().all()
    assert not isinstance(read_annotated(f"giantsteps-tempo:{FIX / 'giantsteps-tempo-dataset'}"), tuple)


# --- GiantSteps Tempo ------------------------------------------------------------------------

def test_giantsteps_tempo_prefers_v2_with_both_mirex_tempi():
    tracks, skipped = read_annotated(f"giantsteps-tempo:{FIX / 'giantsteps-tempo-dataset'}", with_skipped=True)
    t = by_id(tracks)
    assert list(t.index) == ["1030011.LOFI", "1068430.LOFI", "1084996.LOFI", "1118326.LOFI"]
    assert set(t["source"]) == {"giantsteps-tempo:v2"}
    # 1030011: v1 says 126; v2 127, MIREX "127.0 139.0 0.9487..." (T1 the salient one)
    assert (t.tempo_bpm["1030011.LOFI"], t.tempo2_bpm["1030011.LOFI"]) == (127.0, 139.0)
    assert t.tempo_weight["1030011.LOFI"] == pytest.approx(0.948718, abs=1e-6)
    # 1068430: MIREX "87.0 174.0 0.2197": the salient tempo is T2, v2/tempo says 174
    assert (t.tempo_bpm["1068430.LOFI"], t.tempo2_bpm["1068430.LOFI"]) == (174.0, 87.0)
    assert t.tempo_weight["1068430.LOFI"] == pytest.approx(1 - 0.21965317919075145)
    # 1118326: MIREX "170.0 0.0 1.0": one tempo only
    assert t.tempo_bpm["1118326.LOFI"] == 170.0 and math.isnan(t.tempo2_bpm["1118326.LOFI"])
    assert t.tempo_weight["1118326.LOFI"] == 1.0
    # convert_audio.sh's .wav is picked over the .mp3 beside it
    assert t.path["1084996.LOFI"].endswith("audio/1084996.LOFI.wav")
    why = reasons(skipped)
    assert "no tempo (0.0" in why["3041381.LOFI.mp3"]           # v2: no tempo found; not read from v1
    assert why["9999999.LOFI.mp3"].startswith("no tempo annotation")
    assert why["1855660.LOFI.bpm"].startswith("annotated, but no audio file 1855660.LOFI.mp3")


def test_giantsteps_tempo_v1_and_per_track_fallback(tmp_path):
    v1 = by_id(read_annotated(f"giantsteps-tempo:{FIX / 'giantsteps-tempo-dataset'}?version=v1"))
    assert set(v1["source"]) == {"giantsteps-tempo:v1"}
    assert v1.tempo_bpm.to_dict() == {"1030011.LOFI": 126.0, "1068430.LOFI": 170.0, "1084996.LOFI": 140.0,
                                      "1118326.LOFI": 171.419, "3041381.LOFI": 119.0}
    assert v1.tempo2_bpm.isna().all() and v1.tempo_weight.isna().all()
    root = copy("giantsteps-tempo-dataset", tmp_path)
    for rel in ("tempo/1030011.LOFI.bpm", "mirex/1030011.LOFI.mirex", "jams/1030011.LOFI.jams"):
        (root / "annotations_v2" / rel).unlink()
    t = by_id(read_annotated(f"giantsteps-tempo:{root}"))
    assert (t.source["1030011.LOFI"], t.tempo_bpm["1030011.LOFI"]) == ("giantsteps-tempo:v1", 126.0)
    assert t.source["1068430.LOFI"] == "giantsteps-tempo:v2"
    assert "1030011.LOFI" not in read_annotated(f"giantsteps-tempo:{root}?version=v2")["track_id"].tolist()


def test_giantsteps_tempo_jams_and_giantsteps_format_read_the_same(tmp_path):
    root = copy("giantsteps-tempo-dataset", tmp_path)
    want = by_id(read_annotated(f"giantsteps-tempo:{root}"))
    shutil.rmtree(root / "annotations_v2" / "tempo")
    shutil.rmtree(root / "annotations_v2" / "mirex")
    got = by_id(read_annotated(f"giantsteps-tempo:{root}"))       # annotations_v2/jams only
    assert got[["tempo_bpm", "tempo2_bpm"]].equals(want[["tempo_bpm", "tempo2_bpm"]])
    assert np.allclose(got.tempo_weight, want.tempo_weight)
    v1 = by_id(read_annotated(f"giantsteps-tempo:{root}?version=v1")).tempo_bpm
    shutil.rmtree(root / "annotations" / "tempo")
    shutil.rmtree(root / "annotations" / "jams")
    assert by_id(read_annotated(f"giantsteps-tempo:{root}?version=v1")).tempo_bpm.equals(v1)  # "tempo 0 126"


def test_giantsteps_tempo_in_mirdatas_layout_and_apart(tmp_path):
    home = tmp_path / "GiantSteps_tempo"
    clone = copy("giantsteps-tempo-dataset", tmp_path)
    home.mkdir()
    shutil.move(clone / "audio", home / "audio")
    shutil.move(clone, home / "giantsteps-tempo-dataset-0b7d47ba8cae59d3535a02e3db69e2cf6d0af5bb")
    assert len(read_annotated(f"giantsteps-tempo:{home}")) == 4
    apart = tmp_path / "annotations-elsewhere"
    shutil.move(home / "giantsteps-tempo-dataset-0b7d47ba8cae59d3535a02e3db69e2cf6d0af5bb", apart)
    with pytest.raises(BenchmarkError, match="no GiantSteps annotation folder"):
        read_annotated(f"giantsteps-tempo:{home}")
    assert len(read_annotated(f"giantsteps-tempo:{home}?annotations={apart}")) == 4


def test_giantsteps_tempo_bad_files_name_the_file(tmp_path):
    root = copy("giantsteps-tempo-dataset", tmp_path)
    bad = root / "annotations_v2" / "tempo" / "1068430.LOFI.bpm"
    bad.write_text("fast")
    with pytest.raises(BenchmarkError, match=rf"{bad}:1: 'fast' is not a number"):
        read_annotated(f"giantsteps-tempo:{root}")
    bad.write_text("174.0")
    mirex = root / "annotations_v2" / "mirex" / "1068430.LOFI.mirex"
    mirex.write_text("87.0\t174.0")
    with pytest.raises(BenchmarkError, match=rf"{mirex}:1: expected MIREX tempo line"):
        read_annotated(f"giantsteps-tempo:{root}")
    mirex.unlink()
    (root / "annotations_v2" / "tempo" / "1030011.LOFI.bpm").write_text("127\n128\n")
    with pytest.raises(BenchmarkError, match=r"1030011.LOFI.bpm:2: expected one tempo in BPM, found '128'"):
        read_annotated(f"giantsteps-tempo:{root}")


# --- GiantSteps Key ------------------------------------------------------------------------

def test_giantsteps_key_normalises_flats_to_sharps():
    tracks, skipped = read_annotated(f"giantsteps-key:{FIX / 'giantsteps-key-dataset'}", with_skipped=True)
    t = by_id(tracks)
    # the .key files say: C minor, Bb minor, Gb minor, Eb major, Db major
    assert t.key.to_dict() == {"1004923.LOFI": "C minor", "1103512.LOFI": "A# minor", "1149778.LOFI": "F# minor",
                               "1356281.LOFI": "D# major", "3833050.LOFI": "C# major"}
    assert set(t.source) == {"giantsteps-key:key"} and set(t.group) == {""}
    assert t.tempo_bpm.isna().all()
    why = reasons(skipped)
    assert why["9999999.LOFI.mp3"].startswith("no key annotation")
    assert why["1041574.LOFI.key"].startswith("annotated, but no audio file")


def test_giantsteps_key_jams_and_giantsteps_format(tmp_path):
    root = copy("giantsteps-key-dataset", tmp_path)
    want = by_id(read_annotated(f"giantsteps-key:{root}")).key
    shutil.rmtree(root / "annotations" / "key")
    jams_keys = by_id(read_annotated(f"giantsteps-key:{root}"))       # key_mode "Eb:major" ...
    assert jams_keys.key.equals(want) and set(jams_keys.source) == {"giantsteps-key:jams"}
    shutil.rmtree(root / "annotations" / "jams")
    gs = by_id(read_annotated(f"giantsteps-key:{root}"))             # "key 0 Eb major"
    assert gs.key.equals(want) and set(gs.source) == {"giantsteps-key:giantsteps"}


def test_giantsteps_mtg_key_and_giantsteps_plus():
    tracks, skipped = read_annotated(f"giantsteps-key:{FIX / 'giantsteps-mtg-key-dataset'}", with_skipped=True)
    # "c# minor\t2\t", "a# major\t1\t", "b major \t2\t"
    assert by_id(tracks).key.to_dict() == {"1093726.LOFI": "C# minor", "400929.LOFI": "A# major",
                                           "4970565.LOFI": "B major"}
    why = reasons(skipped)
    assert "no key ('-'" in why["108844.LOFI.mp3"]
    assert "ambiguous: 'd major / b minor'" in why["1152770.LOFI.mp3"]
    assert "ambiguous: 'a-a# minor'" in why["297150.LOFI.mp3"]
    assert "no key" in why["4311630.LOFI.mp3"]
    plus = read_annotated(f"giantsteps-key:{FIX / 'GiantSteps_key'}")
    assert plus.to_dict("records")[0] | {"path": ""} == {
        "track_id": "10089 Jason Sparks - Close My Eyes feat. J. Little (Original Mix)", "path": "",
        "tempo_bpm": pytest.approx(float("nan"), nan_ok=True), "tempo2_bpm": pytest.approx(float("nan"), nan_ok=True),
        "tempo_weight": pytest.approx(float("nan"), nan_ok=True), "key": "D major", "group": "Jason Sparks",
        "source": "giantsteps-key:gs+"}


def test_giantsteps_key_bad_file_names_the_file(tmp_path):
    root = copy("giantsteps-key-dataset", tmp_path)
    bad = root / "annotations" / "key" / "1149778.LOFI.key"
    bad.write_text("H minor")
    with pytest.raises(BenchmarkError, match=rf"{bad}:1: 'H minor' is not a key label"):
        read_annotated(f"giantsteps-key:{root}")
    bad.unlink()
    jams = root / "annotations" / "jams" / "1149778.LOFI.jams"
    jams.write_text('{"annotations": [\n  {"namespace": "key_mode", "data": [}\n]}')
    with pytest.raises(BenchmarkError, match=rf"{jams}:2: not valid JSON"):
        read_annotated(f"giantsteps-key:{root}")


# --- Ballroom ------------------------------------------------------------------------------

def test_ballroom_contest_bpm_else_krebs_beats():
    tracks, skipped = read_annotated(f"ballroom:{FIX / 'ballroom'}", with_skipped=True)
    t = by_id(tracks)
    assert t.group.to_dict() == {"Albums-Fire-08": "ChaChaCha", "Albums-AnaBelen_Veneo-11": "Quickstep",
                                 "Media-105901": "Waltz"}
    assert (t.tempo_bpm["Media-105901"], t.source["Media-105901"]) == (84.0, "ballroom:bpm")   # not 83.7 from beats
    beats = np.loadtxt(FIX / "ballroom" / "BallroomAnnotations-master" / "Albums-Fire-08.beats")[:, 0]
    assert t.tempo_bpm["Albums-Fire-08"] == pytest.approx(60 / np.median(np.diff(beats)))
    assert t.source["Albums-Fire-08"] == "ballroom:beats"
    assert t.tempo_bpm["Albums-AnaBelen_Veneo-11"] == pytest.approx(210.53, abs=0.01)   # quickstep
    assert reasons(skipped) == {"Albums-Fire-09.wav": "no tempo annotation (Albums-Fire-09.bpm or "
                                                      "Albums-Fire-09.beats)"}


def test_ballroom_annotations_elsewhere_and_errors(tmp_path):
    root = copy("ballroom", tmp_path)
    krebs = shutil.move(root / "BallroomAnnotations-master", tmp_path / "krebs")
    contest = shutil.move(root / "BallroomAnnotations", tmp_path / "contest")
    t = by_id(read_annotated(f"ballroom:{root / 'BallroomData'}?annotations={krebs}&annotations={contest}"))
    assert t.source.to_dict() == {"Albums-Fire-08": "ballroom:beats", "Albums-AnaBelen_Veneo-11": "ballroom:beats",
                                  "Media-105901": "ballroom:bpm"}
    shutil.copy(Path(krebs) / "Albums-Fire-08.beats", Path(contest) / "Albums-Fire-08.beats")
    with pytest.raises(BenchmarkError, match="two .beats annotations for Albums-Fire-08"):
        read_annotated(f"ballroom:{root}?annotations={krebs}&annotations={contest}")
    bad = Path(krebs) / "Albums-Fire-08.beats"
    bad.write_text("0.5 1\n1.0 2\nx 3\n")
    with pytest.raises(BenchmarkError, match=rf"{bad}:3: 'x' is not a beat time"):
        read_annotated(f"ballroom:{root}?annotations={krebs}")
    with pytest.raises(BenchmarkError, match="no Ballroom audio"):
        read_annotated(f"ballroom:{tmp_path / 'krebs'}")


# --- GTZAN tempo and key ----------------------------------------------------------------------

def test_gtzan_tempo_from_tempo_beat_and_gtzan_rhythm():
    tracks, skipped = read_annotated(f"gtzan-tempo:{FIX / 'gtzan'}", with_skipped=True)
    t = by_id(tracks)
    assert t.tempo_bpm.to_dict() == pytest.approx({"blues.00000": 125.87, "blues.00001": 67.77,
                                                   "blues.00034": 93.53, "classical.00000": 94.26,
                                                   "reggae.00086": 127.60, "rock.00099": 123.15}, abs=0.01)
    assert t.source.to_dict() == {"blues.00000": "gtzan-tempo:tempo_beat", "blues.00001": "gtzan-tempo:tempo_beat",
                                  "blues.00034": "gtzan-tempo:tempo_beat-beats",  # only its .beats here
                                  "classical.00000": "gtzan-tempo:tempo_beat",
                                  "reggae.00086": "gtzan-tempo:gtzan-rhythm",     # not in gtzan_tempo_beat
                                  "rock.00099": "gtzan-tempo:tempo_beat"}
    assert t.group.to_dict() == {"blues.00000": "John Lee Hooker", "blues.00001": "John Lee Hooker",
                                 "blues.00034": "Kelly Joe Phelps", "classical.00000": "JS Bach",
                                 "reggae.00086": "King Tubby", "rock.00099": "The Stone Roses"}
    assert reasons(skipped) == {"pop.00000.wav": "no tempo annotation (gtzan_pop_00000.bpm or pop.00000.wav in "
                                                 "stats.csv)"}


def test_gtzan_tempo_annotations_apart_and_rhythm_jams(tmp_path):
    root = copy("gtzan", tmp_path)
    tb = shutil.move(root / "gtzan_tempo_beat-main", tmp_path / "tb")
    rhythm = shutil.move(root / "GTZAN-Rhythm_v2_ismir2015_lbd", tmp_path / "rhythm")
    with pytest.raises(BenchmarkError, match="no GTZAN tempo annotations"):
        read_annotated(f"gtzan-tempo:{root}")
    t = by_id(read_annotated(f"gtzan-tempo:{root}?annotations={tb}"))
    assert "reggae.00086" not in t.index and set(t.group) == {""}
    (Path(rhythm) / "stats.csv").unlink()   # left: GTZANindex.txt and jams/reggae.00086.wav.jams
    t = by_id(read_annotated(f"gtzan-tempo:{root}?annotations={rhythm}"))
    assert list(t.index) == ["reggae.00086"]
    assert (t.tempo_bpm["reggae.00086"], t.source["reggae.00086"]) == (127.60, "gtzan-tempo:gtzan-rhythm-jams")
    assert t.group["reggae.00086"] == "King Tubby"
    bad = Path(tb) / "tempo" / "gtzan_rock_00099.bpm"
    bad.write_text("1.2e+02 x\n")
    with pytest.raises(BenchmarkError, match=rf"{bad}:1: expected one tempo in BPM"):
        read_annotated(f"gtzan-tempo:{root}?annotations={tb}")


def test_gtzan_key_from_lerchs_codes(tmp_path):
    tracks, skipped = read_annotated(f"gtzan-key:{FIX / 'gtzan'}", with_skipped=True)
    t = by_id(tracks)
    # codes 22, 19, "17 ", 12, 7: A=0 ... G#=11 major, +12 minor
    assert t.key.to_dict() == {"blues.00000": "G minor", "blues.00001": "E minor", "blues.00034": "D minor",
                               "reggae.00086": "A minor", "rock.00099": "E major"}
    assert set(t.source) == {"gtzan-key:lerch"} and t.group["rock.00099"] == "The Stone Roses"
    why = reasons(skipped)
    assert why["classical.00000.wav"] == "classical.00000.lerch.txt: -1 (modulation or unknown key)"
    assert why["pop.00000.wav"].startswith("no key annotation")
    # the tree mirrors GTZAN's genres/: the files may lie beside the audio
    root = copy("gtzan", tmp_path)
    for f in (root / "gtzan_key" / "gtzan_key" / "genres").rglob("*.lerch.txt"):
        shutil.move(f, root / "genres_original" / f.parent.name / f.name)
    shutil.rmtree(root / "gtzan_key")
    assert by_id(read_annotated(f"gtzan-key:{root}")).key.equals(t.key)
    bad = root / "genres_original" / "rock" / "rock.00099.lerch.txt"
    bad.write_text("24")
    with pytest.raises(BenchmarkError, match=rf"{bad}: '24' is not a gtzan_key code"):
        read_annotated(f"gtzan-key:{root}")
    with pytest.raises(BenchmarkError, match="no GTZAN genre folders"):
        read_annotated(f"gtzan-key:{FIX / 'ballroom'}")


# --- JAMS folders and CSVs ---------------------------------------------------------------

def test_jams_folder():
    tracks, skipped = read_annotated(f"jams:{FIX / 'jams'}", with_skipped=True)
    t = by_id(tracks)
    assert list(t.index) == ["Funk/funk-0001", "Pop/pop-0001", "Rock/rock-0001", "Rock/rock-0002"]
    assert t.key["Funk/funk-0001"] == "D# minor"      # synthmir's "Eb:dorian": its family, as metadata.csv
    assert t.key["Pop/pop-0001"] == "A# major" and t.key["Rock/rock-0001"] == "A minor"
    assert t.tempo_bpm["Pop/pop-0001"] == pytest.approx(120.0)          # no tempo annotation: from its beats
    r2 = t.loc["Rock/rock-0002"]                                          # tempi 140 (0.3) and 70 (0.7)
    assert (r2.tempo_bpm, r2.tempo2_bpm, r2.tempo_weight, r2.group) == (70.0, 140.0, pytest.approx(0.7), "The Band")
    assert isinstance(r2.key, float) and math.isnan(r2.key)
    assert set(t.source) == {"jams"}
    why = reasons(skipped)
    assert why["no-annotation.wav"] == "no JAMS file beside it (no-annotation.jams)"
    assert "mixolydian is neither major nor minor" in why["pop-0002.wav"]   # not synthmir's: not mapped
    assert "key not used" in why["rock-0002.wav"] and "listed for tempo" in why["rock-0002.wav"]
    assert why["orphan.jams"] == "JAMS file without an audio file beside it"


def test_jams_reads_the_projects_own_clips(tmp_path):
    from helpers.generators.symbolic.annotate import annotate
    from helpers.generators.symbolic.arrange import arrange
    from helpers.generators.symbolic.perform import perform
    from helpers.tasks.labels import parse_key

    labels, modes = {}, set()
    for seed in (0, 1):   # Funk 0: a dorian clip, Funk 1: a mixolydian one
        a = arrange("Funk", "a track", seed)
        midi, owners = perform(a, 10.0)
        ja, _, labels[f"Funk/{seed}"] = annotate(a, 10.0, midi, owners)
        silence(tmp_path / "Funk" / f"{seed}.wav")
        ja.save(str(tmp_path / "Funk" / f"{seed}.jams"))
        modes.add(a.mode)
    t = by_id(read_annotated(f"jams:{tmp_path}"))
    for tid, lab in labels.items():   # the labels clips/metadata.csv holds
        assert t.key[tid] == parse_key(lab["key"]) and t.tempo_bpm[tid] == lab["tempo_bpm"]
    assert modes - {"major", "minor"}


def test_jams_bad_tempo_names_the_file(tmp_path):
    root = copy("jams", tmp_path)
    bad = root / "Rock" / "rock-0001.jams"
    bad.write_text(bad.read_text().replace('"value": 132.0', '"value": "fast"'))
    with pytest.raises(BenchmarkError, match=rf"{bad}: tempo value 'fast' is not a tempo"):
        read_annotated(f"jams:{root}")


def test_csv(tmp_path):
    tracks, skipped = read_annotated(f"csv:{FIX / 'csv' / 'tracks.csv'}", with_skipped=True)
    t = by_id(tracks)
    assert list(t.index) == ["audio/a.wav", "audio/b.wav", "audio/c.wav", "audio/e.wav"]
    assert t.path["audio/a.wav"] == str(FIX / "csv" / "audio" / "a.wav")
    assert (t.tempo_bpm["audio/a.wav"], t.key["audio/a.wav"], t.group["audio/a.wav"]) == (120.0, "A# major", "Band A")
    assert t.key["audio/b.wav"] == "F# minor" and math.isnan(t.tempo_bpm["audio/b.wav"])
    assert (t.tempo_bpm["audio/c.wav"], t.tempo2_bpm["audio/c.wav"], t.tempo_weight["audio/c.wav"]) == (90, 180, 0.6)
    why = reasons(skipped)
    assert why["missing.wav"] == "tracks.csv:5: audio file not found"
    assert "no key ('-'" in why["d.wav"]
    assert "key not used (modal label 'C:dorian'" in why["e.wav"]
    csv = copy("csv", tmp_path) / "tracks.csv"
    csv.write_text("path,tempo_bpm,key\naudio/a.wav,120,A minor\naudio/b.wav,quick,\n")
    with pytest.raises(BenchmarkError, match=rf"{csv}:3: tempo_bpm 'quick' is not a number"):
        read_annotated(f"csv:{csv}")
    csv.write_text("path,key\naudio/a.wav,Q minor\n")
    with pytest.raises(BenchmarkError, match=rf"{csv}:2: 'Q minor' is not a key label"):
        read_annotated(f"csv:{csv}")
    csv.write_text("path,label\naudio/a.wav,Rock\n")
    with pytest.raises(BenchmarkError, match="needs a tempo_bpm or a key column"):
        read_annotated(f"csv:{csv}")
