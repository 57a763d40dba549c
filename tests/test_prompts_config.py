import pandas as pd
import pytest

from helpers.config import ConfigError, load_config
from helpers.prompts import (DescriptionError, build_prompts, clips_per_genre_for_total, load_descriptions,
                             make_prompt)


def test_builtin_library_is_large_and_clean():
    d = load_descriptions("builtin")
    counts = d.groupby("genre").size()
    assert set(counts.index) == {"Electronica", "Funk", "Orchestral", "Pop", "Rock"}
    assert counts.min() >= 150
    assert not d["description"].str.lower().duplicated().any()
    assert not d["description"].str.endswith(".").any()


def test_prompt_is_built_exactly_as_the_paper():
    assert make_prompt("Pop", "Reflective guitars with driving electro drums and bass") == \
        "A Pop track. Reflective guitars with driving electro drums and bass."
    assert make_prompt("Pop", "Already ends with a period.") == "A Pop track. Already ends with a period."


@pytest.mark.parametrize("n", [7, 150, 500])
def test_balancing_gives_exactly_n_per_genre_with_distinct_seeds(n):
    d = load_descriptions("builtin")
    t = build_prompts(d, n, seed=1)
    assert t.groupby("genre").size().eq(n).all()
    assert not t["seed"].duplicated().any() and not t["id"].duplicated().any()
    # takes are spread: no description has more than one take above another's
    takes = t.groupby(["genre", "description_id"]).size()
    for genre, group in takes.groupby(level=0):
        assert group.max() - group.min() <= 1
    if n > 200:
        assert (takes > 1).any()


def test_balancing_is_deterministic_and_seed_dependent():
    d = load_descriptions("builtin")
    a, b, c = build_prompts(d, 40, seed=1), build_prompts(d, 40, seed=1), build_prompts(d, 40, seed=2)
    pd.testing.assert_frame_equal(a, b)
    assert not a["seed"].equals(c["seed"])


def test_total_clips_split():
    per = clips_per_genre_for_total(57562, ["Electronica", "Funk", "Orchestral", "Pop", "Rock"])
    assert sum(per.values()) == 57562 and max(per.values()) - min(per.values()) == 1


def test_bad_descriptions_name_file_and_line(tmp_path):
    for g in ["electronica", "funk", "orchestral", "pop", "rock"]:
        (tmp_path / f"{g}.txt").write_text("Warm pads and slow drums\nBright piano over a brisk beat\n")
    (tmp_path / "funk.txt").write_text("Slap bass and horns\n\nTight drums\n")
    with pytest.raises(DescriptionError, match=r"funk.txt:2: empty description"):
        load_descriptions(tmp_path)
    (tmp_path / "funk.txt").write_text("Slap bass and horns\nslap bass and horns.\n")
    with pytest.raises(DescriptionError, match=r"funk.txt:2: duplicate.*first at .*funk.txt:1"):
        load_descriptions(tmp_path)
    csv = tmp_path / "d.csv"
    csv.write_text("genre,description\nPop,Shiny synths\nPolka,Accordion\n")
    with pytest.raises(DescriptionError, match=r"d.csv:3: unknown genre 'Polka'"):
        load_descriptions(csv)


def test_config_overrides_and_errors():
    cfg = load_config("offline", {"training.patience": 3}, clips_per_genre=12, real_data="/x")
    assert cfg.training.patience == 3 and cfg.prompts.clips_per_genre == 12 and cfg.evaluation.real_data == "/x"
    with pytest.raises(ConfigError, match="unknown key"):
        load_config("offline", {"training.patiense": 3})
    with pytest.raises(ConfigError, match="expected an integer"):
        load_config("offline", {"training.patience": "three"})
    with pytest.raises(ConfigError, match="no profile"):
        load_config("nope")
    with pytest.raises(ConfigError, match="genres"):
        load_config("offline", {"genres": ["Polka/Waltz"]})   # any name, but no path separators
