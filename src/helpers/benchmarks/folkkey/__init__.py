"""KEY benchmark: folk tunes whose ABC ``K:`` field states a major or minor key, drawn at
random from music21's copy of O'Neill's *Music of Ireland* and rendered with a renderer and
a SoundFont the training data never used.

**Real compositions, synthetic audio, one melody line.** The tunes are traditional Irish
dance music and airs as Francis O'Neill's 1903 collection printed them, in the ABC
transcription music21 ships (``oneills1850/``); the audio is keymidi's FluidSynth playing
the GeneralUser GS SoundFont, the melody alone on music21's default piano. It is the third
key set, made after the key model was chosen on the other two (docs/tempo_key.md), so it
is held out; a key estimator meets tonal music here with no harmony but the tune's.

* :mod:`.abc`: the tunes of an ABC file and the key each ``K:`` field states;
* :mod:`.find`: the rules and the random draw that wrote ``helpers/resources/folkkey/key.csv``;
* the fetch is scorekey's (:func:`helpers.benchmarks.scorekey.fetch.fetch_tracks` with
  :data:`FOLKKEY`): ``python -m helpers.benchmarks.folkkey fetch --out data/folkkey``.

The fetched ``tracks.csv`` has keymidi's columns and is read as
``csv:data/folkkey/tracks.csv`` (``helpers.benchmarks.annotated``).
"""

from ..scorekey.fetch import Tool
from .abc import Tune, key_of_field, parse_tunes
from .common import COLLECTION, MANIFEST_COLUMNS, SAMPLE_SEED, SAMPLE_SIZE, default_cache_dir, track_id
from .manifest import read_manifest, shipped_manifest

FOLKKEY = Tool("folkkey", "Key benchmark of folk tunes from music21's O'Neill's collection whose ABC K: field "
                          "states a major or minor key, rendered with FluidSynth and an unseen SoundFont "
                          "(real compositions, synthetic audio, melody only).",
               read_manifest, default_cache_dir, shipped_manifest, "helpers.benchmarks.folkkey.find:find",
               "helpers.benchmarks.folkkey.find:summary")

__all__ = ["FOLKKEY", "COLLECTION", "MANIFEST_COLUMNS", "SAMPLE_SEED", "SAMPLE_SIZE", "Tune", "default_cache_dir",
           "key_of_field", "parse_tunes", "read_manifest", "shipped_manifest", "track_id"]
