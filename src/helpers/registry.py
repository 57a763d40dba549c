"""A small name -> class registry with lazy imports.

Backends that need heavy libraries (transformers, timm) are registered as
``"module:Class"`` strings, so importing :mod:`helpers.generation` or
:mod:`helpers.embedding` never imports them; the class is imported only when
a user asks for that backend by name.
"""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps backend names to classes (or to ``"module:Class"`` import paths)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, object] = {}

    def register(self, name: str, target: object | None = None):
        """Register ``target`` under ``name``; usable as a class decorator."""

        def _add(obj):
            self._entries[name] = obj
            return obj

        return _add(target) if target is not None else _add

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> type[T]:
        """The class registered as ``name``, imported on first use."""
        if name not in self._entries:
            raise KeyError(
                f"unknown {self.kind} backend {name!r}; known: {', '.join(self.names())}"
            )
        entry = self._entries[name]
        if isinstance(entry, str):
            module_name, _, attr = entry.partition(":")
            entry = getattr(importlib.import_module(module_name), attr)
            self._entries[name] = entry
        return entry  # type: ignore[return-value]
