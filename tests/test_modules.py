"""The tracker-module tempo benchmark (helpers.benchmarks.modules): the BPM formula and the
constant-tempo rule on synthetic timelines, the shipped manifest, and, where libopenmpt
can be loaded (system, cache, or fetched from Debian), a 4-channel .mod made here rendered
through the ctypes binding and fetched from a .deb built here. Offline apart from the
one-time libopenmpt fetch (set SYNTHMIR_MODULES_FETCH=0 to forbid it)."""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.benchmarks.modules import fetch as mfetch
from helpers.benchmarks.modules.manifest import (MANIFEST_COLUMNS, RESERVED_PACKAGES, ManifestError, check_rows,
                                                 is_module_path, read_manifest, resolve_manifest, track_id_for)
from helpers.benchmarks.modules.tempo import (BEAT_RANGE, TEMPO_RANGE, Timeline, bpm_from, rows_per_beat_from, summarise,
                                              verdict)


# --- the formula and the rule ---------------------------------------------------------------

def test_bpm_formula():
    assert bpm_from(125, 6) == pytest.approx(125.0)          # the trackers' defaults
    assert bpm_from(125, 3) == pytest.approx(250.0)
    assert bpm_from(150, 6) == pytest.approx(150.0)
    assert bpm_from(125, 4) == pytest.approx(187.5)
    assert bpm_from(125, 6, rows_per_beat=8) == pytest.approx(62.5)
    assert bpm_from(100, 4, rows_per_beat=6) == pytest.approx(100.0)  # 24 ticks a beat either way
    with pytest.raises(ValueError):
        bpm_from(125, 0)


def test_rows_per_beat_read_back():
    assert rows_per_beat_from(125, 6, 125.0) == 4
    assert rows_per_beat_from(100, 4, 100.0) == 6
    assert rows_per_beat_from(150, 6, 150.4) == 4          # tick rounding at a low mixing rate
    assert rows_per_beat_from(125, 6, 97.0) is None        # not a whole number: another tempo mode
    assert rows_per_beat_from(125, 6, 0.0) is None


def test_constant_tempo_kept():
    s = summarise(Timeline.synthetic([(95, 125, 6), (5, 140, 6)]))
    assert s.bpm == pytest.approx(125) and (s.tempo, s.speed, s.rows_per_beat) == (125, 6, 4)
    assert s.constant_share == pytest.approx(0.95) and s.clip_share == pytest.approx(1.0)
    assert s.distinct == 2
    assert s.row_rate_bpm == pytest.approx(125, rel=0.02)
    assert verdict(s, 100.0) is None


def test_changing_tempo_dropped():
    s = summarise(Timeline.synthetic([(80, 125, 6), (20, 125, 3)]))
    assert s.constant_share == pytest.approx(0.8)
    assert "not constant" in verdict(s, 100.0)


def test_same_bpm_from_other_tempo_and_speed_is_one_tempo():
    s = summarise(Timeline.synthetic([(50, 125, 6), (50, 250, 12), ]))
    assert s.constant_share == pytest.approx(1.0) and s.distinct == 1
    # within 1 % is one tempo, 2 % apart is not
    assert summarise(Timeline.synthetic([(50, 125, 6), (50, 126, 6)])).constant_share == pytest.approx(1.0)
    assert summarise(Timeline.synthetic([(50, 125, 6), (50, 128, 6)])).constant_share == pytest.approx(0.5)


def test_start_must_hold_the_tempo_too():
    s = summarise(Timeline.synthetic([(10, 100, 6), (90, 125, 6)]))
    assert s.constant_share == pytest.approx(0.9) and s.clip_share == pytest.approx(2 / 3)
    assert "at the start" in verdict(s, 100.0)


def test_alternating_speed_groove_dropped():
    segments = [(0.25, 125, 6), (0.25, 125, 3)] * 100
    s = summarise(Timeline.synthetic(segments, dt=0.05))
    assert s.constant_share == pytest.approx(0.5, abs=0.02)
    assert "not constant" in verdict(s, 50.0)


def test_other_verdicts():
    s = summarise(Timeline.synthetic([(30, 125, 6)]))
    assert "too short" in verdict(s, 10.0)
    fast = summarise(Timeline.synthetic([(60, 255, 2)]))
    assert "outside" in verdict(fast, 60.0)
    stretched = summarise(Timeline.synthetic([(60, 125, 6)]))
    object.__setattr__(stretched, "row_rate_bpm", 110.0)   # rows played slower: pattern delays
    assert "pattern delays" in verdict(stretched, 60.0)
    empty = summarise(Timeline.from_states([(0.5, 0.5, 125, 6, float("nan"), 0, 0)]))
    assert math.isnan(empty.bpm) and "rows per beat" in verdict(empty, 60.0)


def test_grid_concentration():
    from helpers.benchmarks.modules.tempo import grid_concentration

    rows = np.arange(64)
    every4 = (rows % 4 == 0).astype(float)
    assert grid_concentration(rows, every4, 4) == pytest.approx(4.0)
    assert grid_concentration(rows, every4, 6) == pytest.approx(6 * 6 / 16)   # rows 0, 12, ..., 60
    assert grid_concentration(rows, np.ones(64), 4) == pytest.approx(1.0)
    assert math.isnan(grid_concentration(rows, np.zeros(64), 4))


def test_beat_level_rules():
    from helpers.benchmarks.modules.survey import beat_level

    def level(tempo, speed, rpb=4, fmt="mod", highlight=None, c4=2.0, c6=2.0):
        s = summarise(Timeline.synthetic([(60, tempo, speed)], rows_per_beat=rpb))
        return beat_level(s, fmt, highlight, c4, c6)

    assert (level(125, 6).rows_per_beat, level(125, 6).bpm) == (4, pytest.approx(125))
    assert "MOD states none, 4 assumed" in level(125, 6).how
    l3 = level(125, 3)                         # 250 BPM at 4 rows: the beat is 8 rows
    assert (l3.rows_per_beat, l3.stated, l3.bpm) == (8, 4, pytest.approx(125))
    assert level(100, 12).bpm == pytest.approx(100) and level(100, 12).rows_per_beat == 2
    tern = level(125, 6, c4=1.0, c6=2.0)       # notes every 6th row: ternary
    assert tern.rows_per_beat == 6 and tern.bpm == pytest.approx(83.333, rel=1e-4)
    # a deliberate IT highlight is kept whatever the notes say; IT's default 4/16 is not one
    it6 = level(100, 4, rpb=6, fmt="it", highlight=(6, 24), c4=3.0, c6=1.0)
    assert it6.rows_per_beat == 6 and "stated by the IT row highlight 6/24" in it6.how
    it_default = level(125, 6, fmt="it", highlight=(4, 16), c4=1.0, c6=2.0)
    assert it_default.rows_per_beat == 6 and "Impulse Tracker's default" in it_default.how
    it_kept = level(125, 6, rpb=4, fmt="it", highlight=(4, 12), c4=1.0, c6=2.0)
    assert it_kept.rows_per_beat == 4


# --- the shipped manifest ------------------------------------------------------------------

def test_shipped_manifest_schema_and_rules():
    path = resolve_manifest("tempo")
    frame = read_manifest(path)   # every check of check_rows, or ManifestError
    assert list(pd.read_csv(path, nrows=0).columns) == list(MANIFEST_COLUMNS)
    assert len(frame) >= 50
    assert not set(frame["package"]) & RESERVED_PACKAGES
    low, high = TEMPO_RANGE
    assert frame["tempo_bpm"].between(low, high).all()
    assert frame["tempo_bpm"].between(*BEAT_RANGE).all()
    assert (frame["constant_share"] >= 0.9).all() and (frame["clip_share"] >= 0.9).all()
    assert frame["track_id"].is_unique and frame["sha1"].is_unique
    assert frame["path"].map(is_module_path).all()
    assert set(frame["format"]) <= {"mod", "xm", "it", "s3m", "mptm", "stm", "669", "mtm", "med", "okt"}
    assert frame.groupby("package")["version"].nunique().max() == 1
    expect = frame["tempo_value"] * 6 / frame["speed"] * 4 / frame["rows_per_beat"]
    assert np.allclose(frame["tempo_bpm"], expect, rtol=0.005)
    assert frame["note"].str.contains("rows/beat").all()


def _row(**over):
    row = {"package": "pingus-data", "version": "0.7.6-5.1", "path": "/usr/share/games/pingus/data/music/x.it",
           "track_id": "pingus-data--x", "tempo_bpm": "125", "tempo_value": "125", "speed": "6",
           "rows_per_beat": "4", "rows_per_beat_stated": "4", "constant_share": "1", "clip_share": "1",
           "row_rate_bpm": "124.8", "duration_s": "60", "format": "it", "title": "x", "sha1": "0" * 40,
           "note": "n"}
    return {**row, **over}


def test_manifest_checks_name_the_row():
    check_rows([_row()], "m.csv")
    with pytest.raises(ManifestError, match=r"row 2: package 'tecnoballz-data' is reserved"):
        check_rows([_row(), _row(package="tecnoballz-data", track_id="t--x")], "m.csv")
    for reserved in sorted(RESERVED_PACKAGES):
        with pytest.raises(ManifestError, match="reserved"):
            check_rows([_row(package=reserved)], "m.csv")
    with pytest.raises(ManifestError, match="tempo_bpm '300' is outside"):
        check_rows([_row(tempo_bpm="300", tempo_value="300")], "m.csv")
    with pytest.raises(ManifestError, match="is not tempo_value"):
        check_rows([_row(tempo_bpm="130")], "m.csv")
    with pytest.raises(ManifestError, match="repeats row 1"):
        check_rows([_row(), _row(path="/usr/share/y.xm")], "m.csv")
    with pytest.raises(ManifestError, match="does not name a tracker module"):
        check_rows([_row(path="/usr/share/x.ogg")], "m.csv")


def test_manifest_file_errors(tmp_path):
    bad = tmp_path / "m.csv"
    bad.write_text("package,version\nx,1\n")
    with pytest.raises(ManifestError, match="missing column"):
        read_manifest(bad)
    with pytest.raises(ManifestError, match="not a shipped name"):
        resolve_manifest("no-such-manifest")


def test_track_ids():
    assert track_id_for("pingus-data", "/usr/share/games/pingus/data/music/pingus-1.it") == "pingus-data--pingus-1"
    assert track_id_for("x", "/a/mod.Intro") == "x--mod-intro"
    assert is_module_path("/a/B.MOD") and is_module_path("/a/mod.song") and not is_module_path("/a/readme.it.gz")


# --- a module made here, through libopenmpt --------------------------------------------------

def make_mod(tempo: int = 140, speed: int = 6, orders: int = 4, second_tempo: int | None = None,
             beat_rows: int = 4) -> bytes:
    """A minimal ProTracker (M.K., 4 channels) module: a looped square-wave sample struck on
    every ``beat_rows``-th row; row 0 sets speed (Fxx < 0x20) and tempo (Fxx >= 0x20). With
    ``second_tempo``, the last half of the orders play a pattern that sets that tempo."""
    def sample_header(name: bytes, words: int) -> bytes:
        return name.ljust(22, b"\0") + struct.pack(">HBBHH", words, 0, 64, 0, words if words else 1)

    def cell(period: int, sample: int, effect: int = 0, param: int = 0) -> bytes:
        return bytes([(sample & 0xF0) | (period >> 8), period & 0xFF, ((sample & 0x0F) << 4) | effect, param])

    def pattern(t: int) -> bytes:
        rows = []
        for r in range(64):
            note = cell(428 if r % 16 == 0 else 320, 1) if r % beat_rows == 0 else bytes(4)  # C-2, F-2
            if r == 0:
                note = cell(428, 1, 0x0F, speed)                                     # Fxx < 0x20: speed
            rows.append(note + (cell(0, 0, 0x0F, t) if r == 0 else bytes(4)) + bytes(8))  # Fxx >= 0x20: tempo
        return b"".join(rows)

    pats = [pattern(tempo)] + ([pattern(second_tempo)] if second_tempo else [])
    order = [0] * orders if not second_tempo else [0] * (orders // 2) + [1] * (orders - orders // 2)
    head = b"synthmir test".ljust(20, b"\0")
    head += sample_header(b"square", 16) + b"".join(sample_header(b"", 0) for _ in range(30))
    head += bytes([len(order), 127]) + bytes(order).ljust(128, b"\0") + b"M.K."
    sample = bytes([64] * 16 + [0xC0] * 16)            # signed 8-bit square wave, 32 bytes
    return head + b"".join(pats) + sample


@pytest.fixture(scope="module")
def lib():
    from helpers.benchmarks.modules.openmpt import LibraryUnavailable, load_library

    fetch = os.environ.get("SYNTHMIR_MODULES_FETCH", "1") != "0"
    try:
        return load_library(fetch=fetch)
    except LibraryUnavailable as exc:
        pytest.skip(f"libopenmpt cannot be loaded here ({exc})")


def test_mod_rendered_through_the_binding(lib):
    from helpers.benchmarks.modules.openmpt import Module, ModuleError

    data = make_mod(tempo=140, speed=6, orders=4)
    with Module(data, "beat.mod", lib=lib) as mod:
        assert mod.metadata("type") == "mod"
        assert mod.metadata("title") == "synthmir test"
        assert mod.num_channels == 4
        assert mod.duration_s == pytest.approx(4 * 64 * 2.5 * 6 / 140, abs=0.05)
        assert mod.state().tempo == 125                  # before row 0 is played: the default
        audio = mod.render(2.0)
        st = mod.state()
        assert (st.tempo, st.speed) == (140, 6)
        assert st.estimated_bpm == pytest.approx(140, rel=0.005)
        assert audio.dtype == np.float32 and audio.size == 64_000
        assert float(np.abs(audio).max()) > 0.01
        assert mod.state().position_s == pytest.approx(2.0, abs=0.01)
        assert "render.resampler.emulate_amiga" in mod.ctls()
        mod.set_ctl("render.resampler.emulate_amiga", True)
        with pytest.raises(ModuleError, match="refused ctl no.such.ctl"):
            mod.set_ctl("no.such.ctl", True)
    with pytest.raises(ModuleError, match="unknown libopenmpt ctl"):
        Module(data, "beat.mod", lib=lib, ctls={"no.such.ctl": "1"})
    with Module(data, "beat.mod", lib=lib, ctls={"play.at_end": "stop"}) as mod:
        assert mod.render(None).size == pytest.approx(mod.duration_s * 32_000, rel=0.01)
    clip = mfetch.render_clip(data, 5.0, "beat.mod", lib)
    assert clip.size == 5 * 32_000
    assert float(np.abs(clip).max()) == pytest.approx(10 ** (-1 / 20), rel=1e-4)


def test_mod_analysed(lib):
    from helpers.benchmarks.modules.survey import analyse_bytes, evidence_note

    kept = analyse_bytes(make_mod(tempo=140, speed=6, orders=4), "beat.mod", lib)
    s = kept["summary"]
    assert kept["reason"] is None, kept["reason"]
    assert (s.tempo, s.speed, s.rows_per_beat) == (140, 6, 4) and s.bpm == pytest.approx(140)
    assert s.constant_share > 0.99 and s.row_rate_bpm == pytest.approx(140, rel=0.02)
    assert kept["level"].bpm == pytest.approx(140)
    assert "140*6/6*4/4 = 140.00 BPM" in evidence_note(kept)
    assert "MOD states none, 4 assumed" in evidence_note(kept)
    changed = analyse_bytes(make_mod(tempo=140, speed=6, orders=4, second_tempo=90), "two.mod", lib)
    assert changed["summary"].constant_share < 0.7
    assert "not constant" in changed["reason"]
    fast = analyse_bytes(make_mod(tempo=250, speed=3, orders=8), "fast.mod", lib)
    assert fast["summary"].bpm == pytest.approx(500)
    assert fast["level"].rows_per_beat == 16 and fast["level"].bpm == pytest.approx(125)
    assert "500.00 BPM is outside 60-200, so the beat is taken at 16 rows" in fast["level"].how
    ternary = analyse_bytes(make_mod(tempo=140, speed=6, orders=4, beat_rows=6), "six.mod", lib)
    assert ternary["reason"] is None and ternary["c6"] == pytest.approx(6.0)
    assert ternary["level"].rows_per_beat == 6 and ternary["level"].bpm == pytest.approx(140 * 4 / 6)
    assert "ternary, 6 rows a beat" in ternary["level"].how


def test_not_a_module(lib):
    from helpers.benchmarks.modules.openmpt import Module, ModuleError

    with pytest.raises(ModuleError, match="notes.it: libopenmpt cannot open it"):
        Module(b"Questo non e un modulo.\n" * 10, "notes.it", lib=lib)


def _build_deb(root: Path, files: dict[str, bytes]) -> Path:
    if not shutil.which("dpkg-deb"):
        pytest.skip("dpkg-deb is not on this machine")
    tree = root / "tree"
    for member, data in files.items():
        target = tree / member.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (tree / "DEBIAN").mkdir(parents=True)
    (tree / "DEBIAN" / "control").write_text(
        "Package: synthmir-test-modules\nVersion: 1.0-1\nArchitecture: all\n"
        "Maintainer: SynthMIR tests <tests@example.invalid>\nDescription: test modules\n")
    deb = root / "synthmir-test-modules_1.0-1_all.deb"
    subprocess.run(["dpkg-deb", "--build", "-Zgzip", "--root-owner-group", str(tree), str(deb)],
                   check=True, capture_output=True)
    return deb


def test_fetch_from_a_local_deb(lib, tmp_path, monkeypatch):
    import hashlib

    from helpers.benchmarks.modules.survey import analyse_bytes, manifest_row

    data = make_mod(tempo=140, speed=6, orders=4)
    path = "/usr/share/games/synthmir-test/beat.mod"
    deb = _build_deb(tmp_path, {path: data})
    calls = []

    def fake_download(package, version, cache_dir, apt=None):
        calls.append(package)
        if package != "synthmir-test-modules":
            raise mfetch.FetchError(f"{package}: no such package (test)")
        return deb

    monkeypatch.setattr(mfetch, "download_deb", fake_download)
    row = manifest_row("synthmir-test-modules", "1.0-1", path, analyse_bytes(data, path, lib))
    assert row["sha1"] == hashlib.sha1(data).hexdigest()
    missing = {**row, "path": "/usr/share/games/synthmir-test/gone.xm", "track_id": "synthmir-test-modules--gone",
               "sha1": "1" * 40}
    other = {**row, "package": "not-there", "track_id": "not-there--beat"}
    frame = check_rows([{k: str(v) for k, v in r.items()} for r in (row, missing, other)], "test manifest")
    out, cache = tmp_path / "out", tmp_path / "cache"

    report = mfetch.fetch_modules(frame, out, cache, seconds=3.0, progress=False, lib=lib)
    assert list(report["status"]) == ["ok", "skipped", "skipped"]
    assert "gone.xm not found" in report["reason"][1] and "not downloaded" in report["reason"][2]
    flac = out / "synthmir-test-modules--beat.flac"
    info = sf.info(str(flac))
    assert (info.samplerate, info.channels, info.frames) == (32_000, 1, 96_000)
    audio, _ = sf.read(str(flac))
    assert float(np.abs(audio).max()) == pytest.approx(10 ** (-1 / 20), abs=1e-3)
    with sf.SoundFile(str(flac)) as fh:
        tag = json.loads(fh.comment)
    assert tag["source_path"] == path and tag["sha1"] == row["sha1"] and tag["seconds"] == 3.0
    tracks = pd.read_csv(out / "tracks.csv", keep_default_na=False)
    assert list(tracks.columns) == list(mfetch.TRACKS_COLUMNS)
    assert tracks.loc[0, "track_id"] == "synthmir-test-modules--beat"
    assert tracks.loc[0, "path"] == "synthmir-test-modules--beat.flac"
    assert tracks.loc[0, "tempo_bpm"] == pytest.approx(140)
    assert tracks.loc[0, "tempo2_bpm"] == "" and tracks.loc[0, "key"] == ""
    assert tracks.loc[0, "source"] == f"synthmir-test-modules 1.0-1:{path}"

    # again: kept as it is; another length: rendered again
    calls.clear()
    again = mfetch.fetch_modules(frame.iloc[:1], out, cache, seconds=3.0, progress=False, lib=lib)
    assert again["reason"][0] == "already present" and calls == []
    longer = mfetch.fetch_modules(frame.iloc[:1], out, cache, seconds=4.0, progress=False, lib=lib)
    assert longer["reason"][0] == "rendered" and sf.info(str(flac)).frames == 128_000

    # the tracks.csv is what the annotated benchmarks' csv reader takes
    from helpers.benchmarks.annotated import read_annotated

    listed = read_annotated(f"csv:{out / 'tracks.csv'}")
    assert listed.loc[0, "tempo_bpm"] == pytest.approx(140)


def test_fetch_refuses_a_changed_file(lib, tmp_path, monkeypatch):
    from helpers.benchmarks.modules.survey import analyse_bytes, manifest_row

    path = "/usr/share/games/synthmir-test/beat.mod"
    deb = _build_deb(tmp_path, {path: make_mod(tempo=125)})
    monkeypatch.setattr(mfetch, "download_deb", lambda *a, **k: deb)
    row = manifest_row("synthmir-test-modules", "1.0-1", path, analyse_bytes(make_mod(tempo=140), path, lib))
    frame = check_rows([{k: str(v) for k, v in row.items()}], "test manifest")
    report = mfetch.fetch_modules(frame, tmp_path / "out", tmp_path / "cache", seconds=2.0, progress=False, lib=lib)
    assert report["status"][0] == "skipped" and "not the file the manifest measured" in report["reason"][0]
