"""Stage 1: track descriptions -> a balanced, seeded prompts table.

Prompts are built exactly as in the paper: ``"A {genre} track. {description}."``.
Classes are balanced by giving descriptions several generations ("takes")
with distinct seeds until every genre has ``clips_per_genre`` rows.
"""

from __future__ import annotations

import csv
import hashlib
from importlib import resources
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from .config import GENRES
from .errors import SynthMIRError

PROMPT_TEMPLATE = "A {genre} track. {description}."
PROMPT_COLUMNS = ["id", "genre", "description", "prompt", "seed", "description_id", "take"]


class DescriptionError(SynthMIRError, ValueError):
    """A description source with a bad row (names the file, line and value)."""


def canonical_genre(name: str, where: str = "", genres: Iterable[str] = GENRES) -> str:
    """Map a genre name, matched without case, to its spelling in ``genres``
    (the study's genres; the paper's five by default)."""
    genres = list(genres)
    for g in genres:
        if str(name).strip().casefold() == str(g).casefold():
            return g
    raise DescriptionError(f"{where}unknown genre {name!r}; known: {', '.join(genres)}")


def builtin_descriptions_dir() -> Path:
    """The description library shipped with the package: ``<genre lower>.txt`` files."""
    return Path(str(resources.files("helpers") / "resources" / "descriptions"))


def builtin_genres() -> list[str]:
    """Genres the builtin library has descriptions for (file stems, lower case)."""
    return sorted(p.stem for p in builtin_descriptions_dir().glob("*.txt"))


def make_prompt(genre: str, description: str) -> str:
    """``"A {genre} track. {description}."`` (a final period already there is not doubled)."""
    return PROMPT_TEMPLATE.format(genre=genre, description=description.strip().rstrip("."))


def _rows_from_txt(path: Path, genre: str) -> Iterable[tuple[str, str, str]]:
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        yield genre, line, f"{path}:{lineno}"


def _rows_from_csv(path: Path, genres: list[str]) -> Iterable[tuple[str, str, str]]:
    """Rows of a ``genre,description`` CSV, genres spelt as in ``genres``. Rows
    of other genres the project knows (the paper's five, the builtin library's)
    are left out; any other genre is an error naming the row."""
    known = [*genres, *GENRES, *builtin_genres()]
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"genre", "description"} - set(reader.fieldnames or [])
        if missing:
            raise DescriptionError(f"{path}: missing column(s) {sorted(missing)}; expected genre,description")
        for rowno, row in enumerate(reader, start=2):
            where = f"{path}:{rowno}"
            yield canonical_genre(row["genre"] or "", f"{where}: ", known), row["description"] or "", where


def load_descriptions(source: str | Path = "builtin", genres: Iterable[str] = GENRES) -> pd.DataFrame:
    """Read track descriptions into a table ``genre, description, source``.

    ``source`` is ``"builtin"`` (the library shipped with this package), a
    folder holding ``<genre lower>.txt`` (one description per line), or a CSV
    with columns ``genre,description``. ``genres`` is any list of names
    (matched without case; the spelling given is kept). A genre without a
    file, and empty or duplicate descriptions (within a genre,
    case-insensitive), are errors that name the file (and line).
    """
    genres = [str(g).strip() for g in genres]
    builtin = str(source) == "builtin"
    folder = builtin_descriptions_dir() if builtin else Path(source)
    rows: list[tuple[str, str, str]] = []
    if folder.is_file():
        wanted = {g.casefold() for g in genres}
        rows.extend(r for r in _rows_from_csv(folder, genres) if r[0].casefold() in wanted)
    elif folder.is_dir():
        for g in genres:
            path = folder / f"{g.lower()}.txt"
            if not path.exists():
                hint = (f"builtin genres: {', '.join(builtin_genres())}; or set prompts.descriptions to a folder "
                        "of <genre>.txt files or a CSV genre,description") if builtin else \
                    "one file per genre, named <genre lower>.txt"
                raise DescriptionError(f"no descriptions for genre {g!r}: {path} does not exist ({hint})")
            rows.extend(_rows_from_txt(path, g))
    else:
        raise DescriptionError(f"description source {source!r} is neither a folder nor a CSV file")

    seen: dict[tuple[str, str], str] = {}
    out = []
    for genre, text, where in rows:
        text = " ".join(text.split()).rstrip(".")
        if not text:
            raise DescriptionError(f"{where}: empty description")
        key = (genre, text.lower())
        if key in seen:
            raise DescriptionError(f"{where}: duplicate description {text!r} (first at {seen[key]})")
        seen[key] = where
        out.append((genre, text, where))
    table = pd.DataFrame(out, columns=["genre", "description", "source"])
    empty = [g for g in genres if not (table["genre"].str.casefold() == g.casefold()).any()]
    if empty:
        raise DescriptionError(f"{source}: no descriptions for {empty}")
    return table


def clip_seed(master_seed: int, genre: str, description_id: int, take: int) -> int:
    """A stable 31-bit seed for one clip, independent of table order and size."""
    digest = hashlib.sha256(f"{master_seed}|{genre}|{description_id}|{take}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def clips_per_genre_for_total(total: int, genres: list[str]) -> dict[str, int]:
    """Split ``total`` clips as evenly as possible (the first genres get the remainder)."""
    base, extra = divmod(int(total), len(genres))
    return {g: base + (1 if i < extra else 0) for i, g in enumerate(genres)}


def build_prompts(descriptions: pd.DataFrame, clips_per_genre: int | dict[str, int], seed: int,
                  max_descriptions_per_genre: int | None = None) -> pd.DataFrame:
    """Balance the classes: exactly ``clips_per_genre`` rows per genre (an int,
    or a ``{genre: n}`` mapping).

    With D descriptions for a genre and N clips wanted: if D >= N, N
    descriptions are drawn (seeded) with one take each; otherwise every
    description gets N // D takes and a seeded choice of N % D of them one
    more. Each row has its own seed (see :func:`clip_seed`).

    Returns a table with columns ``id, genre, description, prompt, seed,
    description_id, take``.
    """
    rows = []
    for genre, group in descriptions.groupby("genre", sort=False):
        wanted = clips_per_genre[genre] if isinstance(clips_per_genre, dict) else clips_per_genre
        if wanted < 1:
            raise ValueError(f"clips_per_genre must be >= 1, got {wanted} for {genre}")
        rng = np.random.default_rng(clip_seed(seed, genre, -1, -1))
        texts = list(group["description"])
        ids = np.arange(len(texts))
        if max_descriptions_per_genre is not None and len(ids) > max_descriptions_per_genre:
            ids = np.sort(rng.choice(ids, size=max_descriptions_per_genre, replace=False))
        d = len(ids)
        if d >= wanted:
            takes = {int(i): 1 for i in np.sort(rng.choice(ids, size=wanted, replace=False))}
        else:
            base, extra = divmod(wanted, d)
            bonus = set(rng.choice(ids, size=extra, replace=False).tolist()) if extra else set()
            takes = {int(i): base + (1 if int(i) in bonus else 0) for i in ids}
        for desc_id, n_takes in takes.items():
            for take in range(n_takes):
                rows.append({
                    "id": f"{genre.lower()}-{desc_id:04d}-{take:02d}",
                    "genre": genre,
                    "description": texts[desc_id],
                    "prompt": make_prompt(genre, texts[desc_id]),
                    "seed": clip_seed(seed, genre, desc_id, take),
                    "description_id": desc_id,
                    "take": take,
                })
    table = pd.DataFrame(rows, columns=PROMPT_COLUMNS)
    # seeds are hashes: make a (vanishingly rare) collision impossible, deterministically
    while table["seed"].duplicated().any():
        dup = table["seed"].duplicated()
        table.loc[dup, "seed"] = (table.loc[dup, "seed"] * 1103515245 + 12345) & 0x7FFFFFFF
    return table.reset_index(drop=True)


def validate_prompts(table: pd.DataFrame, where: str = "prompts table",
                     genres: Iterable[str] = GENRES) -> pd.DataFrame:
    """Check a prompts table read back from disk against the study's
    ``genres``; errors name the row and value."""
    missing = set(PROMPT_COLUMNS[:5]) - set(table.columns)
    if missing:
        raise DescriptionError(f"{where}: missing column(s) {sorted(missing)}")
    genres = list(genres)
    for i, row in table.iterrows():
        canonical_genre(row["genre"], f"{where} row {i + 2}: ", genres)
        if not str(row["prompt"]).strip():
            raise DescriptionError(f"{where} row {i + 2}: empty prompt")
    dup = table["id"].duplicated()
    if dup.any():
        raise DescriptionError(f"{where}: duplicate id {table.loc[dup, 'id'].iloc[0]!r}")
    return table
