"""Benchmark readers on tiny fixtures written in each dataset's own layout:
GTZAN, FMA, MTG-Jamendo, the Debian-fetched folder, folder and CSV; the label
maps; and an end-to-end evaluation through the MTG-Jamendo preset."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.benchmarks import BenchmarkError, list_real_tracks, parse_source, source_key
from helpers.benchmarks.labelmaps import PRESETS, normalize

PAPER = ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]
GTZAN_TEN = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]
SR = 16000


def tone(seconds=1.0, freq=440.0, sr=SR):
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_audio(path, seconds=1.0, freq=440.0, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds, freq), SR, format=fmt)
    return path


def reasons(real):
    return dict(zip(real.skipped["source"], real.skipped["reason"]))


# --- GTZAN ------------------------------------------------------------------------------

@pytest.fixture
def gtzan(tmp_path):
    root = tmp_path / "gtzan"
    for genre in ("blues", "classical", "disco", "pop", "rock"):
        for i in range(2):
            write_audio(root / "genres_original" / genre / f"{genre}.{i:05d}.wav")
    write_audio(root / "genres_original" / "rock" / "rock-bonus.wav")   # not GTZAN's naming
    (root / "genres_original" / "rock" / "notes.txt").write_text("not audio")
    return root


def test_gtzan_paper_preset(gtzan):
    real = list_real_tracks(f"gtzan:{gtzan}", PAPER)
    assert (real.kind, real.label_map) == ("gtzan", "gtzan-paper")
    by_id = dict(zip(real.tracks["track_id"], real.tracks["label"]))
    assert by_id == {"classical.00000": "Orchestral", "classical.00001": "Orchestral", "pop.00000": "Pop",
                     "pop.00001": "Pop", "rock.00000": "Rock", "rock.00001": "Rock"}
    assert real.tracks["group"].isna().all()                # GTZAN has no artist metadata
    assert real.counts["dropped"] == 4 and real.counts["ambiguous"] == 0   # blues, disco
    assert real.counts["invalid"] == 1
    assert reasons(real) == {"rock/rock-bonus.wav": "name does not follow GTZAN's rock.NNNNN.wav"}


def test_gtzan_own_ten_genres_and_other_roots(gtzan, tmp_path):
    real = list_real_tracks(f"gtzan:{gtzan / 'genres_original'}", GTZAN_TEN)
    assert real.label_map == "identity"
    assert sorted(set(real.tracks["label"])) == ["blues", "classical", "disco", "pop", "rock"]
    # the original tarball: genres/<genre>/<genre>.000NN.au
    orig = tmp_path / "orig"
    write_audio(orig / "genres" / "jazz" / "jazz.00054.au", fmt="AU")
    real = list_real_tracks(f"gtzan:{orig}", ["Jazz", "Rock"])
    assert list(real.tracks["label"]) == ["Jazz"] and real.tracks["path"][0].endswith(".au")
    with pytest.raises(BenchmarkError, match="no GTZAN genre folders"):
        list_real_tracks(f"gtzan:{tmp_path / 'nowhere'}", PAPER)


# --- FMA ----------------------------------------------------------------------------------

FMA_GENRES = [(4, 0, "Jazz"), (5, 0, "Classical"), (10, 0, "Pop"), (12, 0, "Rock"), (14, 0, "Soul-RnB"),
              (15, 0, "Electronic"), (19, 14, "Funk"), (181, 15, "Techno"), (377, 19, "Deep Funk")]
#: (track id, genres_all, subset, artist id, audio written?)
FMA_TRACKS = [
    (2, "[15, 181]", "small", 1, True),        # Electronic + Techno -> Electronica
    (3, "[14, 19, 377]", "small", 1, True),    # Soul-RnB > Funk > Deep Funk -> Funk
    (5, "[10, 12]", "small", 7, True),         # Pop and Rock: ambiguous
    (10, "[4]", "small", 8, True),             # Jazz: dropped
    (20, "[5]", "small", 9, False),            # Classical, audio missing
    (30, "[12]", "medium", 9, True),           # not in fma_small
    (40, "[]", "small", 9, True),              # no genre at all
    (50, "[999]", "small", 9, True),           # genre id not in genres.csv
]


def write_fma(root, tracks=FMA_TRACKS, audio="fma_small"):
    meta = root / "fma_metadata"
    meta.mkdir(parents=True)
    with open(meta / "genres.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["genre_id", "#tracks", "parent", "title", "top_level"])
        for gid, parent, title in FMA_GENRES:
            w.writerow([gid, 10, parent, title, gid if parent == 0 else parent])
    cols = [("album", "id"), ("album", "title"), ("artist", "id"), ("artist", "name"), ("set", "split"),
            ("set", "subset"), ("track", "genre_top"), ("track", "genres"), ("track", "genres_all"),
            ("track", "title")]
    lines = {}
    with open(meta / "tracks.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([""] + [a for a, _ in cols])           # the two-row header ...
        w.writerow([""] + [b for _, b in cols])
        w.writerow(["track_id"] + [""] * len(cols))       # ... and the index-name row
        line = 4
        for i, (tid, gall, subset, artist, _) in enumerate(tracks):
            title = "Two\nline title" if i == 0 else f"Song {tid}"   # a quoted newline, as in the real file
            w.writerow([tid, 100 + artist, "Album", artist, f"Artist {artist}", "training", subset, "",
                        gall, gall, title])
            lines[tid] = line
            line += title.count("\n") + 1
    for tid, _, _, _, write in tracks:
        if write:
            name = f"{tid:06d}"
            write_audio(root / audio / name[:3] / f"{name}.mp3", fmt="MP3")
    return lines


def test_fma_small_with_paper_preset(tmp_path):
    lines = write_fma(tmp_path / "fma")
    real = list_real_tracks(f"fma:{tmp_path / 'fma'}", PAPER)
    assert real.label_map == "fma-paper"
    mapped = real.tracks.set_index("track_id")
    assert dict(mapped["label"]) == {"000002": "Electronica", "000003": "Funk"}
    assert mapped.loc["000002", "path"].endswith("fma_small/000/000002.mp3")
    assert dict(mapped["group"]) == {"000002": "1", "000003": "1"}                 # artist id
    assert mapped.loc["000003", "dataset_labels"] == "Soul-RnB|Funk|Deep Funk"
    assert mapped.loc["000003", "source"] == f"tracks.csv:{lines[3]}" == "tracks.csv:6"  # after the 2-line title
    why = reasons(real)
    assert why[f"tracks.csv:{lines[5]}"].startswith("ambiguous: Pop, Rock")
    assert why[f"tracks.csv:{lines[20]}"] == "file not found"
    assert why[f"tracks.csv:{lines[50]}"] == "genre id 999 is not in genres.csv"
    assert real.counts == {"listed": 6, "mapped": 3, "dropped": 1, "unlabelled": 1, "ambiguous": 1,
                           "unknown": 0, "missing": 1, "invalid": 1}   # track 30 (medium) is not listed at all


def test_fma_audio_folder_choice_and_bad_rows(tmp_path):
    write_fma(tmp_path / "fma")
    (tmp_path / "fma" / "fma_large").mkdir()
    with pytest.raises(BenchmarkError, match="several FMA audio folders .*name one"):
        list_real_tracks(f"fma:{tmp_path / 'fma'}", PAPER)
    real = list_real_tracks(f"fma:{tmp_path / 'fma' / 'fma_small'}", PAPER)   # naming the folder chooses
    assert set(real.tracks["track_id"]) == {"000002", "000003"}
    bad = tmp_path / "bad"
    write_fma(bad, tracks=[(2, "[15, oops", "small", 1, True)])
    with pytest.raises(BenchmarkError, match=r"tracks\.csv:4: track.genres_all '\[15, oops'"):
        list_real_tracks(f"fma:{bad}", PAPER)
    with open(bad / "fma_metadata" / "tracks.csv", "a") as fh:
        fh.write("7,1,2\n")
    text = (bad / "fma_metadata" / "tracks.csv").read_text().replace("[15, oops", "[15]")
    (bad / "fma_metadata" / "tracks.csv").write_text(text)
    with pytest.raises(BenchmarkError, match=r"tracks\.csv:6: 3 field\(s\), the header has 11"):  # 4-5: row 1
        list_real_tracks(f"fma:{bad}", PAPER)


# --- MTG-Jamendo --------------------------------------------------------------------------------

JAMENDO_ROWS = [
    # track, artist, path, tags, audio: "mp3" | "low" | "broken" | None
    ("track_0000214", "artist_000014", "14/214.mp3",
     ["genre---electronic", "genre---techno", "mood/theme---dark"], "mp3"),
    ("track_0000215", "artist_000014", "15/215.mp3", ["genre---funk", "instrument---bass"], "mp3"),
    ("track_0000300", "artist_000020", "00/300.mp3", ["genre---pop"], "low"),
    ("track_0000301", "artist_000021", "01/301.mp3", ["genre---rock", "genre---pop"], "mp3"),
    ("track_0000302", "artist_000021", "02/302.mp3", ["genre---jazz"], "mp3"),
    ("track_0000303", "artist_000022", "03/303.mp3", ["genre---classical"], None),
    ("track_0000304", "artist_000023", "04/304.mp3", ["genre---rock", "genre---grunge"], "broken"),
    ("track_0000305", "artist_000024", "05/305.mp3", ["genre---orchestral"], "mp3"),
]


def write_jamendo(root, rows=JAMENDO_ROWS, seconds=3.0, name="autotagging_genre.tsv"):
    root.mkdir(parents=True, exist_ok=True)
    lines = ["TRACK_ID\tARTIST_ID\tALBUM_ID\tPATH\tDURATION\tTAGS"]
    for i, (track, artist, path, tags, audio) in enumerate(rows):
        lines.append("\t".join([track, artist, f"album_{i:06d}", path, f"{seconds:.1f}", *tags]))
        target = root / path
        if audio == "low":
            target = target.with_name(target.stem + ".low.mp3")
        if audio in ("mp3", "low"):
            write_audio(target, seconds, 220.0 + 110 * i, fmt="MP3")
        elif audio == "broken":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90" + bytes(600))
    (root / name).write_text("\n".join(lines) + "\n")
    return root


def test_mtg_jamendo_preset_groups_and_skips(tmp_path):
    root = write_jamendo(tmp_path / "jamendo")
    real = list_real_tracks(f"mtg-jamendo:{root}", PAPER)
    assert real.label_map == "mtg-jamendo-paper"
    mapped = real.tracks.set_index("track_id")
    assert dict(mapped["label"]) == {"track_0000214": "Electronica", "track_0000215": "Funk",
                                     "track_0000300": "Pop", "track_0000304": "Rock",
                                     "track_0000305": "Orchestral"}
    assert mapped.loc["track_0000300", "path"].endswith("00/300.low.mp3")       # the low-quality variant
    assert mapped.loc["track_0000214", "group"] == "artist_000014"
    assert mapped.loc["track_0000214", "dataset_labels"] == "genre---electronic|genre---techno"  # genre tags only
    why = reasons(real)
    assert why["autotagging_genre.tsv:5"] == "ambiguous: Pop, Rock (labels genre---rock, genre---pop)"
    assert why["autotagging_genre.tsv:7"] == "file not found (nor 03/303.low.mp3)"
    assert real.counts["dropped"] == 1 and real.counts["missing"] == 1            # jazz; classical's file
    # the TSV itself may be named, with the audio tree beside it
    same = list_real_tracks(f"mtg-jamendo:{root / 'autotagging_genre.tsv'}", PAPER)
    assert list(same.tracks["track_id"]) == list(real.tracks["track_id"])


def test_mtg_jamendo_unknown_tag_counts_unless_the_map_drops_it(tmp_path):
    root = write_jamendo(tmp_path / "jamendo")
    lmap = {"genre---electronic": "Electronica", "genre---techno": "Electronica", "genre---funk": "Funk",
            "genre---pop": "Pop", "genre---rock": "Rock", "genre---classical": "Orchestral",
            "genre---orchestral": "Orchestral"}
    real = list_real_tracks(f"mtg-jamendo:{root}", PAPER, lmap)
    why = reasons(real)
    assert why["autotagging_genre.tsv:6"].startswith("unknown label(s) 'genre---jazz': not in label map 'custom'")
    assert why["autotagging_genre.tsv:8"].startswith("unknown label(s) 'genre---grunge'")
    assert real.counts["unknown"] == 2 and real.counts["dropped"] == 0
    real = list_real_tracks(f"mtg-jamendo:{root}", PAPER, {**lmap, "*": None})   # told to drop the rest
    assert real.counts["unknown"] == 0 and real.counts["dropped"] == 1
    assert real.tracks.set_index("track_id").loc["track_0000304", "label"] == "Rock"
    # a pattern key, and a genre outside the paper's five
    real = list_real_tracks(f"mtg-jamendo:{root}", ["jazz", "Rock"], {"genre---jazz": "Jazz", "*rock*": "rock",
                                                                     "*": None})
    assert dict(zip(real.tracks["track_id"], real.tracks["label"])) == {
        "track_0000301": "Rock", "track_0000302": "jazz", "track_0000304": "Rock"}   # the study's spelling


def test_mtg_jamendo_malformed_rows_name_file_and_line(tmp_path):
    root = write_jamendo(tmp_path / "j1", rows=JAMENDO_ROWS[:2])
    tsv = root / "autotagging_genre.tsv"
    tsv.write_text(tsv.read_text() + "track_0000999\tartist_1\talbum_1\t99/999.mp3\tlong\tgenre---pop\n")
    with pytest.raises(BenchmarkError, match=r"autotagging_genre\.tsv:4: DURATION 'long' is not a number"):
        list_real_tracks(f"mtg-jamendo:{root}", PAPER)
    tsv.write_text(tsv.read_text().replace("\tlong\tgenre---pop", ""))
    with pytest.raises(BenchmarkError, match=r"autotagging_genre\.tsv:4: 4 field\(s\), the header has 6"):
        list_real_tracks(f"mtg-jamendo:{root}", PAPER)
    with pytest.raises(BenchmarkError, match=r"no autotagging_genre\.tsv or autotagging\.tsv"):
        list_real_tracks(f"mtg-jamendo:{tmp_path}", PAPER)


def test_broken_mp3_is_an_embedding_skip_naming_the_file(tmp_path):
    from helpers.embedding import embed_files

    from conftest import SpectrumEmbedder

    real = list_real_tracks(f"mtg-jamendo:{write_jamendo(tmp_path / 'jamendo')}", PAPER)
    items = real.tracks.rename(columns={"track_id": "id"})[["id", "path"]]
    res = embed_files(items, tmp_path / "emb", "real", SpectrumEmbedder(), window_s=2.0, max_windows=1,
                      progress=False)
    skipped = res["skipped"].set_index("id")
    assert list(skipped.index) == ["track_0000304"]
    assert skipped.loc["track_0000304", "path"].endswith("04/304.mp3")
    assert "cannot read audio" in skipped.loc["track_0000304", "reason"]
    assert sorted(set(res["ids"])) == ["track_0000214", "track_0000215", "track_0000300", "track_0000305"]


# --- the Debian-fetched folder, folder and CSV ------------------------------------------------

def test_debian_fetched_folder_groups_by_package(tmp_path):
    out = tmp_path / "realbench"
    rows = [("Electronica/pkg-a--one.flac", "Electronica", "pkg-a"), ("Rock/pkg-a--two.flac", "Rock", "pkg-a"),
            ("Pop/pkg-b--three.flac", "Pop", "pkg-b"), ("Rock/pkg-c--gone.flac", "Rock", "pkg-c")]
    for rel, _, _ in rows[:3]:
        write_audio(out / rel, fmt="FLAC")
    pd.DataFrame([{"path": p, "label": lab, "package": pkg, "version": "1.0", "source_path": "/usr/x.ogg",
                   "duration_s": 1.0, "license": "GPL-2+, with a comma", "confidence": "high"}
                  for p, lab, pkg in rows]).to_csv(out / "labels.csv", index=False)
    assert parse_source(out) == ("debian", out)          # a plain path to a fetched folder
    real = list_real_tracks(out, ["Rock", "Pop"])
    assert dict(zip(real.tracks["track_id"], real.tracks["group"])) == {"Rock/pkg-a--two.flac": "pkg-a",
                                                                         "Pop/pkg-b--three.flac": "pkg-b"}
    assert real.counts["dropped"] == 1                   # Electronica is not a genre of this study
    assert reasons(real) == {"labels.csv:5": "file not found"}


def test_folder_and_csv_group_column_and_errors(tmp_path):
    root = tmp_path / "bench"
    write_audio(root / "rock" / "a.wav")
    write_audio(root / "Polka" / "b.wav")
    real = list_real_tracks(root, PAPER)
    assert (real.kind, list(real.tracks["label"])) == ("folder", ["Rock"])
    assert reasons(real)["Polka/b.wav"].startswith("unknown label(s) 'Polka'")
    assert list_real_tracks(f"folder:{root}", PAPER, {"polka": "Funk", "rock": "Rock"}).tracks["label"].tolist() \
        == ["Funk", "Rock"]
    table = tmp_path / "b.csv"
    table.write_text(f"path,label,group\n{root}/rock/a.wav,ROCK,artist-1\nbench/Polka/b.wav,pop,\n")
    real = list_real_tracks(table, PAPER)
    assert real.tracks["label"].tolist() == ["Rock", "Pop"] and real.tracks["group"].tolist() == ["artist-1", None]
    table.write_text("path,label\nbench/rock/a.wav,Rock\nbench/Polka/b.wav,Polka\n")
    with pytest.raises(BenchmarkError, match=r"b\.csv:3: unknown genre 'Polka'"):
        list_real_tracks(table, PAPER)
    table.write_text("path,label\nbench/rock/a.wav,Rock,extra\n")
    with pytest.raises(BenchmarkError, match=r"b\.csv:2: 3 field\(s\), the header has 2"):
        list_real_tracks(table, PAPER)


def test_sources_and_keys(tmp_path):
    assert parse_source("gtzan:/data/gtzan") == ("gtzan", Path("/data/gtzan"))
    with pytest.raises(BenchmarkError, match="unknown benchmark kind 'gtzn'"):
        parse_source("gtzn:/data/gtzan")
    with pytest.raises(BenchmarkError, match="neither a folder nor a CSV"):
        parse_source(tmp_path / "missing")
    assert source_key(tmp_path) == str(tmp_path.resolve())           # plain paths key as before
    assert source_key(f"fma:{tmp_path}") == f"fma:{tmp_path.resolve()}"


def test_label_map_helpers():
    assert normalize("genre---Hip-Hop") == normalize("hiphop") == "hiphop"
    assert all(p.get("*", "absent") is None for p in PRESETS.values())   # presets drop what they do not name
    assert {v for p in PRESETS.values() for v in p.values() if v} == set(PAPER)


# --- end to end ----------------------------------------------------------------------------------------

def test_mtg_jamendo_evaluation_end_to_end(tmp_path):
    from helpers.config import load_config
    from helpers.pipeline import run_embedding, run_evaluation, run_generation, run_prompts, run_training

    root = write_jamendo(tmp_path / "jamendo")
    cfg = load_config("smoke", {"generation.backend": "tone", "generation.workers": 1, "generation.duration_s": 3.0,
                                "embedding.backend": "spectrum", "embedding.options": {},
                                "evaluation.window_s": 2.0, "evaluation.max_windows": 1, "training.max_epochs": 3},
                      run_dir=str(tmp_path / "run"), real_data=f"mtg-jamendo:{root}")
    run_prompts(cfg)
    run_generation(cfg, progress=False)
    emb = run_embedding(cfg, progress=False)
    assert emb["real"]["summary"]["label_map"] == "mtg-jamendo-paper"
    run_training(cfg, progress=False)
    res = run_evaluation(cfg)
    real = json.loads((cfg.run_path / "metrics.json").read_text())["real"]
    assert real["tracks"] == 4 and real["n"] == 4
    assert real["skipped"] == 3            # ambiguous rock/pop, missing classical file, broken MP3
    lm = real["label_map"]
    assert (lm["kind"], lm["label_map"]) == ("mtg-jamendo", "mtg-jamendo-paper")
    assert {k: lm[k] for k in ("listed", "mapped", "dropped", "ambiguous", "unknown", "missing", "invalid")} == \
        {"listed": 8, "mapped": 6, "dropped": 1, "ambiguous": 1, "unknown": 0, "missing": 1, "invalid": 0}
    assert lm["per_genre"] == {"Electronica": 1, "Funk": 1, "Pop": 1, "Rock": 1, "Orchestral": 1}
    preds = res["real_predictions"].set_index("track_id")
    assert dict(preds["label"]) == {"track_0000214": "Electronica", "track_0000215": "Funk",
                                    "track_0000300": "Pop", "track_0000305": "Orchestral"}
    assert [r["support"] for r in real["per_class"].values()] == [1, 1, 1, 1, 0]
    skipped = pd.read_csv(next(cfg.run_path.glob("embeddings/*/real-*/real.skipped.csv")))
    kinds = sorted("ambiguous" if r.startswith("ambiguous: Pop, Rock") else "missing" if r.startswith("file not found")
                   else "unreadable" if "304.mp3" in r and "cannot read audio" in r else r for r in skipped["reason"])
    assert kinds == ["ambiguous", "missing", "unreadable"]
    # the other classifier seeds (smoke: training.spread_seeds 1): trained on the same split, scored alike
    spread = json.loads((cfg.run_path / "metrics.json").read_text())["seed_spread"]
    table = pd.read_csv(cfg.run_path / "evaluation" / "seed_spread.csv")
    assert spread["seeds"] == list(table["seed"]) == [cfg.seed, cfg.seed + 1]
    assert table["real_accuracy"].iloc[0] == real["accuracy"]  # the first row is the study's own classifier
    assert spread["real_accuracy"]["mean"] == pytest.approx(table["real_accuracy"].mean())
    assert spread["recall"]["Rock"] is None  # no Rock track in this benchmark (support 0 above)
    assert spread["recall"]["Funk"]["min"] <= spread["recall"]["Funk"]["mean"] <= spread["recall"]["Funk"]["max"]
    before = table.copy()
    run_training(cfg, progress=False)  # again: the same classifiers, so the same figures
    run_evaluation(cfg)
    pd.testing.assert_frame_equal(pd.read_csv(cfg.run_path / "evaluation" / "seed_spread.csv"), before)
    one = load_config("smoke", {"generation.backend": "tone", "embedding.backend": "spectrum", "embedding.options": {},
                                "generation.duration_s": 3.0, "evaluation.window_s": 2.0, "evaluation.max_windows": 1,
                                "training.max_epochs": 3, "training.spread_seeds": 0},
                      run_dir=str(cfg.run_path), real_data=f"mtg-jamendo:{root}")
    run_training(one, progress=False)  # one seed only: the other seeds' classifiers go, and so does the spread
    assert not (cfg.run_path / "model" / "spread").exists()
    assert "seed_spread" not in run_evaluation(one)["metrics"]
