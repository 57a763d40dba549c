"""Embedder backends (stage 3): each a :class:`helpers.embedding.Embedder` registered by name.

- ``musicnn``: the offline default (MSD musicnn ported to PyTorch; :mod:`.tfbundle` reads its checkpoint)
- ``passt``: PaSST-S (AudioSet), as in the paper
"""
