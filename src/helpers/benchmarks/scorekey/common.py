"""Constants the scorekey steps share: columns, defaults, the side venv that runs music21."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from ..keymidi.common import DEFAULT_SECONDS, TRACKS_COLUMNS  # noqa: F401  (the same tracks.csv layout)
from .convert import EXCLUDED_DIRS, REFUSED_DIR, RefusedPath, corpus_dir, excluded, refuse_path  # noqa: F401

log = logging.getLogger(__name__)

#: the corpus the manifest's paths are in (``corpus`` column; ``source`` of tracks.csv)
CORPUS = "music21"

#: columns of the shipped manifest ``helpers/resources/scorekey/key.csv``, in order
MANIFEST_COLUMNS: tuple[str, ...] = (
    "corpus", "version", "path", "track_id", "composer", "work", "movement", "position", "key", "basis",
    "ks_key", "ks_evidence", "encoded_mode", "title_key", "title_evidence", "mode_check", "mode_trusted",
    "in_key", "ks_change_s", "polyphony", "duration_s", "n_notes", "score_sha1", "midi_sha1", "note",
)
#: columns of ``<out>/skipped.csv``
SKIPPED_COLUMNS: tuple[str, ...] = ("track_id", "path", "reason")
#: the script the side venv runs
CONVERT_SCRIPT = Path(__file__).with_name("convert.py")


class SideVenvUnavailable(RuntimeError):
    """The music21 side venv cannot be found or made."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/synthmir/scorekey`` (``~/.cache`` when unset): the converted MIDI files."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "synthmir" / "scorekey"


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[4]


def side_python(explicit: str | Path | None = None) -> Path:
    """The Python of the scorekey side venv (music21).

    ``explicit`` or ``$SYNTHMIR_SCOREKEY_PYTHON`` when set; else ``scripts/setup_env.sh
    scorekey`` of this clone, which makes the venv once from ``requirements/scorekey.lock``
    and prints its path."""
    chosen = explicit or os.environ.get("SYNTHMIR_SCOREKEY_PYTHON")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise SideVenvUnavailable(f"scorekey side python {path} does not exist")
        return path
    setup = _repo_root() / "scripts" / "setup_env.sh"
    if not setup.is_file():
        raise SideVenvUnavailable(f"{setup} not found: set SYNTHMIR_SCOREKEY_PYTHON to a Python with music21")
    proc = subprocess.run(["bash", str(setup), "scorekey"], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SideVenvUnavailable(f"scripts/setup_env.sh scorekey failed ({proc.returncode}): "
                                  f"{proc.stderr.strip()[-500:]}")
    python = Path(proc.stdout.strip().splitlines()[-1]) / "bin" / "python"
    if not python.is_file():
        raise SideVenvUnavailable(f"scripts/setup_env.sh scorekey printed no venv ({python} missing)")
    return python


def run_side(python: Path, args: list[str], timeout: float = 3600) -> list[dict]:
    """Run :mod:`.convert` in the side venv; its JSON lines."""
    import json

    proc = subprocess.run([str(python), str(CONVERT_SCRIPT), *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if proc.returncode != 0:
        raise SideVenvUnavailable(f"{CONVERT_SCRIPT.name} {args[0]} failed in {python} ({proc.returncode}): "
                                  f"{proc.stderr.strip()[-800:]}")
    out = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    if proc.stderr.strip():
        log.debug("%s: %s", CONVERT_SCRIPT.name, proc.stderr.strip()[-2000:])
    return out


def converter_id() -> str:
    """The conversion code's identity: a cached conversion made by other code is not reused."""
    import hashlib

    return hashlib.sha1(CONVERT_SCRIPT.read_bytes()).hexdigest()[:12]


def convert_paths(python: Path, paths: list[str], midi_dir: Path) -> tuple[dict[str, dict], str]:
    """Convert corpus ``paths`` in the side venv into ``midi_dir``: ``({path: info}, music21 version)``.
    A path may name one tune of an ABC file (``<file>#<n>``: :func:`.convert.split_spec`).

    Beside each ``<name>.mid`` a ``<name>.mid.json`` keeps the conversion's record. A record
    is reused (no music21 run) when the music21 version, the score's sha1 in the corpus, the
    conversion code and the MIDI file's sha1 are all unchanged; so a rerun after a kill
    converts only what is missing, and gives the same files."""
    import hashlib
    import json

    from ...data import atomic_write_text
    from .convert import _out_name, split_spec

    listing = run_side(python, ["list"])[0]
    version, sha1 = listing["music21"], listing["score_sha1"]
    code = converter_id()
    done: dict[str, dict] = {}
    todo: list[str] = []
    for path in paths:
        midi = Path(midi_dir) / _out_name(path)
        try:
            info = json.loads(Path(str(midi) + ".json").read_text())
            file_sha1 = sha1.get(split_spec(path)[0])
            if (info.get("music21"), info.get("converter"), info.get("score_sha1")) == (version, code, file_sha1) \
                    and hashlib.sha1(midi.read_bytes()).hexdigest() == info.get("midi_sha1"):
                done[path] = {**info, "midi": str(midi)}
                continue
        except (OSError, ValueError):
            pass
        todo.append(path)
    log.info("music21 %s: %d conversions reused, %d to convert", version, len(done), len(todo))
    if todo:
        for info in run_side(python, ["convert", "--out", str(midi_dir), *todo]):
            if "error" not in info:
                info.update(music21=version, converter=code)
                atomic_write_text(Path(info["midi"] + ".json"), json.dumps(info, sort_keys=True))
            done[info["path"]] = info
    return done, version
