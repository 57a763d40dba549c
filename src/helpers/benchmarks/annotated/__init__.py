"""Tempo and key benchmarks, read in their own on-disk layouts into one table.

``read_annotated("<kind>:<path>")`` lists a benchmark's tracks with their reference
tempo and key; ``task.real_data`` names such specs for the tempo and key tasks
(:mod:`helpers.tasks.study`).

================  ===========================================================================
kind              layout (details in each module's docstring)
================  ===========================================================================
giantsteps-key    ``audio/<id>.LOFI.mp3`` + ``annotations/key/<id>.LOFI.key`` (or ``jams/``,
                  ``giantsteps/``); GiantSteps+: ``keys_gs+/*.txt`` + ``meta/*.json``
giantsteps-tempo  ``audio/<id>.LOFI.mp3`` + ``annotations_v2/{tempo,mirex,jams}/`` (v2, preferred)
                  or ``annotations/{tempo,jams,giantsteps}/`` (v1)
ballroom          ``BallroomData/<Style>/<name>.wav`` + ``<name>.bpm`` (ISMIR 2004
                  ``ballroomGroundTruth``) or ``<name>.beats`` (Krebs) anywhere below
gtzan-tempo       GTZAN audio + ``gtzan_tempo_beat`` (``tempo/gtzan_<genre>_000NN.bpm``) or
                  GTZAN-Rhythm v2 (``stats.csv``, ``jams/``)
gtzan-key         GTZAN audio + ``gtzan_key/genres/<genre>/<genre>.000NN.lerch.txt``
jams              audio files, each with a sibling ``.jams`` (``tempo``, ``key_mode``)
csv               a CSV/TSV: ``path`` and ``tempo_bpm`` and/or ``key`` (paths relative to it)
================  ===========================================================================

Spec syntax: ``<kind>:<path>[?<option>=<value>[&<option>=<value>...]]``. ``~`` is
expanded and relative paths are taken from the working directory. Options:

* ``annotations=<folder>``: where the annotations live when not below ``<path>``
  (giantsteps-*, ballroom, gtzan-*; repeatable for ballroom and gtzan-*), e.g.
  ``gtzan-tempo:/data/gtzan?annotations=/data/gtzan_tempo_beat-main``;
* ``version=v1|v2`` (giantsteps-tempo): use only that annotation set (default: v2 where
  a track has it, else v1).

The table's columns (:data:`COLUMNS`): ``track_id`` (str), ``path`` (absolute, str),
``tempo_bpm``, ``tempo2_bpm`` (a second, MIREX-style tempo), ``tempo_weight`` (the salience
of ``tempo_bpm`` in [0, 1]) as floats, NaN where the dataset gives none; ``key``
(``"F# minor"``, sharps; NaN without one; see :func:`normalise_key`); ``group`` (artist,
album or style where known, else ""); ``source``: the kind, then ``:<annotation set>``
where the kind reads more than one (``giantsteps-tempo:v2``, ``ballroom:beats``).

Only tracks with audio on disk and a usable annotation are listed. The others (audio
without annotation, annotations without audio, "no key" or ambiguous labels, a v2 tempo
of 0) are not errors: ``read_annotated(spec, with_skipped=True)`` returns them as a second
table (``path``, ``reason``). A missing folder, or an annotation file that does not parse,
is a :class:`~helpers.benchmarks.base.BenchmarkError` naming the file, line and value.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..base import BenchmarkError
from .common import COLUMNS, SKIPPED_COLUMNS, Listing
from .keys import classify_key, normalise_key

__all__ = ["ANNOTATED_KINDS", "COLUMNS", "SKIPPED_COLUMNS", "BenchmarkError", "classify_key", "normalise_key",
           "parse_spec", "read_annotated"]

#: kind -> (module:function, the options it takes)
_READERS = {
    "giantsteps-key": ("giantsteps:read_giantsteps_key", ("annotations",)),
    "giantsteps-tempo": ("giantsteps:read_giantsteps_tempo", ("annotations", "version")),
    "ballroom": ("ballroom:read_ballroom", ("annotations",)),
    "gtzan-tempo": ("gtzan:read_gtzan_tempo", ("annotations",)),
    "gtzan-key": ("gtzan:read_gtzan_key", ("annotations",)),
    "jams": ("generic:read_jams", ()),
    "csv": ("generic:read_csv", ()),
}
#: the kinds :func:`read_annotated` reads
ANNOTATED_KINDS = tuple(_READERS)
_SPEC = re.compile(r"^(?P<kind>[a-z][a-z0-9-]*):(?P<rest>.+)$", re.S)
_QUERY = re.compile(r"\?(?=[a-z_]+=)")


def parse_spec(spec: str | os.PathLike) -> tuple[str, Path, dict[str, list[str]]]:
    """``"gtzan-tempo:/data/gtzan?annotations=/data/tb"`` ->
    ``("gtzan-tempo", Path("/data/gtzan"), {"annotations": ["/data/tb"]})``."""
    text = str(spec).strip()
    m = _SPEC.match(text)
    if not m:
        raise BenchmarkError(f"annotated benchmark {text!r}: expected <kind>:<path> with a kind of "
                             f"{', '.join(ANNOTATED_KINDS)}")
    kind, rest = m["kind"], m["rest"]
    if kind not in _READERS:
        raise BenchmarkError(f"annotated benchmark {text!r}: unknown kind {kind!r}; known: "
                             f"{', '.join(ANNOTATED_KINDS)}")
    options: dict[str, list[str]] = {}
    q = _QUERY.search(rest)
    if q:
        rest, query = rest[: q.start()], rest[q.end():]
        allowed = _READERS[kind][1]
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name not in allowed:
                raise BenchmarkError(f"annotated benchmark {text!r}: {kind} takes no option {name!r}"
                                     + (f" (options: {', '.join(allowed)})" if allowed else ""))
            if not value.strip():
                raise BenchmarkError(f"annotated benchmark {text!r}: option {name}= has no value")
            options.setdefault(name, []).append(value.strip())
    if not rest.strip():
        raise BenchmarkError(f"annotated benchmark {text!r}: no path")
    return kind, Path(os.path.abspath(os.path.expanduser(rest.strip()))), options


def read_annotated(spec: str | os.PathLike, with_skipped: bool = False):
    """The tracks of the annotated benchmark ``spec`` (``<kind>:<path>[?options]``) as a
    DataFrame with :data:`COLUMNS`; with ``with_skipped``, ``(tracks, skipped)`` where
    ``skipped`` lists (``path``, ``reason``) what could not be used."""
    import importlib

    kind, root, options = parse_spec(spec)
    target, _ = _READERS[kind]
    module, func = target.split(":")
    reader = getattr(importlib.import_module(f"{__name__}.{module}"), func)
    listing: Listing = reader(root, options)
    tracks, skipped = listing.frames()
    return (tracks, skipped) if with_skipped else tracks
