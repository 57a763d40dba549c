"""Performance: an arrangement -> notes -> :class:`pretty_midi.PrettyMIDI` (swing, humanisation, expression).

The package follows the steps of a performance:

1. :mod:`.context`: the performance context (timing, harmony, dynamics) and the shared pitch helpers.
2. The pitched parts' note generators: :mod:`.bass` (bass lines, walking bass, the metal riff),
   :mod:`.chords` (rhythm, comping, strums, stabs, figures, arpeggios, pads) and :mod:`.lines`
   (melodies, counter-lines, rap, timpani).
3. :mod:`.drums`: the drum kit's notes.
4. :mod:`.midi`: :func:`perform` and :func:`to_midi`, which place the notes in time and add the
   expression, vibrato, bends, slides and double takes.
"""

from .drums import PERC_KEYS, TAMB_KEY
from .midi import perform, to_midi

__all__ = ["PERC_KEYS", "TAMB_KEY", "perform", "to_midi"]
