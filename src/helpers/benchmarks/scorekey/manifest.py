"""The shipped manifest ``helpers/resources/scorekey/key.csv``: read and validate it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from ..keymidi.manifest import key_row_problems, raise_problems, read_rows
from .common import CORPUS, MANIFEST_COLUMNS, RefusedPath, excluded, refuse_path

_VERSION_RE = re.compile(r"^\d+(\.\d+)*([a-z0-9.+-]*)$")
_SHA1_RE = re.compile(r"^[0-9a-f]{40}$")
_POSITIONS = ("single", "first", "last")


def shipped_manifest() -> Path:
    """Path of the shipped ``key.csv``."""
    return Path(str(resources.files("helpers") / "resources" / "scorekey" / "key.csv"))


def read_manifest(path: str | Path | None = None) -> list[dict[str, str]]:
    """The rows of a scorekey manifest, validated; :class:`ManifestError` names every problem.

    Checks: the columns of :data:`~.common.MANIFEST_COLUMNS`; the corpus is music21 and a
    version is given; no path of music21's ``bach/`` folder (nor of an excluded folder); a
    relative corpus path per row; unique track ids of the safe form; keys normalised
    (``"C# minor"``) and equal to the signature's and/or the title's key as the basis says;
    a title basis only for a whole piece or a first or last movement; numeric durations,
    note counts and shares; 40-digit sha1s of the score and of the MIDI bytes."""
    path = Path(path) if path is not None else shipped_manifest()
    rows = read_rows(path, MANIFEST_COLUMNS)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, 2):
        where = f"{path.name}:{line}"
        if row["corpus"] != CORPUS:
            problems.append(f"{where}: corpus {row['corpus']!r} is not {CORPUS!r}")
        if not _VERSION_RE.match(row["version"]):
            problems.append(f"{where}: bad version {row['version']!r}")
        p = row["path"]
        try:
            refuse_path(p)
        except RefusedPath as exc:
            problems.append(f"{where}: {exc}")
        else:
            why = excluded(p)
            if why:
                problems.append(f"{where}: path {p!r} is in an excluded folder ({why})")
        if not p or p.startswith("/") or ".." in p.split("/"):
            problems.append(f"{where}: path {p!r} is not a relative path inside music21's corpus")
        problems += key_row_problems(where, line, row, seen, ("duration_s", "n_notes", "polyphony"))
        basis = row["basis"]
        if "title" in basis:
            if row["position"].split(" ")[0] not in _POSITIONS:
                problems.append(f"{where}: a title key on a movement whose position is {row['position']!r} "
                                "(a work's title names the key of a whole piece, its first or last movement)")
        if basis == "key_signature" and row["mode_trusted"] != "yes":
            problems.append(f"{where}: a signature-only key whose mode the notes did not confirm "
                            f"(mode_trusted {row['mode_trusted']!r})")
        if row["ks_change_s"]:
            try:
                float(row["ks_change_s"])
            except ValueError:
                problems.append(f"{where}: ks_change_s {row['ks_change_s']!r} is not a number")
        for col in ("score_sha1", "midi_sha1"):
            if not _SHA1_RE.match(row[col]):
                problems.append(f"{where}: {col} {row[col]!r} is not a sha1")
    raise_problems(path, problems)
    return rows
