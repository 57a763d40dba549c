"""The shipped description corpus: every <genre>.txt is large, clean and duplicate-free."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

FOLDER = Path(str(resources.files("helpers") / "resources" / "descriptions"))
MIN_DESCRIPTIONS = 150
MAX_CHARS = 300
# paper genres and the GTZAN genres: each must have a file
EXPECTED = {"electronica", "funk", "orchestral", "pop", "rock",
            "blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "reggae"}


def problems(path: Path) -> list[str]:
    """What is wrong with one description file (empty list: nothing).

    Lines are normalised as the loader does (whitespace collapsed, a final
    period dropped, compared without case). A file must not name its own
    genre (``hiphop.txt`` must not say "hip hop" or "hip-hop").
    """
    out = []
    seen: dict[str, int] = {}
    own = path.stem.lower()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = " ".join(line.split()).rstrip(".")
        if not text:
            out.append(f"{path.name}:{lineno}: empty line")
            continue
        if len(text) > MAX_CHARS:
            out.append(f"{path.name}:{lineno}: {len(text)} characters (max {MAX_CHARS})")
        key = text.lower()
        if key in seen:
            out.append(f"{path.name}:{lineno}: duplicate of line {seen[key]}: {text!r}")
        else:
            seen[key] = lineno
        if own in re.sub(r"[\s-]", "", key):
            out.append(f"{path.name}:{lineno}: names its own genre: {text!r}")
    if len(seen) < MIN_DESCRIPTIONS:
        out.append(f"{path.name}: {len(seen)} distinct descriptions (need {MIN_DESCRIPTIONS})")
    return out


def test_every_genre_has_a_file():
    assert EXPECTED <= {p.stem for p in FOLDER.glob("*.txt")}


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.txt")), ids=lambda p: p.name)
def test_description_file_is_large_and_clean(path):
    assert problems(path) == []


def test_checker_catches_bad_files(tmp_path):
    good = [f"Warm pads and slow drums, take {i}" for i in range(MIN_DESCRIPTIONS)]
    f = tmp_path / "hiphop.txt"
    f.write_text("\n".join(good) + "\n", encoding="utf-8")
    assert problems(f) == []
    f.write_text("\n".join(good[:-1]) + "\n", encoding="utf-8")
    assert problems(f) == [f"hiphop.txt: {MIN_DESCRIPTIONS - 1} distinct descriptions (need {MIN_DESCRIPTIONS})"]
    f.write_text("\n".join(good + ["", "warm pads and  slow drums, take 3.", "x" * (MAX_CHARS + 1),
                                   "Boom-bap drums, a Hip-Hop classic"]) + "\n", encoding="utf-8")
    found = problems(f)
    assert len(found) == 4
    assert "empty line" in found[0] and "duplicate of line 4" in found[1]
    assert "characters" in found[2] and "names its own genre" in found[3]
