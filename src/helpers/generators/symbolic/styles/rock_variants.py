"""Genre styles, part 4: Rock's sub-styles (the generator's ``metal_in_rock`` option).

:data:`ROCK_VARIANTS` plays a Rock clip as rock or as metal (taking :data:`_METAL_FIELDS` from
the Metal style of :mod:`.gtzan`) and replaces Rock's entry of :data:`GENRE_STYLES` in place
(its key keeps its position); :data:`OPTIONAL_VARIANTS` names the genres whose sub-styles are
drawn only when an option asks.
"""

from __future__ import annotations

import dataclasses

from .gtzan import GENRE_STYLES
from .model import StyleVariant

#: the fields a Rock clip takes from Metal when it is drawn as metal (everything that makes the riff,
#: the grooves, the harmony and the sound; the label, the vocals and the lift stay Rock's)
_METAL_FIELDS = ("tempo_range", "minor_probability", "major_mode", "minor_mode", "key_weights", "acoustic_kits",
                 "drum_patterns", "sparse_drum_patterns", "pattern_words", "progressions", "parts", "keys_patterns",
                 "section_changes", "velocity", "humanize_ms", "reverb", "start_crash", "four_on_floor_pattern",
                 "drum_level", "grooves", "chord_patterns", "keyword_overrides")
#: Rock's sub-styles (the generator's ``metal_in_rock`` option): most genre taxonomies file heavy
#: metal, thrash and their kin under rock (FMA's Rock holds Metal; AllMusic's Pop/Rock holds Heavy
#: Metal), and so do free "rock" recordings. A description that names metal words plays metal; one
#: that names neither sub-style is drawn as metal with the variant's weight.
ROCK_VARIANTS = (
    StyleVariant("rock", 0.7, {}, words=(r"classic rock", r"indie", r"garage", r"punk\w*", r"blues\w*", r"folk\w*",
                                         r"jangl\w*", r"britpop", r"surf", r"rock ?'?n'? ?roll", r"ballads?",
                                         r"acoustic", r"clean", r"dreamy", r"mellow", r"gentle", r"soft",
                                         r"country", r"pop\w*", r"funk\w*", r"psychedelic")),
    StyleVariant("metal", 0.3, {**{f: getattr(GENRE_STYLES["Metal"], f) for f in _METAL_FIELDS}, "production": "Metal"},
                 words=(r"metal\w*", r"thrash\w*", r"double[- ](?:kick|bass)\w*", r"blast[- ]?beats?", r"gallop\w*",
                        r"djent\w*", r"chug\w*", r"headbang\w*", r"shred\w*", r"breakdowns?", r"machine[- ]gun")),
)
GENRE_STYLES["Rock"] = dataclasses.replace(GENRE_STYLES["Rock"], variants=ROCK_VARIANTS)
#: genres whose sub-styles the generator draws only when an option asks (genre -> option name)
OPTIONAL_VARIANTS = {"Rock": "metal_in_rock"}
