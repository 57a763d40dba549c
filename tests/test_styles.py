"""The symbolic generator's genre styles beyond the first five: GTZAN's ten genres.

Every style renders; each keeps the marks that make its genre recognisable
(tempo, groove, kit, instruments, harmony, production); genre names resolve
in GTZAN's spelling; a genre the backend cannot make is an error that lists
the ones it can.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pretty_midi")
pytest.importorskip("tinysoundfont")

from helpers.config import GenerationConfig  # noqa: E402
from helpers.generation import ClipRequest, generate_clips  # noqa: E402
from helpers.generators import symbolic as S  # noqa: E402
from helpers.generators.symbolic.patterns import (  # noqa: E402
    CLAP, CLOSED_HAT, KICK, OPEN_HAT, PEDAL_HAT, RIDE, SIDE_STICK, SNARE,
)
from helpers.generators.symbolic.produce import GENRE_PRODUCTION  # noqa: E402
from helpers.generators.symbolic.styles import style_for  # noqa: E402
from helpers.generators.symbolic.theory import ROOTLESS_INTERVALS  # noqa: E402

SR = 32000
NEW = ("Blues", "Classical", "Country", "Disco", "Hiphop", "Jazz", "Metal", "Reggae")
GTZAN = ("blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock")
TIM = [S.find_soundfonts()[0]]  # TimGM6mb: always there, the fastest to load
SEEDS = range(12)


def _request(genre: str, description: str = "", seed: int = 0) -> ClipRequest:
    return ClipRequest(id=f"{genre}-{seed}", genre=genre, description=description,
                       prompt=f"A {genre} track. {description}".strip(), seed=seed)


def _arr(genre: str, seed: int, description: str = "", **kw) -> S.Arrangement:
    return S.arrange(genre, description, seed, soundfonts=TIM, **kw)


def _drums(midi):
    return next(i for i in midi.instruments if i.is_drum)


def _onsets(inst, keys) -> np.ndarray:
    return np.array(sorted(n.start for n in inst.notes if n.pitch in keys))


def _beats(arr: S.Arrangement, duration: float) -> np.ndarray:
    return np.arange(0.0, duration - 1e-9, 60.0 / arr.tempo)


def _near(times: np.ndarray, t: float, tol: float = 0.04) -> bool:
    return bool(len(times)) and float(np.min(np.abs(times - t))) <= tol


# --- every style renders ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def gen() -> S.SymbolicGenerator:
    return S.SymbolicGenerator(duration_s=10.0)


@pytest.mark.parametrize("genre", NEW)
def test_every_style_renders_a_clip_deterministically(gen, genre):
    req = _request(genre.lower(), seed=3)
    audio = gen.generate_one(req)
    assert audio.dtype == np.float32 and audio.shape == (10 * SR,)
    assert np.all(np.isfinite(audio))
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert rms > 1e-3
    windows = audio.reshape(-1, SR // 2)
    assert np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1)).min() > 0.02 * rms  # sound throughout
    assert gen.generate_one(req).tobytes() == audio.tobytes()


@pytest.mark.parametrize("genre", NEW)
def test_tempo_within_the_style_range(genre):
    for seed in range(25):
        arr = _arr(genre, seed)
        lo, hi = style_for(arr.genre, arr.variant).tempo_range
        assert lo <= arr.tempo <= hi, (genre, seed, arr.variant, arr.tempo)


# --- names and errors ----------------------------------------------------------------------------

def test_gtzan_names_and_aliases_resolve():
    for name in GTZAN:
        assert _arr(name, 0).genre == ("Hiphop" if name == "hiphop" else name.capitalize())
    for alias in ("hip hop", "hip-hop", "Hip-Hop", " HIPHOP ", "Hip Hop"):
        assert _arr(alias, 0).genre == "Hiphop"
    assert set(GTZAN) <= {g.lower() for g in S.SymbolicGenerator.known_genres()}
    assert {"Electronica", "Funk", "Orchestral"} <= set(S.SymbolicGenerator.known_genres())


def test_unknown_genre_lists_what_the_backend_makes():
    with pytest.raises(ValueError) as err:
        _arr("polka", 0)
    text = str(err.value)
    assert "polka" in text and all(g in text for g in S.SymbolicGenerator.known_genres())
    g = S.SymbolicGenerator(duration_s=1.0, soundfonts="timgm6mb")
    with pytest.raises(ValueError, match="zydeco.*Blues.*Reggae"):  # the whole batch fails before rendering
        g.generate_batch([_request("rock"), _request("zydeco")])


# --- per-genre signatures ----------------------------------------------------------------------

def test_jazz_walks_swings_and_comps_rootless():
    rides = 0
    for seed in SEEDS:
        arr = _arr("jazz", seed)
        assert arr.swing_unit == 2 and arr.swing >= 0.22
        midi, owners = S.perform(arr, 8.0)
        bass = next(i for i, (p, _) in zip(midi.instruments, owners) if p is not None and p.role == "bass")
        starts = np.array([n.start for n in bass.notes])
        assert all(_near(starts, t) for t in _beats(arr, 8.0)), seed  # a walking bass: a note on every beat
        drums = _drums(midi)
        beat = 60.0 / arr.tempo
        foot = _onsets(drums, {PEDAL_HAT})
        assert len(foot) and all(round(t / beat) % 2 == 1 for t in foot)  # hi-hat foot on 2 and 4
        if arr.drum_pattern in ("jazz_ride", "jazz_ride_b"):
            rides += 1
            frac = (_onsets(drums, {RIDE}) / beat) % 1.0
            skip = frac[(frac > 0.15) & (frac < 0.85)]
            assert len(skip) and np.all((skip > 0.55) & (skip < 0.8))  # the "a" of ding-ding-a-ding: swung
        for inst, (part, _) in zip(midi.instruments, owners):
            if part is not None and part.pattern == "jazz_comp":
                for note in inst.notes:
                    step = note.start / (beat / 4)
                    chord = arr.progression[int((step + 2) // (4 * arr.beats_per_chord)) % len(arr.progression)]
                    if 0 not in ROOTLESS_INTERVALS.get(chord.quality, (0,)) and 12 not in ROOTLESS_INTERVALS.get(
                            chord.quality, (0,)):
                        assert note.pitch % 12 != (arr.key + chord.root) % 12  # the bass has the root
        owners_plan = S.plan_production(arr, owners)
        assert owners_plan["master"]["crest_db"] >= 15.0  # barely limited
        assert not any(fx["fx"] == "Distortion" for s in owners_plan["stems"] for fx in s["chain"])
    assert rides >= 3


def test_reggae_one_drop_skank_and_dub():
    one_drops = 0
    for seed in SEEDS:
        arr = _arr("reggae", seed, "Roots reggae with a steady one drop")
        assert arr.drum_pattern.startswith("one_drop") and 60 <= arr.tempo <= 90
        midi, owners = S.perform(arr, 10.0)
        drums = _drums(midi)
        bar = 240.0 / arr.tempo
        kicks, backbeat = _onsets(drums, {KICK}), _onsets(drums, {SIDE_STICK, SNARE})
        bars = np.arange(0.0, 10.0 - bar / 2, bar)
        assert not any(_near(kicks, t) for t in bars), seed  # nothing on the one
        for b, t in enumerate(bars):
            if not (arr.section_change == "fill" and b == arr.change_bar - 1):
                assert _near(kicks, t + bar / 2) and _near(backbeat, t + bar / 2), (seed, b)  # the drop on 3
        skank = [i for i, (p, _) in zip(midi.instruments, owners) if p is not None and p.pattern.startswith("skank")]
        for inst in skank:
            frac = np.array([(n.start / (bar / 4)) % 4 for n in inst.notes])  # beat within the bar
            assert np.all(np.min(np.abs(frac[:, None] - np.array([1, 1.5, 3, 3.5])[None, :]) % 4, axis=1) < 0.2)
        one_drops += 1
    assert one_drops == len(SEEDS)
    plans = [S.plan_production(a, S.perform(a, 2.0)[1]) for a in (_arr("reggae", s) for s in SEEDS)]
    assert any(fx["fx"] == "Delay" for p in plans for st in p["stems"] if st["family"] in ("guitar", "drums")
               for fx in st["chain"])


def test_metal_is_fast_distorted_doubled_and_locked():
    for seed in SEEDS:
        arr = _arr("metal", seed, double_guitars=True)
        assert arr.tempo >= 140 and arr.drum_kit in (0, 8, 16)
        riff = [p for p in arr.parts if p.pattern == "metal_riff"]
        assert riff and riff[0].program in (29, 30) and riff[0].double
        midi, owners = S.perform(arr, 6.0)
        step = 15.0 / arr.tempo
        guitar = next(i for i, (p, take) in zip(midi.instruments, owners) if p is riff[0] and take == 0)
        bass = next(i for i, (p, _) in zip(midi.instruments, owners) if p is not None and p.role == "bass")
        assert {round(n.start / step) for n in bass.notes} == {round(n.start / step) for n in guitar.notes}
        plan = S.plan_production(arr, owners)
        drives = [fx["drive_db"] for s in plan["stems"] if s["family"] == "drive_guitar" for fx in s["chain"]
                  if fx["fx"] == "Distortion"]
        assert len(drives) >= 2 and min(drives) >= 24.0
        assert plan["master"]["crest_db"] <= 11.5  # loud, squashed
    assert any(_arr("metal", s, "Death metal with blast beats").drum_pattern == "metal_blast" for s in range(3))


def test_classical_has_no_drums_and_is_not_squashed():
    variants = set()
    for seed in SEEDS:
        arr = _arr("classical", seed)
        variants.add(arr.variant)
        assert arr.drum_kit is None and arr.swing == 0.0
        midi, owners = S.perform(arr, 6.0)
        assert not any(i.is_drum for i in midi.instruments)
        assert {p.program for p in arr.parts} <= {0, 6, 40, 41, 42, 43, 48, 49, 56, 60, 68, 69, 70, 71, 73}
        plan = S.plan_production(arr, owners)
        assert plan["master"]["crest_db"] >= 17.0  # not squashed
        assert not any(fx["fx"] in ("Compressor", "Distortion") for s in plan["stems"] for fx in s["chain"])
    assert {"string quartet", "solo piano"} <= variants
    assert _arr("classical", 0, "A solo piano nocturne").variant == "solo piano"
    assert _arr("classical", 0, "A string quartet in a lively allegro").variant == "string quartet"
    assert {p.program for p in _arr("classical", 1, "A string quartet").parts} <= {40, 41, 42}


def test_disco_kicks_on_every_beat_with_open_hats_between():
    for seed in SEEDS:
        arr = _arr("disco", seed)
        assert 110 <= arr.tempo <= 130
        drums = _drums(S.to_midi(arr, 8.0))
        kicks, hats = _onsets(drums, {KICK}), _onsets(drums, {OPEN_HAT})
        beat = 60.0 / arr.tempo
        fill_bar = arr.change_bar - 1 if arr.section_change == "fill" else -1
        for t in _beats(arr, 8.0):
            if int(t / (4 * beat) + 1e-6) != fill_bar:
                assert _near(kicks, t), (seed, t)
        assert len(hats) and np.all(np.abs(((hats / beat) % 1.0) - 0.5) < 0.1)  # open hats on the "and"
        assert any(p.role == "bass" and p.pattern in ("disco_octaves", "disco_octaves_16", "octave_pops")
                   for p in arr.parts)


def test_blues_twelve_bars_shuffle_and_harmonica():
    leads = set()
    for seed in range(20):
        arr = _arr("blues", seed)
        assert arr.swing_unit == 2 and arr.swing >= 0.26
        assert all(c.quality in ("7", "9", "m7") for c in arr.progression)
        assert len(arr.progression) in (8, 12)
        leads |= {p.program for p in arr.parts if p.role == "lead"}
    assert 22 in leads


def test_country_pedal_steel_slides_and_major_three_chords():
    steel = 0
    for seed in range(20):
        arr = _arr("country", seed)
        assert 88 <= arr.tempo <= 140 and any(p.program == 25 for p in arr.parts)
        if arr.mode == "major":
            assert {c.root for c in arr.progression} <= {0, 5, 7, 9}
        parts = [p for p in arr.parts if p.pattern == "steel_swell"]
        if parts:
            steel += 1
            midi, owners = S.perform(arr, 6.0)
            inst = next(i for i, (p, _) in zip(midi.instruments, owners) if p is parts[0])
            assert min(b.pitch for b in inst.pitch_bends) <= -4096  # slides up from a semitone or more below
            assert any(c.number == 11 for c in inst.control_changes)  # volume-pedal swells
    assert steel >= 3
    assert _arr("country", 0, "Twangy pedal steel and fiddle").parts


def test_hiphop_boom_bap_and_trap_with_a_rapped_line():
    arrs = [_arr("hip hop", s, vocals=True) for s in range(16)]
    assert {a.variant for a in arrs} == {"boom bap", "trap"}
    for arr in arrs:
        midi, owners = S.perform(arr, 8.0)
        hats = _onsets(_drums(midi), {CLOSED_HAT})
        step = 15.0 / arr.tempo
        if arr.variant == "trap":
            assert 130 <= arr.tempo <= 150 and arr.drum_kit == 25
            assert np.min(np.diff(hats)) < 0.75 * step  # hi-hat rolls faster than 16ths
            claps = _onsets(_drums(midi), {CLAP, SNARE})
            if arr.section_change in ("drop", "fill"):  # the build-up bar before the change has a snare roll
                claps = claps[np.floor(claps / (16 * step) + 0.01) != arr.change_bar - 1]
            assert np.all(np.abs(((claps / (16 * step)) % 1.0) - 0.5) < 0.05)  # half time: the clap on 3
        else:
            assert 84 <= arr.tempo <= 100 and arr.swing > 0
        vocal = [(i, p) for i, (p, _) in zip(midi.instruments, owners) if p is not None and p.role == "vocal"]
        if vocal:
            inst, part = vocal[0]
            pitches = np.array([n.pitch for n in inst.notes])
            assert part.pattern == "rap_flow" and not inst.pitch_bends  # no singer's vibrato
            assert len(pitches) >= len(_beats(arr, 8.0))  # syllables on 16ths (8ths at trap tempos)
            assert np.mean(np.abs(pitches - np.median(pitches)) <= 3) > 0.85  # near one pitch
    assert sum(any(p.role == "vocal" for p in a.parts) for a in arrs) >= 10


def test_vocals_follow_real_recordings():
    def share(genre):
        return np.mean([any(p.role == "vocal" for p in _arr(genre, s, vocals=True).parts) for s in range(20)])

    assert share("classical") == 0.0
    assert share("jazz") < 0.6
    assert all(share(g) >= 0.5 for g in ("blues", "country", "disco", "hiphop", "metal", "reggae"))


# --- the stage driver ------------------------------------------------------------------------------

def test_generate_clips_makes_the_ten_gtzan_genres(tmp_path):
    prompts = pd.DataFrame([{"id": f"{g}-0", "genre": g, "description": "", "prompt": f"A {g} track.", "seed": i}
                            for i, g in enumerate(GTZAN)])
    cfg = GenerationConfig(backend="symbolic", duration_s=2.0, options={"soundfonts": "timgm6mb"})
    manifest = generate_clips(prompts, tmp_path, cfg, progress=False)
    assert sorted(manifest["genre"]) == sorted(GTZAN)
    for row in manifest.itertuples():
        assert (tmp_path / row.file_name).is_file() and row.n_samples == 2 * cfg.sample_rate
        assert np.isfinite(row.lufs)


def test_metal_in_rock_plays_metal_where_the_description_says_so_and_only_when_asked():
    thrash = "Aggressive, thrashing guitars and machine-gun drums, high octane"
    ballad = "Epic, soaring guitar solo over a mid-tempo power ballad"
    # off (the default): Rock has no sub-styles, whatever the description says
    assert {_arr("Rock", s, thrash).variant for s in range(4)} == {""}
    on = [_arr("Rock", s, thrash, metal_in_rock=True) for s in range(4)]
    assert {a.variant for a in on} == {"metal"}
    metal_patterns = {p for part in style_for("Metal").parts for p in part.patterns}
    for arr in on:
        assert style_for("Metal").tempo_range[0] <= arr.tempo <= style_for("Metal").tempo_range[1]
        assert any(p.pattern in metal_patterns for p in arr.parts)
        assert style_for(arr.genre, arr.variant).production == "Metal"
    assert {_arr("Rock", s, ballad, metal_in_rock=True).variant for s in range(4)} == {"rock"}
    # a description that names neither is drawn: some of each
    assert {_arr("Rock", s, "", metal_in_rock=True).variant for s in range(24)} == {"rock", "metal"}


def test_metal_in_rock_takes_metals_production():
    arr = _arr("Rock", 3, "Dark, aggressive metal riffing with double kick drums", metal_in_rock=True)
    midi, owners = S.perform(arr, 4.0)
    plan = S.plan_production(arr, owners)
    rock = S.plan_production(_arr("Rock", 3, "Dark, aggressive metal riffing with double kick drums"),
                             S.perform(_arr("Rock", 3, "Dark, aggressive metal riffing with double kick drums"), 4.0)[1])
    drive = [fx["drive_db"] for st in plan["stems"] if st["family"] == "drive_guitar" for fx in st["chain"]
             if fx["fx"] == "Distortion"]
    assert drive and min(drive) >= GENRE_PRODUCTION["Metal"]["amp_drive"][0] - 1e-3  # Rock's starts lower
    assert plan != rock
    with pytest.raises(ValueError, match="metal_in_rock"):
        S.SymbolicGenerator(metal_in_rock="yes")
