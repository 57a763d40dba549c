"""The key MIDI benchmark (helpers.benchmarks.keymidi): evidence rules, manifest, fetch, render.

Offline and fast: MIDI files are built here with pretty_midi/mido; the fetch runs on a
.deb built here with dpkg-deb (skipped without it) and a stand-in renderer; the real
FluidSynth render runs only when ``python -m helpers.benchmarks.keymidi renderer`` has
put FluidSynth and the SoundFont in the cache, and is skipped with that reason otherwise.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

pretty_midi = pytest.importorskip("pretty_midi")
mido = pytest.importorskip("mido")

from helpers.benchmarks.debian.common import FetchError, ManifestError  # noqa: E402
import helpers.benchmarks.keymidi.fetch as fetch_mod  # noqa: E402
from helpers.benchmarks.keymidi import common, find, manifest, render  # noqa: E402
from helpers.benchmarks.keymidi.evidence import decide, keys_in_text, read_midi  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "keymidi"

# scale degrees (semitones) of a phrase: tonic-heavy, ends on the tonic
MAJOR_PHRASE = [0, 4, 7, 5, 4, 2, 11, 0, 4, 2, 0, 7, 5, 4, 2, 0]
MINOR_PHRASE = [0, 3, 7, 5, 3, 2, 11, 0, 3, 2, 0, 7, 5, 3, 2, 0]


def make_midi(tonic: int = 7, minor: bool = False, ks: list[tuple[int, float]] | None = None,
              bars: int = 4, end_bass: int | None = None, pcs: list[int] | None = None) -> bytes:
    """A piano piece in ``tonic`` (pitch class) of ``bars`` 4-second bars, as bytes.

    ``ks``: key signatures ``[(pretty_midi key_number, time)]``; ``end_bass``: the final
    bass pitch class (default the tonic); ``pcs``: replace the phrase's degrees."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(program=0)
    phrase = pcs or (MINOR_PHRASE if minor else MAJOR_PHRASE)
    t = 0.0
    for _ in range(bars):
        for i, d in enumerate(phrase):
            inst.notes.append(pretty_midi.Note(90, 60 + (tonic + d) % 12, t + i * 0.25, t + i * 0.25 + 0.24))
        inst.notes.append(pretty_midi.Note(80, 36 + tonic % 12, t, t + 1.9))
        inst.notes.append(pretty_midi.Note(80, 36 + (tonic + 7) % 12, t + 2, t + 3.9))
        t += 4.0
    last = tonic if end_bass is None else end_bass
    third = (tonic + (3 if minor else 4)) % 12
    for p in (36 + last % 12, 48 + tonic % 12, 48 + third, 48 + (tonic + 7) % 12):
        inst.notes.append(pretty_midi.Note(90, p, t, t + 2.0))
    pm.instruments.append(inst)
    for number, time in ks or []:
        pm.key_signature_changes.append(pretty_midi.KeySignature(number, time))
    buf = io.BytesIO()
    pm.write(buf)
    return buf.getvalue()


def facts(data: bytes, name: str = "piece.mid"):
    return read_midi(data, name)


# -- key signature rules ---------------------------------------------------------------------

def test_key_signature_at_start_is_kept_with_its_evidence():
    ev = decide(facts(make_midi(7, ks=[(7, 0.0)])))
    assert ev.key == "G major" and ev.basis == "key_signature" and ev.mode_trusted == "yes"
    assert "key_signature G major at tick 0" in ev.ks_evidence and "holds 100%" in ev.ks_evidence
    assert "final bass is the tonic" in ev.mode_check


def test_minor_key_signature_spelled_with_sharps():
    # E flat minor (pretty_midi key number 12 + 3) -> "D# minor"
    ev = decide(facts(make_midi(3, minor=True, ks=[(15, 0.0)])))
    assert ev.key == "D# minor", ev.reason


def test_no_key_signature_and_no_title_is_dropped():
    ev = decide(facts(make_midi(7)))
    assert ev.key is None and ev.reason.startswith("no key stated")


def test_key_signature_changing_mid_piece_is_dropped():
    ev = decide(facts(make_midi(7, ks=[(7, 0.0), (2, 8.0)])))  # G major, then D major for half the piece
    assert ev.key is None and "changes mid-piece" in ev.reason


def test_late_change_keeps_the_key_and_records_when():
    ev = decide(facts(make_midi(7, ks=[(7, 0.0), (2, 16.5)], bars=4)))  # change in the last 3 % (18 s piece)
    assert ev.key == "G major" and ev.ks_change_s == pytest.approx(16.5, abs=0.01)


def test_signature_after_the_first_note_is_not_the_opening_key():
    ev = decide(facts(make_midi(7, ks=[(7, 2.0)])))
    assert ev.key is None and "after the first note" in ev.ks_evidence


def test_signature_on_a_later_track_is_read():
    mf = mido.MidiFile(file=io.BytesIO(make_midi(7)))
    extra = mido.MidiTrack([mido.MetaMessage("key_signature", key="G", time=0),
                            mido.MetaMessage("end_of_track", time=0)])
    out = mido.MidiFile(type=1, ticks_per_beat=mf.ticks_per_beat)
    out.tracks = [mf.tracks[0], extra, *mf.tracks[1:]]
    buf = io.BytesIO()
    out.save(file=buf)
    assert decide(facts(buf.getvalue())).key == "G major"


def test_conflicting_signatures_across_tracks_are_no_statement():
    mf = mido.MidiFile(file=io.BytesIO(make_midi(5, ks=[(5, 0.0)])))
    mf.tracks.append(mido.MidiTrack([mido.MetaMessage("key_signature", key="C", time=0),
                                     mido.MetaMessage("end_of_track", time=0)]))
    buf = io.BytesIO()
    mf.save(file=buf)
    ev = decide(facts(buf.getvalue()))
    assert ev.key is None and "conflicting key signatures" in ev.reason


def test_too_short_is_no_piece():
    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(90, 60, i * 0.1, i * 0.1 + 0.1) for i in range(20)]
    pm.instruments.append(inst)
    pm.key_signature_changes.append(pretty_midi.KeySignature(0, 0.0))
    buf = io.BytesIO()
    pm.write(buf)
    assert "too short" in decide(facts(buf.getvalue())).reason


# -- the mode check: a signature cannot tell major from its relative minor ----------------------

def test_major_signature_on_a_piece_ending_on_the_relative_minor_is_dropped():
    # A minor music (C major's sharps and flats) under a C major signature
    ev = decide(facts(make_midi(9, minor=True, ks=[(0, 0.0)],
                                pcs=[0, 3, 7, 5, 3, 2, 10, 0, 3, 2, 0, 7, 5, 3, 2, 0])))
    assert ev.key is None and "relative key's tonic" in ev.reason and ev.mode_trusted == "no"


def test_minor_signature_confirmed_by_a_tonic_ending():
    ev = decide(facts(make_midi(9, minor=True, ks=[(21, 0.0)])))
    assert ev.key == "A minor" and ev.mode_trusted == "yes"


def test_signature_the_notes_do_not_fit_is_dropped():
    # E flat major music under a C major signature (a sequencer's default)
    ev = decide(facts(make_midi(3, ks=[(0, 0.0)], end_bass=0)))
    assert ev.key is None and "note-time on the C major scale" in ev.reason


def test_default_signatures_of_a_whole_source_are_set_aside():
    items = [("pkg-a", "1", f"/usr/share/a/{i}.mid", make_midi(0, ks=[(0, 0.0)], bars=3 + i)) for i in range(3)]
    rows = find.analyse(items)
    assert [r["status"] for r in rows] == ["dropped"] * 3
    assert all("default" in r["reason"] for r in rows)
    mixed = items[:2] + [("pkg-a", "1", "/usr/share/a/g.mid", make_midi(7, ks=[(7, 0.0)]))]
    assert [r["status"] for r in find.analyse(mixed)] == ["kept"] * 3


def test_duplicates_and_not_pieces_are_listed():
    data = make_midi(7, ks=[(7, 0.0)])
    rows = find.analyse([("mma", "1", "/usr/share/doc/mma/examples/x/a.mid", data),
                         ("mma", "1", "/usr/share/doc/mma/examples/y/b.mid", data),
                         ("mma", "1", "/usr/share/mma/lib/stdlib/c.mid", data)])
    assert [r["status"] for r in rows] == ["kept", "duplicate", "not_a_piece"]


# -- titles ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, keys", [
    ("Sonata in D minor", [("D minor", False)]),
    ("sonata_d_minor", [("D minor", False)]),
    ("Eb major", [("D# major", False)]),
    ("F-sharp minor", [("F# minor", False)]),
    ("c-moll", [("C minor", False)]),
    ("fis-moll", [("F# minor", False)]),
    ("Prelude in C", [("C major", True)]),
    ("Fugue in F#, BWV 858", [("F# major", True)]),
    ("Walking In A Winter Wonderland", []),
    ("Chord of C Major", []),
    ("Made a minor fix", []),
    ("Greensleeves", []),
])
def test_keys_named_in_titles(text, keys):
    assert keys_in_text(text)[0] == keys


def test_title_agreeing_with_the_signature():
    ev = decide(facts(make_midi(2, minor=True, ks=[(14, 0.0)]), "Sonata in D minor.mid"))
    assert ev.key == "D minor" and ev.basis == "key_signature+title"
    assert "filename" in ev.title_evidence and "D minor" in ev.title_evidence


def test_title_disagreeing_with_the_signature_is_dropped():
    ev = decide(facts(make_midi(7, ks=[(7, 0.0)]), "Sonata in D minor.mid"))
    assert ev.key is None and "disagrees with the title" in ev.reason


def test_title_alone_states_the_key():
    ev = decide(facts(make_midi(4, minor=True), "prelude_in_e_minor.mid"))
    assert ev.key == "E minor" and ev.basis == "title" and ev.mode_trusted == ""


def test_title_naming_a_chord_is_no_key():
    ev = decide(facts(make_midi(0), "02-ChordOfCMajor.mid"))
    assert ev.key is None and any("chord or scale" in n for n in ev.notes)


def test_titles_naming_two_keys_are_dropped():
    data = make_midi(7)
    mf = mido.MidiFile(file=io.BytesIO(data))
    mf.tracks[0].insert(0, mido.MetaMessage("track_name", name="Minuet in G major"))
    buf = io.BytesIO()
    mf.save(file=buf)
    ev = decide(facts(buf.getvalue(), "minuet_d_minor.mid"))
    assert ev.key is None and "several keys" in ev.reason


# -- reserved packages and the manifest --------------------------------------------------------

def test_reserved_packages_are_refused():
    assert len(common.RESERVED_PACKAGES) == 15
    for package in common.RESERVED_PACKAGES:
        with pytest.raises(common.ReservedPackage):
            common.refuse_reserved(package)
    with pytest.raises(common.ReservedPackage):
        common.refuse_reserved("python3-music21", "/usr/lib/python3/dist-packages/music21/corpus/bach/bwv66.6.mxl")
    with pytest.raises(common.ReservedPackage):
        find.find(["wesnoth-1.16-music"], Path("/nonexistent"), None, None)
    rows = find.analyse([("zaz-data", "1", "/usr/share/zaz/x.mid", make_midi(7, ks=[(7, 0.0)]))])
    assert rows[0]["status"] == "refused"


def test_shipped_manifest_schema():
    path = manifest.shipped_manifest()
    with open(path, newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == common.MANIFEST_COLUMNS
    rows = manifest.read_manifest()
    assert len(rows) >= 10
    assert not {r["package"] for r in rows} & common.RESERVED_PACKAGES
    assert not any("music21" in r["path"].lower() for r in rows)
    assert len({r["track_id"] for r in rows}) == len(rows)
    for r in rows:
        tonic, _, mode = r["key"].partition(" ")
        assert tonic in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B") and mode in ("major", "minor")
        assert r["ks_evidence"] or r["title_evidence"]
        if r["basis"] == "key_signature":
            assert r["mode_trusted"] == "yes" and r["mode_check"]


def test_readme_counts_match_the_manifest():
    text = (manifest.shipped_manifest().parent / "README.md").read_text(encoding="utf-8")
    assert f"**{len(manifest.read_manifest())} files kept**" in text
    assert "real compositions, synthetic audio" in text.lower()


def test_manifest_with_a_reserved_package_is_rejected():
    with pytest.raises(ManifestError, match="reserved"):
        manifest.read_manifest(FIXTURES / "reserved.csv")


# -- rendering ---------------------------------------------------------------------------------

def test_excerpt_starts_at_the_first_note_and_is_cut():
    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(90, 60 + i % 12, 3.0 + i * 0.5, 3.0 + i * 0.5 + 0.4) for i in range(100)]
    pm.instruments.append(inst)
    buf = io.BytesIO()
    pm.write(buf)
    data, start, length = render.excerpt_midi(buf.getvalue(), 10.0)
    assert start == pytest.approx(3.0, abs=1e-3) and length == pytest.approx(10.0, abs=1e-3)
    cut = pretty_midi.PrettyMIDI(io.BytesIO(data))
    onsets = [n.start for n in cut.instruments[0].notes]
    assert min(onsets) == pytest.approx(0.0, abs=1e-3) and max(onsets) < 10.0


def test_training_soundfonts_are_refused():
    for name in ("FluidR3_GM.sf2", "MuseScore_General_Full.sf2", "TimGM6mb.sf2", "Black_Pearl_4_LV2.sf2"):
        with pytest.raises(ValueError, match="training"):
            render.check_soundfont_unseen(name)
    with pytest.raises(ValueError):
        render.check_soundfont_unseen("x.sf2", "fluid-soundfont-gs")
    for name, (package, member) in render.SOUNDFONTS.items():
        render.check_soundfont_unseen(member, package)  # the evaluation SoundFonts pass


def test_soname_to_package():
    assert render.guess_package("libopus.so.0") == "libopus0"
    assert render.guess_package("libmpg123.so.0") == "libmpg123-0"
    assert render.guess_package("libSDL2-2.0.so.0") == "libsdl2-2.0-0"


def test_fluidsynth_render_when_the_renderer_is_in_the_cache():
    try:
        rend = render.ready_renderer(common.default_cache_dir(), "fluidsynth", fetch=False)
    except render.RendererUnavailable as exc:
        pytest.skip(f"renderer not in the cache, render path not tested: {exc}")
    audio, start, length = render.render_excerpt((FIXTURES / "g_major.mid").read_bytes(), rend, seconds=5.0)
    assert audio.ndim == 1 and len(audio) == 5 * common.TARGET_SR and length == pytest.approx(5.0)
    assert float(np.max(np.abs(audio))) == pytest.approx(common.PEAK_CEILING, abs=1e-3)
    assert float(np.sqrt(np.mean(audio ** 2))) > 0.01


# -- the fetch (a .deb built here, a stand-in renderer) -------------------------------------------

def _build_deb(tmp: Path) -> Path:
    root = tmp / "pkg"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: keymidi-test-data\nVersion: 1.0\nArchitecture: all\nMaintainer: t <t@example.org>\n"
        "Description: test\n")
    target = root / "usr" / "share" / "keymidi-test"
    target.mkdir(parents=True)
    shutil.copy(FIXTURES / "g_major.mid", target / "g_major.mid")
    deb = tmp / "keymidi-test-data_1.0_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)], check=True,
                   capture_output=True)
    return deb


def test_fetch_writes_tracks_and_lists_skips(tmp_path, monkeypatch):
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not available")
    deb = _build_deb(tmp_path)
    assert hashlib.sha1((FIXTURES / "g_major.mid").read_bytes()).hexdigest() == \
        manifest.read_manifest(FIXTURES / "manifest.csv")[0]["midi_sha1"]

    def fake_download(package, version, cache_dir, apt=None):
        if package != "keymidi-test-data":
            raise FetchError(f"apt-get download {package} failed: E: Unable to locate package {package}")
        return deb

    calls = []

    def fake_render(data, rend, seconds=30.0):
        calls.append(len(data))
        t = np.arange(int(seconds * common.TARGET_SR)) / common.TARGET_SR
        return (0.99 * np.sin(2 * np.pi * 196.0 * t)).astype(np.float32), 0.0, float(seconds)

    monkeypatch.setattr(fetch_mod, "download_deb", fake_download)
    monkeypatch.setattr(fetch_mod, "render_excerpt", fake_render)
    rend = render.Renderer("fluidsynth", Path("GeneralUser-v1.47.sf2"), "GeneralUser-v1.47.sf2 (test)",
                           version="fluidsynth test")
    out = tmp_path / "out"
    tracks, skipped = fetch_mod.fetch_tracks(out, tmp_path / "cache", 4.0, FIXTURES / "manifest.csv", ready=rend,
                                      apt=object())
    assert [t["track_id"] for t in tracks] == ["keymidi-test-data--g_major"]
    reasons = {s["track_id"]: s["reason"] for s in skipped}
    assert "not found" in reasons["keymidi-test-data--missing"] or "not in the package" in reasons[
        "keymidi-test-data--missing"]
    assert "package not downloaded" in reasons["other-test-data--g_major"]
    with open(out / "tracks.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == common.TRACKS_COLUMNS
    assert list(rows[0])[:8] == ["track_id", "path", "tempo_bpm", "tempo2_bpm", "tempo_weight", "key", "group",
                                 "source"]
    r = rows[0]
    assert r["path"] == "keymidi-test-data--g_major.flac" and r["key"] == "G major"
    assert r["tempo_bpm"] == r["tempo2_bpm"] == r["tempo_weight"] == ""
    assert r["group"] == "keymidi-test-data"
    assert r["source"] == "keymidi-test-data 1.0:/usr/share/keymidi-test/g_major.mid"
    assert r["ks_evidence"].startswith("key_signature G major")
    import soundfile as sf
    info = sf.info(str(out / r["path"]))
    assert (info.samplerate, info.channels, info.format) == (32000, 1, "FLAC")
    assert not list(out.glob("*.part"))
    # resumable: a second run renders nothing and lists the same tracks
    n = len(calls)
    tracks2, _ = fetch_mod.fetch_tracks(out, tmp_path / "cache", 4.0, FIXTURES / "manifest.csv", ready=rend, apt=object())
    assert len(calls) == n and [t["track_id"] for t in tracks2] == ["keymidi-test-data--g_major"]
    # another excerpt length is another file: rendered again
    fetch_mod.fetch_tracks(out, tmp_path / "cache", 3.0, FIXTURES / "manifest.csv", ready=rend, apt=object())
    assert len(calls) == n + 1
