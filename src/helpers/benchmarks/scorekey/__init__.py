"""KEY benchmark: scores of music21's built-in corpus whose key is *stated*, rendered with a
renderer and a SoundFont the project's training data never used.

**Real compositions, synthetic audio.** The notes are the composers' (string quartets of
Haydn, Mozart and Beethoven, piano pieces, songs), as encoded in the corpus music21 ships;
the audio is keymidi's FluidSynth playing the GeneralUser GS SoundFont. It complements
:mod:`helpers.benchmarks.keymidi` (18 pieces) with classical tonal repertoire.

* :mod:`.convert`: the corpus rules (music21's ``bach/`` folder, chorales and all, is never
  used; modal, folk, atonal and demo folders are excluded) and the conversion of a score to
  MIDI, run by the side venv (``scripts/setup_env.sh scorekey``: music21 10.5.1);
* :mod:`.evidence`: keymidi's key rules applied to the score's MIDI, both readings of a
  mode-less signature, a work's title applied to its first and last movements only, and a
  polyphony rule;
* :mod:`.find`: the search that wrote ``helpers/resources/scorekey/key.csv`` (see its
  README.md for the counts);
* :mod:`.fetch`: ``python -m helpers.benchmarks.scorekey fetch --out data/scorekey``.

The fetched folder's ``tracks.csv`` has keymidi's columns and is read as
``csv:data/scorekey/tracks.csv`` (``helpers.benchmarks.annotated``).
"""

from .common import (CORPUS, EXCLUDED_DIRS, MANIFEST_COLUMNS, REFUSED_DIR, TRACKS_COLUMNS, RefusedPath,
                     SideVenvUnavailable, default_cache_dir, excluded, refuse_path, side_python)
from .evidence import MIN_POLYPHONY, decide_score, movement_position, polyphony, score_texts
from .fetch import fetch_tracks, main
from .manifest import read_manifest, shipped_manifest

__all__ = [
    "CORPUS", "EXCLUDED_DIRS", "MANIFEST_COLUMNS", "REFUSED_DIR", "TRACKS_COLUMNS", "RefusedPath",
    "SideVenvUnavailable", "default_cache_dir", "excluded", "refuse_path", "side_python", "MIN_POLYPHONY",
    "decide_score", "movement_position", "polyphony", "score_texts", "fetch_tracks", "main", "read_manifest",
    "shipped_manifest",
]
