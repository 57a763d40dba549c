"""Genre styles: what makes each genre recognisable (tempo, groove, kit, parts, harmony).

:data:`GENRE_STYLES` holds one :class:`GenreStyle` per genre the symbolic
generator makes: the original five (Electronica, Funk, Orchestral, Pop, Rock)
and GTZAN's genres (Blues, Classical, Country, Disco, Hiphop, Jazz, Metal,
Reggae; GTZAN's pop and rock are Pop and Rock). :func:`genre_style` finds a
style by name in any case and spelling (``hip hop``, ``hip-hop``, ``HipHop``).

The package follows the steps that build the table: :mod:`.model` (the
dataclasses), :mod:`.paper` (the paper's five genres), :mod:`.gtzan` (GTZAN's
genres), :mod:`.rock_variants` (Rock's metal sub-style) and :mod:`.lookup`
(finding a style by name).
"""

from .lookup import genre_style, known_genres, style_for
from .model import GenreStyle, PartStyle, StyleVariant
from .rock_variants import GENRE_STYLES, OPTIONAL_VARIANTS, ROCK_VARIANTS

__all__ = [
    "GENRE_STYLES",
    "OPTIONAL_VARIANTS",
    "ROCK_VARIANTS",
    "GenreStyle",
    "PartStyle",
    "StyleVariant",
    "genre_style",
    "known_genres",
    "style_for",
]
