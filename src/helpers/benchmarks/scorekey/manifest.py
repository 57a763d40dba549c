"""The shipped manifest ``helpers/resources/scorekey/key.csv``: read and validate it."""

from __future__ import annotations

import csv
import math
import re
from importlib import resources
from pathlib import Path

from ..annotated.keys import normalise_key
from ..debian.common import ManifestError
from ..keymidi.common import _TRACK_ID_RE
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
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            rows = list(reader)
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read ({exc})") from exc
    missing = [c for c in MANIFEST_COLUMNS if c not in header]
    if missing:
        raise ManifestError(f"{path}: missing columns {missing}")
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
        tid = row["track_id"]
        if not _TRACK_ID_RE.match(tid):
            problems.append(f"{where}: bad track_id {tid!r}")
        elif tid in seen:
            problems.append(f"{where}: track_id {tid!r} also on line {seen[tid]}")
        seen[tid] = line
        if normalise_key(row["key"]) != row["key"] or not row["key"]:
            problems.append(f"{where}: key {row['key']!r} is not a normalised key ('C# minor' style)")
        basis = row["basis"]
        if basis not in ("key_signature", "title", "key_signature+title"):
            problems.append(f"{where}: basis {basis!r} unknown")
        if "key_signature" in basis and row["ks_key"] != row["key"]:
            problems.append(f"{where}: ks_key {row['ks_key']!r} differs from key {row['key']!r}")
        if "title" in basis:
            if row["title_key"] != row["key"]:
                problems.append(f"{where}: title_key {row['title_key']!r} differs from key {row['key']!r}")
            if row["position"].split(" ")[0] not in _POSITIONS:
                problems.append(f"{where}: a title key on a movement whose position is {row['position']!r} "
                                "(a work's title names the key of a whole piece, its first or last movement)")
        if basis == "key_signature" and row["mode_trusted"] != "yes":
            problems.append(f"{where}: a signature-only key whose mode the notes did not confirm "
                            f"(mode_trusted {row['mode_trusted']!r})")
        for col in ("duration_s", "n_notes", "polyphony"):
            try:
                value = float(row[col])
                if not math.isfinite(value) or value <= 0:
                    raise ValueError
            except ValueError:
                problems.append(f"{where}: {col} {row[col]!r} is not a positive number")
        if row["ks_change_s"]:
            try:
                float(row["ks_change_s"])
            except ValueError:
                problems.append(f"{where}: ks_change_s {row['ks_change_s']!r} is not a number")
        for col in ("score_sha1", "midi_sha1"):
            if not _SHA1_RE.match(row[col]):
                problems.append(f"{where}: {col} {row[col]!r} is not a sha1")
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise ManifestError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(shown))
    return rows
