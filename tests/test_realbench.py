"""Offline tests for the Debian-packaged benchmark (helpers.benchmarks.debian,
also importable as helpers.realbench): fake .debs built with dpkg-deb, no network."""

from __future__ import annotations

import csv
import logging
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.benchmarks import debian as realbench
from helpers.benchmarks.debian import (
    FetchError,
    ManifestError,
    extract_members,
    fetch_benchmark,
    read_manifest,
)

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")

SR_IN = 44_100

MUSIC_PKG, MUSIC_VERSION = "fake-music", "1.0-1"
SONGS_PKG, SONGS_VERSION = "fretsonfire-songs-fake", "2.0-1"
TONE = "/usr/share/games/fake/music/Techno-Tone.ogg"
LINK = "/usr/share/games/fake/music/linked.ogg"
PK3 = "/usr/share/games/fake/data/music.pk3"
PK3_MEMBER = "sound/cdtracks/zip-tone.ogg"
SONG_DIR = "/usr/share/games/fretsonfire/data/songs/fake/Loud Song"
LONE_DIR = "/usr/share/games/fretsonfire/data/songs/fake/No Guitar"


def _sine(freq: float, seconds: float, amp: float, channels: int = 2) -> np.ndarray:
    t = np.arange(int(seconds * SR_IN)) / SR_IN
    tone = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([tone] * channels, axis=1) if channels > 1 else tone


def _write_ogg(path: Path, audio: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), audio, SR_IN, format="OGG", subtype="VORBIS")


def _build_deb(root: Path, package: str, version: str, out: Path) -> Path:
    control = root / "DEBIAN" / "control"
    control.parent.mkdir(parents=True, exist_ok=True)
    control.write_text(f"Package: {package}\nVersion: {version}\nArchitecture: all\n"
                       "Maintainer: Test <test@example.org>\nDescription: test package\n")
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(out)],
                   check=True, capture_output=True)
    return out


def _inside(root: Path, path: str) -> Path:
    return root / path.lstrip("/")


@pytest.fixture(scope="module")
def debs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two fake packages: plain OGG + symlink + .pk3 zip, and a Frets on Fire pack."""
    base = tmp_path_factory.mktemp("debs")
    music = base / "music-root"
    _write_ogg(_inside(music, TONE), _sine(440, 1.5, 0.5))
    os.symlink("Techno-Tone.ogg", _inside(music, LINK))
    staging = base / "zip-tone.ogg"
    _write_ogg(staging, _sine(330, 1.0, 0.5, channels=1))
    _inside(music, PK3).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(_inside(music, PK3), "w") as zf:
        zf.write(staging, PK3_MEMBER)
        zf.writestr("sound/readme.txt", "not audio")
    songs = base / "songs-root"
    # Two loud stems: their sum peaks near 1.4, so the mix must be scaled down.
    _write_ogg(_inside(songs, f"{SONG_DIR}/song.ogg"), _sine(220, 2.0, 0.7))
    _write_ogg(_inside(songs, f"{SONG_DIR}/guitar.ogg"), _sine(1320, 2.0, 0.7))
    _write_ogg(_inside(songs, f"{LONE_DIR}/song.ogg"), _sine(220, 1.0, 0.5))
    return {
        MUSIC_PKG: _build_deb(music, MUSIC_PKG, MUSIC_VERSION, base / "fake-music.deb"),
        SONGS_PKG: _build_deb(songs, SONGS_PKG, SONGS_VERSION, base / "fretsonfire-songs-fake.deb"),
    }


@pytest.fixture
def downloads(debs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Replace the apt download step with a copy of the fake .debs; records calls."""
    calls: list[tuple[str, str]] = []

    def fake_download(package: str, version: str, cache_dir: Path, apt: object = None) -> Path:
        calls.append((package, version))
        if package not in debs:
            raise FetchError(f"apt-get download {package} failed: E: Unable to locate package {package}")
        target = Path(cache_dir) / "debs" / f"{package}_test_all.deb"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(debs[package], target)
        return target

    real_run = realbench.apt._run

    def no_apt(cmd: list[str], *args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        if cmd[0] == "apt-get":
            raise AssertionError("tests must not call apt")
        return real_run(cmd, *args, **kwargs)

    monkeypatch.setattr(realbench.fetch, "download_deb", fake_download)  # where fetch_benchmark calls it
    monkeypatch.setattr(realbench.apt, "_run", no_apt)  # where the apt helpers call it
    return calls


MANIFEST_ROWS = [
    # package, version, path, duration_s, label
    (MUSIC_PKG, MUSIC_VERSION, TONE, 1.5, "electronica"),                # 1 plain, label lower-case
    (MUSIC_PKG, MUSIC_VERSION, f"{PK3}!{PK3_MEMBER}", 1.0, "Funk"),      # 2 zip member
    (SONGS_PKG, "1.9-1", f"{SONG_DIR}/song.ogg", 2.0, "Rock"),           # 3 stems; other version
    (MUSIC_PKG, MUSIC_VERSION, "/usr/share/games/fake/music/nope.ogg", 3.0, "Pop"),  # 4 missing
    (MUSIC_PKG, MUSIC_VERSION, f"{PK3}!sound/cdtracks/nope.ogg", 3.0, "Pop"),      # 5 missing
    ("no-such-package", "1.0", "/usr/share/x/y.ogg", 3.0, "Orchestral"),             # 6 no package
    (SONGS_PKG, "1.9-1", f"{LONE_DIR}/song.ogg", 1.0, "Rock"),           # 7 guitar stem missing
    (MUSIC_PKG, MUSIC_VERSION, LINK, 1.5, "ORCHESTRAL"),                 # 8 symlink in package
]


def _write_manifest(path: Path, rows: list[tuple], header: list[str] | None = None) -> Path:
    header = header or list(realbench.MANIFEST_COLUMNS)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for package, version, member, duration, label in rows:
            values = {"package": package, "version": version, "path": member, "duration_s": duration,
                      "label": label, "confidence": "high", "evidence": "test, with a comma",
                      "license": "CC0", "group": f"artist of {package}"}
            writer.writerow([values[c] for c in header])
    return path


def _peak_freq(audio: np.ndarray, sr: int, lo: float, hi: float) -> float:
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    freqs = np.fft.rfftfreq(len(audio), 1 / sr)
    band = (freqs >= lo) & (freqs <= hi)
    return float(freqs[band][np.argmax(spectrum[band])])


@pytest.fixture
def fetched(tmp_path: Path, downloads: list[tuple[str, str]]) -> tuple[Path, pd.DataFrame, Path]:
    manifest = _write_manifest(tmp_path / "manifest.csv", MANIFEST_ROWS)
    out = tmp_path / "out"
    report = fetch_benchmark(manifest, out, cache_dir=tmp_path / "cache", progress=False)
    return out, report, manifest


def test_statuses_and_reasons(fetched: tuple[Path, pd.DataFrame, Path]) -> None:
    _, report, _ = fetched
    assert list(report.columns) == list(realbench.REPORT_COLUMNS)
    status = dict(zip(report["row"], report["status"]))
    assert status == {1: "ok", 2: "ok", 3: "ok", 4: "skipped", 5: "skipped", 6: "skipped",
                      7: "skipped", 8: "ok"}
    reason = dict(zip(report["row"], report["reason"]))
    assert "nope.ogg" in reason[4] and "member missing" in reason[4]
    assert "sound/cdtracks/nope.ogg" in reason[5] and "music.pk3" in reason[5]
    assert "package not downloaded" in reason[6] and "no-such-package" in reason[6]
    assert "guitar.ogg" in reason[7]
    assert "mixed 2 stems" in reason[3]
    # A skip names package, row and path.
    skip = report[report["row"] == 6].iloc[0]
    assert (skip["package"], skip["path"]) == ("no-such-package", "/usr/share/x/y.ogg")


def test_outputs_are_32k_mono_flac_in_label_folders(fetched: tuple[Path, pd.DataFrame, Path]) -> None:
    out, report, _ = fetched
    ok = report[report["status"] == "ok"]
    assert set(ok["out_path"]) == {
        "Electronica/fake-music--techno-tone.flac",
        "Funk/fake-music--zip-tone.flac",
        "Rock/fretsonfire-songs-fake--loud-song.flac",
        "Orchestral/fake-music--linked.flac",
    }
    for rel, expected in zip(ok["out_path"], ok["duration_s"]):
        info = sf.info(str(out / rel))
        assert (info.format, info.samplerate, info.channels) == ("FLAC", 32_000, 1)
        assert info.frames / 32_000 == pytest.approx(expected, abs=1e-3)
    tone, sr = sf.read(str(out / "Electronica/fake-music--techno-tone.flac"))
    assert len(tone) / sr == pytest.approx(1.5, abs=0.05)
    assert _peak_freq(tone, sr, 100, 2000) == pytest.approx(440, abs=3)
    zipped, sr = sf.read(str(out / "Funk/fake-music--zip-tone.flac"))
    assert _peak_freq(zipped, sr, 100, 2000) == pytest.approx(330, abs=3)
    # Usual permissions (not mkstemp's 0600), so other users can read the set.
    umask = os.umask(0)
    os.umask(umask)
    for rel in [*ok["out_path"], "labels.csv"]:
        assert (out / rel).stat().st_mode & 0o777 == 0o666 & ~umask
    # Nothing but the FLACs, labels.csv and the lock file; no temp files left.
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert names == set(ok["out_path"]) | {"labels.csv", ".realbench.lock"}


def test_stems_are_mixed_and_peak_normalised(fetched: tuple[Path, pd.DataFrame, Path]) -> None:
    out, _, _ = fetched
    mix, sr = sf.read(str(out / "Rock/fretsonfire-songs-fake--loud-song.flac"))
    assert len(mix) / sr == pytest.approx(2.0, abs=0.05)
    assert _peak_freq(mix, sr, 100, 600) == pytest.approx(220, abs=3)     # song.ogg
    assert _peak_freq(mix, sr, 1000, 2000) == pytest.approx(1320, abs=3)  # guitar.ogg
    peak = float(np.max(np.abs(mix)))
    assert 0.9 < peak <= realbench.PEAK_CEILING + 1e-3  # the ~1.4 sum was scaled, not clipped


def test_labels_csv(fetched: tuple[Path, pd.DataFrame, Path]) -> None:
    out, _, _ = fetched
    labels = pd.read_csv(out / "labels.csv", dtype={"version": str})
    assert list(labels.columns) == list(realbench.LABELS_COLUMNS)
    assert list(labels["label"]) == ["Electronica", "Funk", "Rock", "Orchestral"]  # canonical case
    by_path = labels.set_index("path")
    row = by_path.loc["Funk/fake-music--zip-tone.flac"]
    assert row["source_path"] == f"{PK3}!{PK3_MEMBER}"
    assert (row["package"], row["version"], row["license"], row["confidence"]) == (
        MUSIC_PKG, MUSIC_VERSION, "CC0", "high")
    assert row["duration_s"] == pytest.approx(1.0, abs=0.05)
    # The manifest asked for 1.9-1; the version actually used is recorded.
    assert by_path.loc["Rock/fretsonfire-songs-fake--loud-song.flac", "version"] == SONGS_VERSION
    for rel in labels["path"]:
        assert (out / rel).is_file()


def test_labels_csv_carries_group_column(downloads: list[tuple[str, str]], tmp_path: Path) -> None:
    """A manifest's optional ``group`` column (artist, for splits) reaches labels.csv."""
    header = [*realbench.MANIFEST_COLUMNS, "group"]
    manifest = _write_manifest(tmp_path / "manifest.csv", MANIFEST_ROWS[:3], header)
    for source in (manifest, read_manifest(manifest)):  # a path, and a frame
        out = tmp_path / ("out-path" if isinstance(source, Path) else "out-frame")
        fetch_benchmark(source, out, cache_dir=tmp_path / "cache", progress=False)
        labels = pd.read_csv(out / "labels.csv", dtype={"version": str})
        assert list(labels.columns) == [*realbench.LABELS_COLUMNS, "group"]
        assert list(labels["group"]) == [f"artist of {MUSIC_PKG}"] * 2 + [f"artist of {SONGS_PKG}"]


def test_rerun_skips_existing_files(fetched: tuple[Path, pd.DataFrame, Path],
                                    downloads: list[tuple[str, str]], tmp_path: Path) -> None:
    out, first, manifest = fetched
    files = {p: p.stat().st_mtime_ns for p in out.glob("*/*.flac")}
    labels_before = (out / "labels.csv").read_text()
    calls_before = len(downloads)
    again = fetch_benchmark(manifest, out, cache_dir=tmp_path / "cache", progress=False)
    ok = again[again["status"] == "ok"]
    assert set(ok["reason"]) == {"already present"}
    assert list(again["status"]) == list(first["status"])
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/*.flac")} == files
    assert (out / "labels.csv").read_text() == labels_before
    # Only the packages with still-missing rows are asked for again.
    assert {p for p, _ in downloads[calls_before:]} == {MUSIC_PKG, SONGS_PKG, "no-such-package"}


def test_rerun_replaces_invalid_file_and_cleans_temp(fetched: tuple[Path, pd.DataFrame, Path],
                                                     tmp_path: Path) -> None:
    out, _, manifest = fetched
    broken = out / "Funk/fake-music--zip-tone.flac"
    broken.write_bytes(b"not a flac")
    stale = out / "Funk/.fake-music--zip-tone.abc.flac.part"
    stale.write_bytes(b"partial")
    report = fetch_benchmark(manifest, out, cache_dir=tmp_path / "cache", progress=False)
    reasons = dict(zip(report["row"], report["reason"]))
    assert reasons[2].startswith("fetched") and reasons[1] == "already present"
    assert sf.info(str(broken)).samplerate == 32_000
    assert not stale.exists()


def test_read_manifest_canonical_labels_and_row_column(tmp_path: Path) -> None:
    frame = read_manifest(_write_manifest(tmp_path / "m.csv", MANIFEST_ROWS))
    assert list(frame["row"]) == list(range(1, len(MANIFEST_ROWS) + 1))
    assert list(frame["label"][:3]) == ["Electronica", "Funk", "Rock"]
    assert frame["label"].iloc[-1] == "Orchestral"
    assert frame["duration_s"].dtype == float


def test_unknown_label_names_row_and_value(tmp_path: Path) -> None:
    rows = [MANIFEST_ROWS[0], (MUSIC_PKG, MUSIC_VERSION, "/usr/share/a.ogg", 1.0, "Jazz")]
    path = _write_manifest(tmp_path / "bad.csv", rows)
    with pytest.raises(ManifestError) as err:
        read_manifest(path)
    message = str(err.value)
    assert "bad.csv" in message and "row 2 (line 3)" in message and "'Jazz'" in message
    assert "Electronica, Funk, Orchestral, Pop, Rock" in message


def test_missing_column_is_named(tmp_path: Path) -> None:
    header = [c for c in realbench.MANIFEST_COLUMNS if c != "label"]
    rows = [(p, v, m, d, "Rock") for p, v, m, d, _ in MANIFEST_ROWS[:1]]
    path = _write_manifest(tmp_path / "nolabel.csv", rows, header=header)
    with pytest.raises(ManifestError, match=r"nolabel\.csv: missing column\(s\) label"):
        read_manifest(path)


def test_other_bad_rows_are_all_listed(tmp_path: Path) -> None:
    rows = [
        (MUSIC_PKG, MUSIC_VERSION, "relative/path.ogg", 1.0, "Rock"),
        (MUSIC_PKG, MUSIC_VERSION, TONE, "long", "Rock"),
        (MUSIC_PKG, MUSIC_VERSION, TONE, 1.0, "Rock"),
        (MUSIC_PKG, "2.0", "/usr/share/b.ogg", 1.0, "Rock"),
    ]
    with pytest.raises(ManifestError) as err:
        read_manifest(_write_manifest(tmp_path / "m.csv", rows))
    message = str(err.value)
    assert "row 1" in message and "'relative/path.ogg'" in message
    assert "row 2" in message and "duration_s 'long'" in message
    assert "row 3" in message and "duplicate of row 2" in message
    assert "row 4" in message and "version '2.0'" in message


def test_bad_manifest_aborts_before_any_download(tmp_path: Path, downloads: list) -> None:
    path = _write_manifest(tmp_path / "bad.csv", [(MUSIC_PKG, MUSIC_VERSION, TONE, 1.0, "Polka")])
    with pytest.raises(ManifestError, match="Polka"):
        fetch_benchmark(path, tmp_path / "out", cache_dir=tmp_path / "cache", progress=False)
    assert downloads == []
    assert realbench.main(["--manifest", str(path), "--out", str(tmp_path / "out"),
                           "--cache", str(tmp_path / "cache"), "--no-progress"]) == 2


def test_extract_members_follows_links_and_omits_missing(debs: dict[str, Path], tmp_path: Path) -> None:
    got = extract_members(debs[MUSIC_PKG], [TONE, LINK, PK3, "/usr/share/none.ogg"], tmp_path)
    assert set(got) == {TONE, LINK, PK3}
    assert got[LINK].read_bytes() == got[TONE].read_bytes()
    with zipfile.ZipFile(got[PK3]) as zf:
        assert PK3_MEMBER in zf.namelist()


def test_download_deb_prefers_cached_exact_version(debs: dict[str, Path], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    (cache / "debs").mkdir(parents=True)
    cached = cache / "debs" / f"{MUSIC_PKG}_{MUSIC_VERSION}_all.deb"
    shutil.copy(debs[MUSIC_PKG], cached)

    def fail(*args: object, **kwargs: object) -> Path:
        raise AssertionError("cached exact version must not be downloaded")

    monkeypatch.setattr(realbench.apt, "_apt_download", fail)
    assert realbench.download_deb(MUSIC_PKG, MUSIC_VERSION, cache) == cached


def test_download_deb_falls_back_to_available_version(debs: dict[str, Path], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def fake_apt(package: str, version: str, debs_dir: Path, apt: object) -> Path:
        asked.append(version)
        if version:
            raise FetchError(f"E: Version '{version}' for '{package}' was not found")
        target = debs_dir / f"{package}_{SONGS_VERSION}_all.deb"
        shutil.copy(debs[SONGS_PKG], target)
        return target

    monkeypatch.setattr(realbench.apt, "_apt_download", fake_apt)
    deb = realbench.download_deb(SONGS_PKG, "1.9-1", tmp_path / "cache")
    assert asked == ["1.9-1", ""]
    assert realbench.deb_fields(deb)["Version"] == SONGS_VERSION


def test_apt_lists_fall_back_to_system_only_after_update(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    commands: list[list[str]] = []

    def fake_run(cmd: list[str], cwd: Path | None = None, timeout: float = 0
                 ) -> subprocess.CompletedProcess[str]:
        commands.append(cmd)
        private = any(a.startswith("Dir::State::Lists=") for a in cmd)
        return subprocess.CompletedProcess(cmd, 100 if private else 0, "", "E: private failed")

    monkeypatch.setattr(realbench.apt, "_run", fake_run)
    with caplog.at_level(logging.WARNING, logger="helpers.benchmarks.debian"):
        assert realbench.AptLists(tmp_path).options() == []
    assert commands[1] == ["apt-get", "-q", "update"]
    assert "SYSTEM apt package lists" in caplog.text

    monkeypatch.setattr(realbench.apt, "_run", lambda cmd, **kw: subprocess.CompletedProcess(
        cmd, 100, "", "E: offline"))
    lists = realbench.AptLists(tmp_path)
    with pytest.raises(FetchError, match="offline"):
        lists.options()


def test_shipped_manifest_parses() -> None:
    path = realbench.resolve_manifest("shared-dev")
    assert path.parent == realbench.manifest_dir() and path.name == "shared-dev.csv"
    frame = read_manifest(path)
    assert len(frame) == 23
    assert set(frame["label"]) == set(realbench.LABELS)
    names = realbench.manifest._out_names(frame)
    assert len(set(names)) == len(names)


def test_manifest_names_default_and_errors(tmp_path: Path) -> None:
    default = realbench.resolve_manifest(None)
    assert default.stem == ("dev" if "dev" in realbench.shipped_manifests() else "shared-dev")
    own = _write_manifest(tmp_path / "mine.csv", MANIFEST_ROWS[:1])
    assert realbench.resolve_manifest(str(own)) == own           # a path still works
    with pytest.raises(ManifestError, match=r"no manifest 'nope'.*shared-dev"):
        realbench.resolve_manifest("nope")
    assert realbench.main(["--manifest", "nope", "--out", str(tmp_path / "out"), "--no-progress"]) == 2


def test_old_module_name_is_the_same_module() -> None:
    from helpers import realbench as old

    assert old is realbench and old.main is realbench.main
