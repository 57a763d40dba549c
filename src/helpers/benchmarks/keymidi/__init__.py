"""KEY benchmark: human-composed MIDI files from Debian main whose key is *stated*, rendered
with a renderer and a SoundFont the project's training data never used.

**Real compositions, synthetic audio.** The notes are people's (songs, game music, lesson
pieces shipped as MIDI in Debian packages); the audio is FluidSynth playing the GeneralUser
GS SoundFont, so this measures key estimation on unseen *synthesis*, not on recordings.

* :mod:`.evidence`: the rules (opening key signature holding >= 90 % of the piece and/or
  a key in the title; both must agree; a signature's mode is trusted only when the notes
  agree: final bass / final triad / first bass, no ending on the relative tonic, >= 70 %
  of the note-time on the scale; default C major signatures set aside);
* :mod:`.find`: the search over Debian packages that built the shipped manifest
  ``helpers/resources/keymidi/key.csv`` (see its README.md for the counts);
* :mod:`.render`: FluidSynth unpacked from .debs without root, the SoundFont, the excerpt;
* :mod:`.fetch`: ``python -m helpers.benchmarks.keymidi fetch --out data/keymidi``.

The fetched folder's ``tracks.csv`` has the columns of the annotated benchmarks
(``track_id, path, tempo_bpm, tempo2_bpm, tempo_weight, key, group, source``) and can be
read as a CSV benchmark (``helpers.benchmarks.annotated``).
"""

from .common import (DEFAULT_SECONDS, MANIFEST_COLUMNS, RESERVED_PACKAGES, TRACKS_COLUMNS, TRAINING_SOUNDFONTS,
                     ReservedPackage, default_cache_dir, refuse_reserved)
from .evidence import KeyEvidence, MidiFacts, decide, default_signature, mode_check, read_midi
from .fetch import fetch_tracks, main
from .manifest import read_manifest, shipped_manifest
from .render import (DEFAULT_SOUNDFONT, SOUNDFONTS, Renderer, RendererUnavailable, excerpt_midi, ready_renderer,
                     render_excerpt)

__all__ = [
    "DEFAULT_SECONDS", "MANIFEST_COLUMNS", "RESERVED_PACKAGES", "TRACKS_COLUMNS", "TRAINING_SOUNDFONTS",
    "ReservedPackage", "default_cache_dir", "refuse_reserved", "KeyEvidence", "MidiFacts", "decide",
    "default_signature", "mode_check", "read_midi", "fetch_tracks", "main", "read_manifest", "shipped_manifest",
    "DEFAULT_SOUNDFONT", "SOUNDFONTS", "Renderer", "RendererUnavailable", "excerpt_midi", "ready_renderer",
    "render_excerpt",
]
