"""Rendering the key MIDI files with a renderer and a SoundFont the training data never used.

**Renderer: FluidSynth** (Debian ``fluidsynth`` + ``libfluidsynth3``), never used by the
project's own generator (tinysoundfont). Without root: the .debs are downloaded with the
project's private apt (:func:`helpers.benchmarks.debian.download_deb`) and unpacked with
``dpkg-deb -x`` into ``<cache>/fluidsynth``; ``ldd`` then names the shared libraries this
machine lacks, and the packages holding them (:data:`SONAME_PACKAGES`, else the Debian
naming rule ``libfoo.so.N`` -> ``libfooN``) are fetched and unpacked too, until nothing is
missing. The CLI runs with ``LD_LIBRARY_PATH`` pointing there, as a file renderer
(``-F``, no audio driver), 32 kHz, float WAV, its default reverb and chorus on.

**SoundFont: GeneralUser GS v1.47** (S. Christian Collins), shipped in Debian main by
``minuet-data`` (``/usr/share/minuet/soundfonts/GeneralUser-v1.47.sf2``, 31 MB): a full
General MIDI set, none of FluidR3_GM / FluidR3_GS, MuseScore General, TimGM6mb or the AVL
kits (:data:`~.common.TRAINING_SOUNDFONTS`, checked). Alternatives: ``opl3`` (Debian
``opl3-soundfont``, an OPL3 FM imitation) and ``csound`` (``csound-soundfont``,
``sf_GMbank.sf2``).

If FluidSynth cannot be made to run, the fallback (``--renderer auto`` or
``tinysoundfont``) plays the same SoundFont with tinysoundfont -- the *training* renderer,
and ``tracks.csv`` says so in its ``renderer`` column.

Each excerpt starts at the first note (leading silence and count-in gaps dropped) and lasts
``seconds`` (30 by default) or to the end of the piece (plus a 2 s release) when shorter;
it is made mono, peak-normalised to 0.99 and written as 16-bit FLAC at 32 kHz.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..debian.apt import AptLists, deb_fields, download_deb
from ..debian.common import FetchError
from ..debian.extract import extract_members
from .common import PEAK_CEILING, TARGET_SR, TRAINING_SOUNDFONT_PACKAGES, TRAINING_SOUNDFONTS

log = logging.getLogger(__name__)

#: the FluidSynth packages
FLUIDSYNTH_PACKAGES: tuple[str, ...] = ("fluidsynth", "libfluidsynth3")
#: shared libraries FluidSynth needs that a machine may lack -> their Debian (bookworm)
#: package, as measured with ldd on a machine without them; others follow the naming rule
SONAME_PACKAGES: dict[str, str] = {
    "libSDL2-2.0.so.0": "libsdl2-2.0-0", "libpulse-simple.so.0": "libpulse0", "libpulse.so.0": "libpulse0",
    "libpulsecommon-16.1.so": "libpulse0", "libjack.so.0": "libjack-jackd2-0",
    "libinstpatch-1.0.so.2": "libinstpatch-1.0-2", "libsndfile.so.1": "libsndfile1", "libFLAC.so.12": "libflac12",
    "libvorbis.so.0": "libvorbis0a", "libvorbisenc.so.2": "libvorbisenc2", "libvorbisfile.so.3": "libvorbisfile3",
    "libdecor-0.so.0": "libdecor-0-0", "libreadline.so.8": "libreadline8", "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0", "libgomp.so.1": "libgomp1", "libdbus-1.so.3": "libdbus-1-3",
    "libasound.so.2": "libasound2", "libsystemd.so.0": "libsystemd0", "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6", "libxcb.so.1": "libxcb1", "libXau.so.6": "libxau6", "libXdmcp.so.6": "libxdmcp6",
    "libbsd.so.0": "libbsd0", "libmd.so.0": "libmd0", "libwrap.so.0": "libwrap0",
}
#: SoundFonts this benchmark can render with: name -> (package, member)
SOUNDFONTS: dict[str, tuple[str, str]] = {
    "generaluser": ("minuet-data", "/usr/share/minuet/soundfonts/GeneralUser-v1.47.sf2"),
    "opl3": ("opl3-soundfont", "/usr/share/sounds/sf2/OPL-3_FM_128M.sf2"),
    "csound": ("csound-soundfont", "/usr/share/sounds/sf2/sf_GMbank.sf2"),
}
DEFAULT_SOUNDFONT = "generaluser"
#: the renderers :func:`ready_renderer` takes ("auto": FluidSynth where it can run, else tinysoundfont)
RENDERER_CHOICES = ("auto", "fluidsynth", "tinysoundfont")
#: FluidSynth's gain (its default 0.2 is quiet; the output is peak-normalised anyway)
FLUID_GAIN = 0.5
#: release kept after the last note of a piece shorter than the excerpt
TAIL_S = 2.0
#: fade applied where an excerpt cuts into sounding notes
FADE_S = 0.05


class RendererUnavailable(RuntimeError):
    """No renderer (or SoundFont) could be made ready; says why."""


def check_soundfont_unseen(path: str | os.PathLike, package: str = "") -> None:
    """Refuse a SoundFont the training data was rendered with."""
    if Path(path).name.lower() in TRAINING_SOUNDFONTS or package in TRAINING_SOUNDFONT_PACKAGES:
        raise ValueError(f"{Path(path).name} ({package or 'file'}) is a SoundFont the training data used; "
                         "the key benchmark needs an unseen one")


def guess_package(soname: str) -> str:
    """The Debian package that ships ``soname`` (table, else ``libfoo.so.N`` -> ``libfooN``)."""
    if soname in SONAME_PACKAGES:
        return SONAME_PACKAGES[soname]
    m = re.match(r"^(lib.+?)\.so\.(\d+)", soname)
    if not m:
        return soname.split(".so")[0].lower()
    name, major = m.group(1).lower(), m.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


@dataclass(frozen=True)
class Renderer:
    """A ready renderer: kind, how to call it, and what to record."""

    kind: str  # "fluidsynth" or "tinysoundfont"
    soundfont: Path
    soundfont_label: str  # "GeneralUser-v1.47.sf2 (minuet-data 22.12.3-1)"
    binary: Path | None = None
    library_path: str = ""
    version: str = ""  # "fluidsynth 2.3.1 (fluidsynth 2.3.1-2)"

    @property
    def label(self) -> str:
        if self.kind == "fluidsynth":
            return f"{self.version}; -r {TARGET_SR} -g {FLUID_GAIN}, default reverb and chorus"
        return "tinysoundfont (the TRAINING renderer, not FluidSynth)"

    def env(self) -> dict[str, str]:
        env = {**os.environ, "LC_ALL": "C"}
        if self.library_path:
            env["LD_LIBRARY_PATH"] = self.library_path + (
                ":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else "")
        return env


def _unpack(deb: Path, root: Path) -> None:
    proc = subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise FetchError(f"dpkg-deb -x {deb.name} failed: {proc.stderr.strip()}")


def _lib_dirs(root: Path) -> list[Path]:
    dirs = []
    for d in ("usr/lib/x86_64-linux-gnu", "usr/lib/aarch64-linux-gnu", "lib/x86_64-linux-gnu", "usr/lib"):
        p = root / d
        if p.is_dir():
            dirs.append(p)
            dirs += [c for c in sorted(p.iterdir()) if c.is_dir() and c.name == "pulseaudio"]
    return dirs


def _missing(root: Path, binary: Path, library_path: str) -> set[str]:
    """Sonames ``ldd`` reports missing for the binary and the unpacked libraries."""
    if shutil.which("ldd") is None:
        return set()
    targets = [binary] + [f for d in _lib_dirs(root) for f in sorted(d.glob("*.so*")) if f.is_file()]
    env = {**os.environ, "LD_LIBRARY_PATH": library_path, "LC_ALL": "C"}
    missing: set[str] = set()
    for t in targets:
        proc = subprocess.run(["ldd", str(t)], capture_output=True, text=True, env=env, check=False)
        for line in proc.stdout.splitlines():
            if "not found" in line:
                missing.add(line.split("=>")[0].strip())
    return missing


def fluidsynth_dir(cache_dir: Path) -> Path:
    return Path(cache_dir) / "fluidsynth"


def ready_fluidsynth(cache_dir: Path, apt: AptLists | None = None, fetch: bool = True,
                     max_rounds: int = 8) -> tuple[Path, str, str]:
    """``(binary, LD_LIBRARY_PATH, version)`` of FluidSynth unpacked in the cache.

    Fetches and unpacks what is missing when ``fetch``; raises
    :class:`RendererUnavailable` with the reason otherwise or when it cannot run."""
    root = fluidsynth_dir(cache_dir) / "root"
    binary = root / "usr" / "bin" / "fluidsynth"
    record = fluidsynth_dir(cache_dir) / "packages.json"
    installed: dict[str, str] = json.loads(record.read_text()) if record.is_file() else {}
    apt = apt or AptLists(Path(cache_dir))
    debs = Path(cache_dir)

    def add(package: str) -> None:
        deb = download_deb(package, "", debs, apt)
        _unpack(deb, root)
        installed[package] = deb_fields(deb).get("Version", "")

    if not binary.is_file():
        if not fetch:
            raise RendererUnavailable(f"FluidSynth is not in the cache ({binary} missing); "
                                      "run: python -m helpers.benchmarks.keymidi renderer")
        root.mkdir(parents=True, exist_ok=True)
        try:
            for package in FLUIDSYNTH_PACKAGES:
                add(package)
        except FetchError as exc:
            raise RendererUnavailable(f"cannot fetch FluidSynth: {exc}") from exc
    library_path = ":".join(str(d) for d in _lib_dirs(root))
    tried: set[str] = set()
    for _ in range(max_rounds):
        missing = _missing(root, binary, library_path)
        if not missing:
            break
        if not fetch:
            raise RendererUnavailable(f"FluidSynth lacks {', '.join(sorted(missing))}; "
                                      "run: python -m helpers.benchmarks.keymidi renderer")
        wanted = {guess_package(s) for s in missing} - tried
        if not wanted:
            raise RendererUnavailable(f"FluidSynth still lacks {', '.join(sorted(missing))} after fetching "
                                      f"{', '.join(sorted(tried))}")
        log.info("FluidSynth lacks %s: fetching %s", ", ".join(sorted(missing)), ", ".join(sorted(wanted)))
        for package in sorted(wanted):
            tried.add(package)
            try:
                add(package)
            except FetchError as exc:
                log.warning("FluidSynth: cannot fetch %s (%s)", package, exc)
        library_path = ":".join(str(d) for d in _lib_dirs(root))
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(installed, indent=1, sort_keys=True))
    env = {**os.environ, "LD_LIBRARY_PATH": library_path, "LC_ALL": "C"}
    try:
        proc = subprocess.run([str(binary), "--version"], capture_output=True, text=True, env=env, timeout=60,
                              check=False)
    except OSError as exc:
        raise RendererUnavailable(f"FluidSynth does not start: {exc}") from exc
    m = re.search(r"FluidSynth runtime version (\S+)", proc.stdout)
    if proc.returncode != 0 or not m:
        raise RendererUnavailable(f"FluidSynth does not run: {(proc.stderr or proc.stdout).strip()[-300:]}")
    deb_version = installed.get("fluidsynth", "")
    return binary, library_path, f"fluidsynth {m.group(1)}" + (f" (Debian {deb_version})" if deb_version else "")


def ready_soundfont(cache_dir: Path, name: str = DEFAULT_SOUNDFONT, apt: AptLists | None = None,
                    fetch: bool = True) -> tuple[Path, str]:
    """``(path, label)`` of an evaluation SoundFont in ``<cache>/soundfonts`` (fetched when needed)."""
    if name not in SOUNDFONTS:
        raise ValueError(f"unknown SoundFont {name!r}; known: {', '.join(SOUNDFONTS)}")
    package, member = SOUNDFONTS[name]
    folder = Path(cache_dir) / "soundfonts"
    target = folder / Path(member).name
    check_soundfont_unseen(target, package)
    label_file = target.with_suffix(target.suffix + ".json")
    if not target.is_file():
        if not fetch:
            raise RendererUnavailable(f"SoundFont {target.name} is not in the cache; "
                                      "run: python -m helpers.benchmarks.keymidi renderer")
        try:
            deb = download_deb(package, "", Path(cache_dir), apt or AptLists(Path(cache_dir)))
            version = deb_fields(deb).get("Version", "")
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix=".sf-", dir=folder) as tmp:
                got = extract_members(deb, [member], tmp)
                if member not in got:
                    raise FetchError(f"{member} not in {deb.name}")
                os.replace(got[member], target)
            label_file.write_text(json.dumps({"package": package, "version": version}))
        except FetchError as exc:
            raise RendererUnavailable(f"cannot fetch SoundFont {name} ({package}): {exc}") from exc
    meta = json.loads(label_file.read_text()) if label_file.is_file() else {"package": package, "version": ""}
    return target, f"{target.name} ({meta['package']} {meta['version']})".strip()


def ready_renderer(cache_dir: Path, kind: str = "auto", soundfont: str = DEFAULT_SOUNDFONT,
                   apt: AptLists | None = None, fetch: bool = True) -> Renderer:
    """A :class:`Renderer` of ``kind`` (``auto``: FluidSynth, else tinysoundfont, said loudly)."""
    if kind not in RENDERER_CHOICES:
        raise ValueError(f"renderer must be auto, fluidsynth or tinysoundfont, not {kind!r}")
    apt = apt or AptLists(Path(cache_dir))
    sf_path, sf_label = ready_soundfont(cache_dir, soundfont, apt, fetch)
    if kind in ("auto", "fluidsynth"):
        try:
            binary, libs, version = ready_fluidsynth(cache_dir, apt, fetch)
            return Renderer("fluidsynth", sf_path, sf_label, binary, libs, version)
        except RendererUnavailable as exc:
            if kind == "fluidsynth":
                raise
            log.warning("FluidSynth unavailable (%s); falling back to tinysoundfont, the TRAINING renderer "
                        "(with the unseen SoundFont %s)", exc, sf_label)
    try:
        import tinysoundfont  # noqa: F401
    except ImportError as exc:
        raise RendererUnavailable(f"neither FluidSynth nor tinysoundfont is available ({exc})") from exc
    return Renderer("tinysoundfont", sf_path, sf_label)


# -- the excerpt -----------------------------------------------------------------------------

def _tempo_map(mf) -> list[tuple[int, int]]:
    """``[(tick, microseconds per beat)]`` from every track, sorted (a player's view)."""
    changes = []
    for track in mf.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "set_tempo":
                changes.append((tick, msg.tempo))
    changes.sort(key=lambda c: c[0])
    if not changes or changes[0][0] > 0:
        changes.insert(0, (0, 500000))
    return changes


def _tick_to_s(tick: int, tempo: list[tuple[int, int]], tpb: int) -> float:
    s, (last_tick, us) = 0.0, tempo[0]
    for t, u in tempo[1:]:
        if t >= tick:
            break
        s += (t - last_tick) * us / 1e6 / tpb
        last_tick, us = t, u
    return s + (tick - last_tick) * us / 1e6 / tpb


def _s_to_tick(seconds: float, tempo: list[tuple[int, int]], tpb: int) -> int:
    s, (last_tick, us) = 0.0, tempo[0]
    for t, u in tempo[1:]:
        seg = (t - last_tick) * us / 1e6 / tpb
        if s + seg > seconds:
            break
        s += seg
        last_tick, us = t, u
    return int(last_tick + round((seconds - s) * 1e6 * tpb / us))


def excerpt_midi(data: bytes, seconds: float) -> tuple[bytes, float, float]:
    """A MIDI file of the excerpt: ``(bytes, start_s, length_s)``.

    The excerpt starts at the first note-on (any channel) and ends ``seconds`` later or
    at the last note-off, whichever is first. Events before the start (programs,
    controllers, tempi) are kept at its first tick, notes after the end are dropped and
    every channel gets all-notes-off at the end."""
    import mido

    mf = mido.MidiFile(file=io.BytesIO(data), clip=True)
    tpb = mf.ticks_per_beat
    tempo = _tempo_map(mf)
    first_on, last_off = None, 0
    for track in mf.tracks:
        tick = 0
        for msg in track:
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                first_on = tick if first_on is None else min(first_on, tick)
            if msg.type in ("note_off", "note_on"):
                last_off = max(last_off, tick)
    if first_on is None:
        raise ValueError("no notes to render")
    start_s = _tick_to_s(first_on, tempo, tpb)
    end_s = min(start_s + float(seconds), _tick_to_s(last_off, tempo, tpb))
    end_tick = _s_to_tick(end_s, tempo, tpb)
    out = mido.MidiFile(type=mf.type if mf.type in (0, 1) else 1, ticks_per_beat=tpb)
    for index, track in enumerate(mf.tracks):
        events, tick = [], 0
        for msg in track:
            tick += msg.time
            if msg.type == "end_of_track":
                continue
            if msg.is_meta and msg.type not in ("set_tempo", "key_signature", "time_signature"):
                if tick >= end_tick:
                    continue
            is_note = msg.type in ("note_on", "note_off")
            if is_note and tick < first_on:
                continue  # (none are sounding before the first note-on)
            if tick > end_tick or (tick == end_tick and msg.type == "note_on" and msg.velocity > 0):
                continue
            events.append((max(tick, first_on) - first_on, msg))
        if index == 0:
            rel_end = end_tick - first_on
            for ch in range(16):
                events.append((rel_end, mido.Message("control_change", channel=ch, control=64, value=0)))
                events.append((rel_end, mido.Message("control_change", channel=ch, control=123, value=0)))
        new = mido.MidiTrack()
        last = 0
        for t, msg in sorted(events, key=lambda e: e[0]):
            new.append(msg.copy(time=t - last))
            last = t
        new.append(mido.MetaMessage("end_of_track", time=0))
        out.tracks.append(new)
    from .evidence import _meta_on_first_track  # tempi on track 0, as pretty_midi reads them

    return _meta_on_first_track(out), start_s, end_s - start_s


def _finish(audio: np.ndarray, length_s: float, seconds: float) -> np.ndarray:
    """Trim to the excerpt (+ tail when the piece ended first), fade a cut, peak-normalise."""
    cut = length_s >= seconds - 1e-6
    n = int(round((seconds if cut else length_s + TAIL_S) * TARGET_SR))
    audio = np.asarray(audio, dtype=np.float64)[:n]
    if cut and len(audio) >= n:
        fade = int(FADE_S * TARGET_SR)
        audio[-fade:] *= np.linspace(1.0, 0.0, fade)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if not np.isfinite(peak) or peak < 1e-6:
        raise ValueError("the rendering is silent")
    return (audio * (PEAK_CEILING / peak)).astype(np.float32)


def render_excerpt(data: bytes, renderer: Renderer, seconds: float = 30.0) -> tuple[np.ndarray, float, float]:
    """``(audio, start_s, length_s)``: the excerpt of a MIDI file's bytes, mono 32 kHz."""
    midi, start_s, length_s = excerpt_midi(data, seconds)
    if renderer.kind == "fluidsynth":
        audio = _fluidsynth(midi, renderer)
    else:
        audio = _tinysoundfont(midi, renderer, length_s + TAIL_S)
    audio = _finish(audio, length_s, seconds)
    return audio, start_s, len(audio) / TARGET_SR


def _fluidsynth(midi: bytes, renderer: Renderer) -> np.ndarray:
    import soundfile as sf

    with tempfile.TemporaryDirectory(prefix="keymidi-fs-") as tmp:
        mid, wav = Path(tmp) / "x.mid", Path(tmp) / "x.wav"
        mid.write_bytes(midi)
        cmd = [str(renderer.binary), "-n", "-i", "-q", "-r", str(TARGET_SR), "-g", str(FLUID_GAIN),
               "-T", "wav", "-O", "float", "-F", str(wav), str(renderer.soundfont), str(mid)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=renderer.env(), timeout=600, check=False)
        if proc.returncode != 0 or not wav.is_file():
            raise RuntimeError(f"fluidsynth failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-300:]}")
        audio, sr = sf.read(str(wav), dtype="float32", always_2d=True)
    if sr != TARGET_SR:
        from helpers.audio import resample

        return resample(audio.mean(axis=1), sr, TARGET_SR)
    return audio.mean(axis=1)


def _tinysoundfont(midi: bytes, renderer: Renderer, duration_s: float) -> np.ndarray:
    import pretty_midi

    from helpers.generators.symbolic.render import render

    pm = pretty_midi.PrettyMIDI(io.BytesIO(midi))
    return render(pm, str(renderer.soundfont), TARGET_SR, duration_s=duration_s)


def add_render_arguments(parser) -> None:
    """A command line's ``--renderer`` and ``--soundfont`` (the keymidi and scorekey fetchers')."""
    parser.add_argument("--renderer", choices=list(RENDERER_CHOICES), default="auto")
    parser.add_argument("--soundfont", choices=sorted(SOUNDFONTS), default=DEFAULT_SOUNDFONT)
