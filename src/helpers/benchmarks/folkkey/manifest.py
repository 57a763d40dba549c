"""The shipped manifest ``helpers/resources/folkkey/key.csv``: read and validate it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..keymidi.manifest import key_row_problems, raise_problems, read_rows
from ..scorekey.convert import RefusedPath, refuse_path, split_spec
from .common import CORPUS, MANIFEST_COLUMNS, ONEILLS, Collection

_VERSION_RE = re.compile(r"^\d+(\.\d+)*([a-z0-9.+-]*)$")
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")


def shipped_manifest(collection: Collection = ONEILLS) -> Path:
    """Path of the shipped manifest of ``collection`` (``key.csv``: O'Neill's; ``ryans.csv``)."""
    return Path(str(resources.files("helpers") / "resources" / "folkkey" / collection.manifest))


def read_manifest(path: str | Path | None = None, collection: Collection = ONEILLS) -> list[dict[str, str]]:
    """The rows of a folkkey manifest, validated; :class:`ManifestError` names every problem.

    Checks: the columns of :data:`~.common.MANIFEST_COLUMNS`; the corpus is music21 with a
    version; each path is ``<collection>/<file>.abc#<tune>`` (never music21's Bach) and names
    the row's tune, whose track id it gives; keys normalised and equal to the ``K:`` field's
    (basis ``key_field``), confirmed by the notes (``mode_trusted`` yes); positive durations
    and note counts; 40-digit sha1s of the tune book and of the MIDI bytes."""
    path = Path(path) if path is not None else shipped_manifest(collection)
    COLLECTION = collection.folder
    rows = read_rows(path, MANIFEST_COLUMNS)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, 2):
        where = f"{path.name}:{line}"
        if row["collection"] != COLLECTION:
            problems.append(f"{where}: collection {row['collection']!r} is not {COLLECTION!r}")
        if row["corpus"] != CORPUS:
            problems.append(f"{where}: corpus {row['corpus']!r} is not {CORPUS!r}")
        if not _VERSION_RE.match(row["version"]):
            problems.append(f"{where}: bad version {row['version']!r}")
        try:
            file, number = split_spec(row["path"])
            refuse_path(file)
        except (RefusedPath, ValueError) as exc:
            problems.append(f"{where}: {exc}")
        else:
            if file.split("/")[0] != COLLECTION or not file.endswith(".abc") or number is None:
                problems.append(f"{where}: path {row['path']!r} is not a tune of {COLLECTION}/ (<file>.abc#<n>)")
            elif str(number) != row["tune"] or row["track_id"] != collection.track_id(file, number):
                problems.append(f"{where}: path {row['path']!r} does not name tune {row['tune']!r} "
                                f"(track_id {row['track_id']!r})")
        problems += key_row_problems(where, line, row, seen, ("duration_s", "n_notes"))
        if row["mode_trusted"] != "yes":
            problems.append(f"{where}: a key the notes did not confirm (mode_trusted {row['mode_trusted']!r})")
        for col in ("score_sha1", "midi_sha1"):
            if not _SHA1_RE.match(row[col]):
                problems.append(f"{where}: {col} {row[col]!r} is not a sha1")
    raise_problems(path, problems)
    return rows
