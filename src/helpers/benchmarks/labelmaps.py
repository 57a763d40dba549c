"""From a dataset's labels to the study's genres: presets, maps and their report.

``evaluation.label_map`` is one of

- ``auto`` (the default): the dataset kind's preset for the paper's five
  genres when the study's genres are (some of) those five, else ``identity``;
- ``identity``: a label is a genre when their names match without case and
  punctuation, after any ``category---`` prefix (GTZAN ``hiphop``, FMA
  ``Hip-Hop`` and MTG-Jamendo ``genre---hiphop`` all match ``hiphop``);
- a preset name (:data:`PRESETS`);
- a mapping ``dataset label -> study genre``, or ``-> null`` to drop the
  label. Keys match without case; a key with ``*``, ``?`` or ``[`` is a
  shell-style pattern (tried in order after the exact keys), so
  ``'*': null`` drops every label not named.

Per track: the labels that map to a genre must all map to the same one (two
different genres: skipped as "ambiguous", never guessed); a label that no
entry matches makes the track a listed skip ("unknown label") unless the map
drops it; a track whose labels are all dropped is counted, not listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Iterable

import pandas as pd

#: The paper's five genres (the presets' targets).
PAPER_GENRES = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")

#: Named maps. Each ends in ``'*': None``: labels not named are dropped.
PRESETS: dict[str, dict[str, str | None]] = {
    # GTZAN has no electronic and no funk class. disco is left out too: GTZAN's
    # disco is four-on-the-floor 1970s dance music, a genre of its own, and
    # calling it Funk would score the Funk class on something else.
    "gtzan-paper": {"classical": "Orchestral", "pop": "Pop", "rock": "Rock", "*": None},
    # genres_all holds every ancestor, so a Techno track also has Electronic;
    # Funk (and Deep Funk) sit under Soul-RnB, which itself is dropped.
    "fma-paper": {"Electronic": "Electronica", "Classical": "Orchestral", "Pop": "Pop", "Rock": "Rock",
                  "*funk*": "Funk", "*": None},
    # Crossover tags (synthpop, electropop, poprock, popfolk, ...) are dropped
    # rather than given to either side.
    "mtg-jamendo-paper": {
        **{f"genre---{t}": "Electronica" for t in (
            "electronic", "electronica", "techno", "house", "deephouse", "trance", "idm", "edm", "club",
            "drumnbass", "dubstep", "breakbeat", "eurodance")},
        "genre---funk": "Funk",
        **{f"genre---{t}": "Orchestral" for t in ("orchestral", "classical", "symphonic")},
        **{f"genre---{t}": "Pop" for t in ("pop", "instrumentalpop")},
        **{f"genre---{t}": "Rock" for t in (
            "rock", "hardrock", "classicrock", "alternativerock", "punkrock", "instrumentalrock",
            "rocknroll", "grunge", "postrock", "bluesrock")},
        "*": None,
    },
}
#: Names ``evaluation.label_map`` accepts besides a mapping.
MAP_NAMES = ("auto", "identity", *PRESETS)
_PATTERN = re.compile(r"[*?\[]")


def normalize(name: str) -> str:
    """``'genre---Hip-Hop'`` -> ``'hiphop'``: after any ``---``, lower case, letters and digits."""
    return re.sub(r"[^0-9a-z]+", "", str(name).rsplit("---", 1)[-1].casefold())


def _genre_lookup(genres: Iterable[str]) -> dict[str, str]:
    return {str(g).casefold(): str(g) for g in genres}


def is_paper_taxonomy(genres: Iterable[str]) -> bool:
    """True when every genre is one of the paper's five (any case)."""
    paper = {g.casefold() for g in PAPER_GENRES}
    return all(str(g).casefold() in paper for g in genres)


def check_label_map(spec, genres: Iterable[str]) -> None:
    """Raise ``ValueError`` naming the entry when ``spec`` cannot be a label map for ``genres``."""
    genres = list(genres)
    if isinstance(spec, str):
        if spec not in MAP_NAMES:
            raise ValueError(f"unknown label map {spec!r}; choose one of {list(MAP_NAMES)} or give a mapping "
                             "'dataset label: study genre' (or null to drop)")
        return
    if not isinstance(spec, dict):
        raise ValueError(f"expected a preset name or a mapping, got {spec!r}")
    known = _genre_lookup(genres)
    for key, target in spec.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"key {key!r} is not a label (write it as a string)")
        if target is None:
            continue
        if not isinstance(target, str) or target.casefold() not in known:
            raise ValueError(f"{key!r} -> {target!r}: not one of the genres {genres} (null drops the label)")


@dataclass
class LabelMap:
    """A resolved map: :meth:`lookup` says whether a label is known and its genre."""

    name: str
    exact: dict[str, str | None] = field(default_factory=dict)      # casefolded label -> genre/None
    patterns: list[tuple[str, str | None]] = field(default_factory=list)
    identity: dict[str, str] | None = None                          # normalized name -> genre
    unknown: str = "skip"                                           # drop | skip | error

    def lookup(self, label: str) -> tuple[bool, str | None]:
        """``(known, genre or None)``."""
        if self.identity is not None:
            genre = self.identity.get(normalize(label))
            return genre is not None, genre
        key = str(label).casefold()
        if key in self.exact:
            return True, self.exact[key]
        for pattern, genre in self.patterns:
            if fnmatchcase(key, pattern):
                return True, genre
        return False, None


def resolve_label_map(spec, genres: Iterable[str], kind: str, paper_preset: str | None,
                      identity_unknown: str = "drop") -> LabelMap:
    """The :class:`LabelMap` for ``spec`` (see the module doc) and a reader.

    A preset's targets that are not among ``genres`` become drops (a study of
    Pop and Rock does not want GTZAN's classical); a mapping's targets must be
    genres of the study (checked by :func:`check_label_map`).
    """
    genres = [str(g) for g in genres]
    spec = "auto" if spec is None else spec
    check_label_map(spec, genres)
    if spec == "auto":
        spec = paper_preset if paper_preset and is_paper_taxonomy(genres) else "identity"
    if spec == "identity":
        return LabelMap("identity", identity={normalize(g): g for g in genres}, unknown=identity_unknown)
    known = _genre_lookup(genres)
    name, entries = (spec, PRESETS[spec]) if isinstance(spec, str) else ("custom", spec)
    lmap = LabelMap(name)
    for key, target in entries.items():
        genre = known.get(target.casefold()) if target is not None else None
        key = key.strip().casefold()
        if _PATTERN.search(key):
            lmap.patterns.append((key, genre))
        else:
            lmap.exact[key] = genre
    return lmap


#: Counters reported in metrics.json (``real.label_map``): tracks the
#: metadata lists, and how many of them map to one genre, have only labels
#: the map drops, have no label, map to two genres, or have unknown labels.
COUNT_KEYS = ("listed", "mapped", "dropped", "unlabelled", "ambiguous", "unknown")


#: Columns of the mapped track table (what the embedding stage writes to tracks.csv).
MAPPED_COLUMNS = ("track_id", "path", "label", "dataset_labels", "group", "source")


def apply_label_map(tracks: pd.DataFrame, lmap: LabelMap,
                    genres: Iterable[str]) -> tuple[pd.DataFrame, list[dict], dict]:
    """Give each listed track its study genre.

    Args:
        tracks: a reader's track table (``labels`` holds tuples).
    Returns:
        ``(mapped, skipped, counts)``: the tracks that map to one genre, with
        ``label`` (the genre) and ``dataset_labels`` ("|"-joined) columns
        (:data:`MAPPED_COLUMNS`, then any other columns of ``tracks``);
        skip rows (source, path, reason) for ambiguous and unknown labels;
        counts :data:`COUNT_KEYS`.
    Raises:
        BenchmarkError: for an unknown label when the map's ``unknown`` is "error".
    """
    from .base import BenchmarkError

    genres = list(genres)
    order = {g: i for i, g in enumerate(genres)}
    counts = dict.fromkeys(COUNT_KEYS, 0)
    counts["listed"] = len(tracks)
    keep, labels_out, skipped = [], [], []
    for row in tracks.itertuples(index=False):
        targets, unknown = set(), []
        for label in row.labels:
            known, genre = lmap.lookup(label)
            if not known:
                unknown.append(label)
            elif genre is not None:
                targets.add(genre)
        if unknown and lmap.unknown == "error":
            raise BenchmarkError(f"{row.source}: unknown genre {unknown[0]!r}: not one of the genres "
                                 f"{genres}; map it with evaluation.label_map")
        if len(targets) > 1:
            names = ", ".join(sorted(targets, key=order.get))
            skipped.append({"source": row.source, "path": row.path,
                            "reason": f"ambiguous: {names} (labels {', '.join(row.labels)})"})
            counts["ambiguous"] += 1
        elif unknown and lmap.unknown == "skip":
            listed = ", ".join(repr(u) for u in unknown)
            skipped.append({"source": row.source, "path": row.path,
                            "reason": f"unknown label(s) {listed}: not in label map {lmap.name!r} "
                                      "(map them, or add '*': null to drop labels not named)"})
            counts["unknown"] += 1
        elif targets:
            keep.append(True)
            labels_out.append(next(iter(targets)))
            counts["mapped"] += 1
            continue
        elif not row.labels:
            counts["unlabelled"] += 1
        else:  # every label dropped by the map (or unknown, where the map drops those)
            counts["dropped"] += 1
        keep.append(False)
        labels_out.append(None)
    mask = pd.Series(keep, index=tracks.index, dtype=bool)
    mapped = tracks[mask].copy()
    mapped.insert(2, "label", [lab for lab, k in zip(labels_out, keep) if k])
    mapped["dataset_labels"] = ["|".join(labels) for labels in mapped["labels"]]
    mapped = mapped.drop(columns=["labels"]).reset_index(drop=True)
    extra = [c for c in mapped.columns if c not in MAPPED_COLUMNS]
    return mapped[[*MAPPED_COLUMNS, *extra]], skipped, counts
