"""The embedding stage driver and the real-benchmark reader: windows, skips, resume."""

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.audio import middle_windows
from helpers.data import list_real_benchmark
from helpers.embedding import embed_files

from conftest import SpectrumEmbedder

GENRES = ["Electronica", "Funk", "Orchestral", "Pop", "Rock"]


def tone(seconds, freq, sr=22050, amp=0.3):
    t = np.arange(int(seconds * sr)) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


@pytest.fixture
def bench(tmp_path):
    root = tmp_path / "bench"
    (root / "rock").mkdir(parents=True)          # names matched without case
    (root / "ORCHESTRAL").mkdir()
    (root / "Polka").mkdir()                      # not a genre of the study: its tracks are listed skips
    sf.write(root / "rock" / "long.wav", tone(35, 440), 22050)
    sf.write(root / "rock" / "short.wav", tone(4, 440), 22050)
    sf.write(root / "ORCHESTRAL" / "quiet.flac", np.zeros(22050 * 12, np.float32), 22050)
    (root / "ORCHESTRAL" / "broken.wav").write_bytes(b"RIFF....not a wav")
    sf.write(root / "ORCHESTRAL" / "ok.ogg", tone(12, 220), 22050, format="OGG", subtype="VORBIS")
    sf.write(root / "Polka" / "accordion.wav", tone(12, 330), 22050)
    return root


def test_middle_windows():
    x = np.arange(100, dtype=np.float32)
    w = middle_windows(x, sr=1, window_s=30, max_windows=3)
    assert [len(v) for v in w] == [30, 30, 30] and w[0][0] == 5
    assert len(middle_windows(x, 1, 60, 3)) == 1 and middle_windows(x, 1, 101, 3) == []


def test_folder_benchmark_windows_and_skips(bench, tmp_path):
    tracks, skipped = list_real_benchmark(bench, GENRES)
    assert set(tracks["label"]) == {"Rock", "Orchestral"}
    assert skipped["source"].tolist() == ["Polka/accordion.wav"] and "'Polka'" in skipped["reason"].iloc[0]
    res = embed_files(tracks.rename(columns={"track_id": "id"}), tmp_path / "emb", "real", SpectrumEmbedder(),
                      window_s=10, max_windows=3, progress=False)
    windows = pd.Series(res["ids"]).value_counts()
    assert windows["rock/long.wav"] == 3 and windows["ORCHESTRAL/ok.ogg"] == 1
    reasons = dict(zip(res["skipped"]["id"], res["skipped"]["reason"]))
    assert reasons["rock/short.wav"].startswith("shorter than one 10 s window")
    assert reasons["ORCHESTRAL/quiet.flac"] == "silent"
    assert "cannot read audio" in reasons["ORCHESTRAL/broken.wav"]
    assert res["X"].shape == (4, 8) and np.isfinite(res["X"]).all()


def test_csv_benchmark_rows_are_checked(tmp_path, bench):
    csv = tmp_path / "b.csv"
    csv.write_text(f"path,label\n{bench}/rock/long.wav,rock\nmissing.wav,Pop\n")
    tracks, skipped = list_real_benchmark(csv, GENRES)
    assert list(tracks["label"]) == ["Rock"]
    assert skipped.iloc[0]["reason"] == "file not found" and skipped.iloc[0]["source"] == "b.csv:3"
    csv.write_text("path,label\nx.wav,Rock\ny.wav,Polka\n")
    with pytest.raises(ValueError, match=r"b.csv:3: unknown genre 'Polka'"):
        list_real_benchmark(csv, GENRES)
    csv.write_text("file,genre\nx.wav,Rock\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['path', 'label'\]"):
        list_real_benchmark(csv, GENRES)


def test_embedding_resumes_from_chunks(tmp_path):
    paths = []
    for i in range(7):
        p = tmp_path / f"c{i}.wav"
        sf.write(p, tone(2, 200 + 50 * i, sr=32000), 32000)
        paths.append(str(p))
    items = pd.DataFrame({"id": [f"c{i}" for i in range(7)], "path": paths})
    ref = embed_files(items, tmp_path / "ref", "synthetic", SpectrumEmbedder(), chunk_size=3, progress=False)

    class Failing(SpectrumEmbedder):
        calls = 0

        def embed_batch(self, batch):
            Failing.calls += 1
            if Failing.calls > 1:
                raise KeyboardInterrupt("killed")
            return super().embed_batch(batch)

    with pytest.raises(KeyboardInterrupt):
        embed_files(items, tmp_path / "run", "synthetic", Failing(), chunk_size=3, batch_size=3, progress=False)
    assert len(list((tmp_path / "run" / "synthetic.chunks").glob("chunk-*.npz"))) == 1
    counter = SpectrumEmbedder()
    seen = []
    counter.embed_batch = lambda b, f=counter.embed_batch: (seen.append(len(b)), f(b))[1]
    res = embed_files(items, tmp_path / "run", "synthetic", counter, chunk_size=3, batch_size=3, progress=False)
    assert sum(seen) == 4  # only the clips not yet embedded
    assert list(res["ids"]) == list(ref["ids"]) and np.allclose(res["X"], ref["X"])


def test_export_dataset_is_a_folder_per_genre_with_metadata(tmp_path, tone_cfg):
    from helpers.data import export_dataset
    from helpers.generation import generate_clips
    from helpers.prompts import build_prompts, load_descriptions

    run = tmp_path / "run"
    prompts = build_prompts(load_descriptions("builtin"), 2, seed=5)
    generate_clips(prompts, run / "clips", tone_cfg, progress=False)
    dest = export_dataset(run, tmp_path / "dataset")
    meta = pd.read_csv(dest / "metadata.csv")
    assert {"file_name", "label", "prompt", "seed"} <= set(meta.columns) and "path" not in meta.columns
    assert sorted(p.name for p in dest.iterdir() if p.is_dir()) == GENRES
    for row in meta.itertuples():  # audiofolder layout: file_name relative to the metadata file
        assert row.file_name.split("/")[0] == row.label and (dest / row.file_name).is_file()
