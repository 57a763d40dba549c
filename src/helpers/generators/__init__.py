"""Generator backends (stage 2): each a :class:`helpers.generation.Generator` registered by name.

- ``symbolic``: the offline default (prompt -> arrangement -> MIDI -> SoundFont stems -> production)
- ``musicgen`` / ``audiocraft``: MusicGen small, as in the paper
"""
