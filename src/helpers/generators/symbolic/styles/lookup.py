"""Genre styles, part 5: finding a style by name.

:func:`genre_style` finds a genre's style in :data:`GENRE_STYLES` (complete once
:mod:`.rock_variants` is imported) by name in any case and spelling (``hip hop``,
``hip-hop``, ``HipHop``) or alias; :func:`style_for` applies a variant;
:func:`known_genres` lists the genres.
"""

from __future__ import annotations

import re

from .model import GenreStyle
from .rock_variants import GENRE_STYLES


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


_LOOKUP: dict[str, str] = {}
for _name, _style in GENRE_STYLES.items():
    for _alias in (_name, *_style.aliases):
        _LOOKUP[_norm(_alias)] = _name


def known_genres() -> tuple[str, ...]:
    """The genres the symbolic generator makes, sorted."""
    return tuple(sorted(GENRE_STYLES))


def genre_style(genre: str) -> GenreStyle:
    """The style of ``genre``, matched without case, spaces or hyphens (``hip hop`` is Hiphop).

    Raises ``ValueError`` naming the genre and listing the known ones.
    """
    name = _LOOKUP.get(_norm(genre))
    if name is None:
        aliases = [a for s in GENRE_STYLES.values() for a in s.aliases]
        raise ValueError(f"unknown genre {genre!r} for the symbolic generator; it makes: "
                         f"{', '.join(known_genres())} (any case; also {', '.join(aliases)})")
    return GENRE_STYLES[name]


def style_for(genre: str, variant: str = "") -> GenreStyle:
    """The style an arrangement was made with: ``genre``'s style with its ``variant`` applied."""
    return genre_style(genre).variant(variant)
