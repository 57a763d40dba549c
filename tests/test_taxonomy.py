"""Any taxonomy: genres beyond the paper's five, matched without case, from
the config, the command line (--set genres=[...]) and the description files."""

import pandas as pd
import pytest

from helpers.config import ConfigError, load_config
from helpers.prompts import DescriptionError, build_prompts, load_descriptions

GTZAN_TEN = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]


def test_gtzan_profile_has_the_ten_genres_as_gtzan_spells_them():
    cfg = load_config("gtzan")
    assert cfg.genres == GTZAN_TEN and cfg.run_dir == "runs/gtzan"
    assert cfg.evaluation.real_data is None and cfg.evaluation.label_map == "auto"
    offline = load_config("offline")
    assert (cfg.embedding, cfg.training, cfg.generation) == (offline.embedding, offline.training, offline.generation)


def test_genre_names_are_free_but_checked():
    names = ["Drum & Bass", "hip hop", "R&B"]
    assert load_config("offline", {"genres": names}).genres == names
    with pytest.raises(ConfigError, match=r"genres\[1\] 'ROCK' repeats genres\[0\]"):
        load_config("offline", {"genres": ["rock", "ROCK"]})
    with pytest.raises(ConfigError, match="genres is empty"):
        load_config("offline", {"genres": []})
    with pytest.raises(ConfigError, match=r"evaluation.label_map: 'jazz' -> 'Jazz': not one of the genres"):
        load_config("offline", {"evaluation.label_map": {"jazz": "Jazz"}})
    assert load_config("offline", {"genres": ["Jazz"], "evaluation.label_map": {"jazz": "JAZZ", "*": None}})


def test_builtin_descriptions_match_without_case_and_keep_the_spelling():
    d = load_descriptions("builtin", ["rock", "POP"])
    assert set(d["genre"]) == {"rock", "POP"}
    prompts = build_prompts(d, 3, seed=1)
    assert prompts["prompt"].str.startswith(("A rock track. ", "A POP track. ")).all()


def test_a_genre_without_a_builtin_file_names_the_file():
    with pytest.raises(DescriptionError, match=r"no descriptions for genre 'polka': .*resources/descriptions/"
                                               r"polka\.txt does not exist \(builtin genres: .*rock"):
        load_descriptions("builtin", ["Rock", "polka"])


def test_descriptions_csv_keeps_known_genres_out_and_names_unknown_rows(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("genre,description\nBLUES,Slide guitar over a shuffle\nRock,Loud guitars\n"
                   "jazz,Brushes and upright bass\n")
    d = load_descriptions(csv, ["blues", "Jazz"])
    assert dict(zip(d["genre"], d["description"])) == {"blues": "Slide guitar over a shuffle",
                                                      "Jazz": "Brushes and upright bass"}
    csv.write_text("genre,description\nblues,Slide guitar\nPolka,Accordion\n")
    with pytest.raises(DescriptionError, match=r"d\.csv:3: unknown genre 'Polka'"):
        load_descriptions(csv, ["blues"])


def test_set_genres_on_the_command_line(tmp_path):
    from helpers.pipeline import main

    folder = tmp_path / "descriptions"
    folder.mkdir()
    (folder / "blues.txt").write_text("Slide guitar over a slow shuffle\nHarmonica and a walking bass\n")
    (folder / "jazz.txt").write_text("Brushes, upright bass and a muted trumpet\n")
    run = tmp_path / "run"
    assert main(["prompts", "--profile", "smoke", "--run-dir", str(run), "--set", "genres=[blues,jazz]",
                 "--set", f"prompts.descriptions={folder}", "--clips-per-genre", "3"]) == 0
    prompts = pd.read_csv(run / "prompts" / "prompts.csv")
    assert prompts.groupby("genre").size().to_dict() == {"blues": 3, "jazz": 3}
    assert prompts.loc[prompts["genre"] == "jazz", "prompt"].iloc[0] == \
        "A jazz track. Brushes, upright bass and a muted trumpet."
    # a genre with no description file: one clear line, exit 2 (a user error)
    assert main(["prompts", "--profile", "smoke", "--run-dir", str(run / "x"), "--set", "genres=[polka]"]) == 2
