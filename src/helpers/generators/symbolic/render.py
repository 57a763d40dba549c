"""Rendering: MIDI through SoundFonts with tinysoundfont, offline and sample-accurate.

:func:`render` plays a whole MIDI through one SoundFont; :func:`render_stems`
plays each instrument of a MIDI through its own SoundFont into its own stem
(the production stage mixes the stems).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .soundfonts import kind_of

DEFAULT_MAX_VOICES = 64

class _Engine:
    """One loaded SoundFont in a tinysoundfont synthesizer, rendering mono float32."""

    def __init__(self, path: str, sample_rate: int, max_voices: int):
        import tinysoundfont

        self.path = path
        self.kind = kind_of(path)
        self.sample_rate = int(sample_rate)
        self.synth = tinysoundfont.Synth(gain=0.0, samplerate=self.sample_rate)
        try:
            self.sfid = self.synth.sfload(path, gain=0.0, max_voices=int(max_voices))
        except Exception as exc:
            raise ValueError(f"cannot load SoundFont {path}: {exc}") from exc
        self._sf = self.synth.soundfonts[self.sfid]
        self.mono = False
        try:
            from tinysoundfont._tinysoundfont import OutputMode

            self._sf.set_output(OutputMode.Mono, self.sample_rate, 0.0)
            self.mono = True
        except (ImportError, AttributeError):  # older bindings: render stereo and average
            self.mono = False
        self._scratch = np.zeros(4096 * 2, dtype=np.float32)

    def _render(self, out: np.ndarray) -> None:
        if len(out) == 0:
            return
        if self.mono:
            self._sf.render(memoryview(out).cast("B"), False)
        else:
            stereo = np.zeros((len(out), 2), dtype=np.float32)
            self.synth.generate_simple(len(out), buffer=memoryview(stereo).cast("B"))
            out[:] = stereo.mean(axis=1)

    def reset(self) -> None:
        """Silence everything and forget all channel state, so renders do not depend on history."""
        if hasattr(self._sf, "reset"):
            self._sf.reset()
        else:  # pragma: no cover - every released binding has reset()
            for ch in range(16):
                if ch in self.synth.channel:
                    self.synth.control_change(ch, 120, 0)
                    self.synth.control_change(ch, 121, 0)
        n = len(self._scratch) if self.mono else len(self._scratch) // 2
        for _ in range(4):  # let the quick releases of cut voices finish
            self._render(self._scratch[:n])

    def setup_channel(self, channel: int, program: int, is_drum: bool) -> None:
        if self.kind == "kit":  # an acoustic drum kit: one preset, GM drum keys, bank 0
            self.synth.program_select(channel, self.sfid, 0, 0, is_drums=False)
            return
        try:
            self.synth.program_select(channel, self.sfid, 0, int(program), is_drums=bool(is_drum))
        except RuntimeError:
            self.synth.program_select(channel, self.sfid, 0, 0, is_drums=bool(is_drum))

    def play(self, events: Sequence[_Event], out: np.ndarray) -> None:
        """Render ``out`` (mono float32) while applying ``events`` at their sample positions."""
        pos = 0
        n = len(out)
        synth = self.synth
        for sample, prio, _seq, ch, a, b in events:
            if sample >= n:
                break
            if sample > pos:
                self._render(out[pos:sample])
                pos = sample
            if prio == 2:
                if 0 <= a <= 127:
                    synth.noteon(ch, a, int(min(127, max(1, b))))
            elif prio == 1:
                synth.noteoff(ch, a)
            elif a >= 0:
                synth.control_change(ch, a, int(min(127, max(0, b))))
            else:
                synth.pitchbend(ch, int(min(16383, max(0, b))))
        self._render(out[pos:n])


class SoundFontCache:
    """Loads each SoundFont once (per sample rate) and hands out its synthesizer."""

    def __init__(self, sample_rate: int = 32000, max_voices: int = DEFAULT_MAX_VOICES):
        self.sample_rate = int(sample_rate)
        self.max_voices = int(max_voices)
        self._engines: dict[str, _Engine] = {}

    def engine(self, path: str | os.PathLike) -> _Engine:
        key = str(Path(path).resolve())
        if key not in self._engines:
            if not os.path.isfile(key):
                raise FileNotFoundError(f"SoundFont not found: {key}")
            self._engines[key] = _Engine(key, self.sample_rate, self.max_voices)
        return self._engines[key]

    def loaded(self) -> list[str]:
        return list(self._engines)


_Setup = tuple[int, int, int, int]
_Event = tuple[int, int, int, int, int, int]


def _midi_events(midi, sample_rate: int) -> tuple[list[_Setup], list[_Event]]:
    """Channel setup ``(channel, program, is_drum, _)`` and events of a PrettyMIDI.

    Events are ``(sample, priority, sequence, channel, a, b)`` sorted by time;
    priority 0 is a controller (``a`` its number, ``-1`` for pitch bend),
    1 a note-off, 2 a note-on (``a`` pitch, ``b`` velocity).
    """
    setup: list[_Setup] = []
    events: list[_Event] = []
    free = [c for c in range(16) if c != 9]
    by_program: dict[int, int] = {}
    drum_set = False
    seq = 0
    for inst in midi.instruments:
        if inst.is_drum:
            ch = 9
            if not drum_set:
                setup.append((9, int(inst.program), 1, 0))
                drum_set = True
        elif free:  # one channel per instrument while they last
            ch = free.pop(0)
            by_program.setdefault(int(inst.program), ch)
            setup.append((ch, int(inst.program), 0, 0))
        elif inst.program in by_program:
            ch = by_program[inst.program]
        else:
            raise ValueError("the MIDI needs more than 15 melodic channels; tinysoundfont has 16")
        for cc in inst.control_changes:
            events.append((int(round(cc.time * sample_rate)), 0, seq, ch, int(cc.number), int(cc.value)))
            seq += 1
        for pb in inst.pitch_bends:
            events.append((int(round(pb.time * sample_rate)), 0, seq, ch, -1, int(pb.pitch) + 8192))
            seq += 1
        for note in inst.notes:
            if note.velocity <= 0:
                continue
            start = int(round(note.start * sample_rate))
            end = max(start + 1, int(round(note.end * sample_rate)))
            events.append((start, 2, seq, ch, int(note.pitch), int(note.velocity)))
            events.append((end, 1, seq, ch, int(note.pitch), 0))
            seq += 1
    events.sort()
    return setup, events


def render(midi, soundfont_path: str | os.PathLike, sample_rate: int = 32000, *, duration_s: float | None = None,
           cache: SoundFontCache | None = None) -> np.ndarray:
    """Play a :class:`pretty_midi.PrettyMIDI` through a SoundFont with tinysoundfont, offline.

    Returns mono float32 audio of ``duration_s`` seconds (default: the MIDI's
    end plus one second) at ``sample_rate``. Events are applied at their exact
    sample positions between rendered blocks; at equal times controller changes
    come first, then note-offs, then note-ons. ``cache`` reuses loaded
    SoundFonts; the synthesizer is reset before every render, so the output
    depends only on the MIDI, the SoundFont and the rate.
    """
    if cache is None:
        cache = SoundFontCache(sample_rate)
    elif cache.sample_rate != int(sample_rate):
        raise ValueError(f"cache renders at {cache.sample_rate} Hz, not {sample_rate} Hz")
    if duration_s is None:
        duration_s = float(midi.get_end_time()) + 1.0
    n = int(round(float(duration_s) * int(sample_rate)))
    engine = cache.engine(soundfont_path)
    engine.reset()
    setup, events = _midi_events(midi, int(sample_rate))
    for ch, program, is_drum, _ in setup:
        engine.setup_channel(ch, program, bool(is_drum))
    out = np.zeros(n, dtype=np.float32)
    engine.play(events, out)
    return out


class _OneInstrument:
    """A PrettyMIDI-like view holding a single instrument (what :func:`_midi_events` reads)."""

    def __init__(self, inst):
        self.instruments = [inst]


def render_stems(midi, soundfonts: Sequence[str], sample_rate: int = 32000, *, duration_s: float,
                 cache: SoundFontCache | None = None) -> list[np.ndarray]:
    """Play each instrument of ``midi`` through its own SoundFont into its own stem.

    Args:
        midi: a :class:`pretty_midi.PrettyMIDI`.
        soundfonts: one SoundFont path per ``midi.instruments`` entry, in order.
    Returns:
        One mono float32 array of ``duration_s`` seconds per instrument, in order.
    """
    if len(soundfonts) != len(midi.instruments):
        raise ValueError(f"render_stems needs one SoundFont per instrument: {len(soundfonts)} for "
                         f"{len(midi.instruments)} instruments")
    return [render(_OneInstrument(inst), font, sample_rate, duration_s=duration_s, cache=cache)
            for inst, font in zip(midi.instruments, soundfonts)]
