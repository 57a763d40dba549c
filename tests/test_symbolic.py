"""Tests of the offline ``symbolic`` generator (arrangement -> MIDI -> SoundFont audio)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pretty_midi")
pytest.importorskip("tinysoundfont")

from helpers.generators import symbolic as S  # noqa: E402
from helpers.generation import GENERATORS, ClipRequest, load_generator  # noqa: E402
from helpers.generators.symbolic.soundfonts import kind_of  # noqa: E402

SR = 32000
GENRES = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")
FONTS = [f for f in S.find_soundfonts() if kind_of(f) == "gm"]  # General MIDI sets found here
KITS = [f for f in S.find_soundfonts() if kind_of(f) == "kit"]   # acoustic drum kits (AVL), when fetched
TIM = [f for f in FONTS if f.endswith("TimGM6mb.sf2")]


def _request(genre: str, description: str = "", seed: int = 0) -> ClipRequest:
    return ClipRequest(id=f"{genre}-{seed}", genre=genre, description=description,
                       prompt=f"A {genre} track. {description}".strip(), seed=seed)


@pytest.fixture(scope="module")
def gen() -> S.SymbolicGenerator:
    return S.SymbolicGenerator(duration_s=10.0)


@pytest.fixture(scope="module")
def short_gen() -> S.SymbolicGenerator:
    return S.SymbolicGenerator(duration_s=4.0)


# --- determinism -------------------------------------------------------------

def test_same_request_is_bit_identical(gen):
    req = _request("Funk", "Tight slap bass, clavinet and horn stabs.", seed=7)
    a = gen.generate_one(req)
    b = gen.generate_one(req)
    assert a.dtype == np.float32
    assert a.tobytes() == b.tobytes()


def test_output_does_not_depend_on_history_or_instance(gen):
    req = _request("Orchestral", "Epic strings and brass with timpani.", seed=3)
    first = gen.generate_one(req)
    gen.generate_one(_request("Electronica", "Pumping pads and arpeggios.", seed=11))  # other state in between
    again = gen.generate_one(req)
    fresh = S.SymbolicGenerator(duration_s=10.0).generate_one(req)
    assert first.tobytes() == again.tobytes() == fresh.tobytes()


@pytest.mark.parametrize("font", FONTS, ids=lambda p: p.rsplit("/", 1)[-1])
def test_each_soundfont_is_deterministic(font):
    g = S.SymbolicGenerator(duration_s=3.0, soundfonts=[font], soundfont_per="clip")
    req = _request("Pop", "Bright piano and acoustic guitar.", seed=5)
    assert g.generate_one(req).tobytes() == g.generate_one(req).tobytes()
    assert g.arrangement(req).soundfont == font


def test_different_seeds_differ(short_gen):
    a = short_gen.generate_one(_request("Rock", seed=1))
    b = short_gen.generate_one(_request("Rock", seed=2))
    assert a.shape == b.shape
    assert not np.array_equal(a, b)
    s1, s2 = short_gen.arrangement(_request("Rock", seed=1)), short_gen.arrangement(_request("Rock", seed=2))
    assert s1.summary() != s2.summary()


def test_seeds_give_varied_arrangements():
    arrs = [S.arrange("Pop", "", seed) for seed in range(30)]
    assert len({a.key for a in arrs}) >= 5
    assert len({tuple(c.symbol for c in a.progression) for a in arrs}) >= 3
    assert len({a.drum_pattern for a in arrs}) >= 3
    assert len({tuple(p.program for p in a.parts) for a in arrs}) >= 5
    assert len({a.tempo for a in arrs}) >= 10


# --- the audio ------------------------------------------------------------------

@pytest.mark.parametrize("genre", GENRES)
def test_clip_shape_rate_and_content(gen, genre):
    audio = gen.generate_one(_request(genre, seed=2))
    assert gen.sample_rate == SR
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == int(round(10.0 * SR))
    assert np.all(np.isfinite(audio))
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    assert rms > 1e-3
    # audible from the first 100 ms to the end: every 0.5 s window carries sound
    head = audio[: SR // 10]
    assert float(np.sqrt(np.mean(head.astype(np.float64) ** 2))) > 1e-3
    windows = audio[: len(audio) // (SR // 2) * (SR // 2)].reshape(-1, SR // 2)
    win_rms = np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1))
    assert win_rms.min() > 0.05 * rms
    # no master chain by default: a natural crest factor, as the real recordings have (12-18 dB), no runaway peaks
    assert float(np.abs(audio).max()) <= rms * 10 ** (24 / 20)


@pytest.mark.parametrize("genre", ["Funk", "Rock"])
def test_the_master_chain_limits_the_crest_factor(genre):
    audio = S.SymbolicGenerator(duration_s=10.0, master=True).generate_one(_request(genre, seed=2))
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    # mastered-like crest factor: the limiter keeps peaks near the genre's 9-14 dB above the RMS
    assert float(np.abs(audio).max()) <= rms * 10 ** (16 / 20)


@pytest.mark.parametrize("font", FONTS, ids=lambda p: p.rsplit("/", 1)[-1])
@pytest.mark.parametrize("genre", GENRES)
def test_every_soundfont_sounds_for_every_genre(font, genre):
    g = S.SymbolicGenerator(duration_s=2.0, soundfonts=[font], soundfont_per="clip")
    audio = g.generate_one(_request(genre, seed=4))
    assert np.all(np.isfinite(audio)) and float(np.abs(audio).max()) > 1e-2


def test_effects_keep_length_and_are_finite():
    arr = S.arrange("Electronica", "Dreamy lo-fi track, reverb-drenched pads.", 9, soundfonts=TIM)
    assert arr.lofi and arr.reverb >= 0.45
    out = S.synthesize(arr, 3.0, SR)
    assert out.dtype == np.float32 and len(out) == 3 * SR and np.all(np.isfinite(out))


# --- genre styles ---------------------------------------------------------------

@pytest.mark.parametrize("genre", GENRES)
def test_tempo_within_genre_range(genre):
    lo, hi = S.GENRE_STYLES[genre].tempo_range
    tempos = [S.arrange(genre, "", seed).tempo for seed in range(25)]
    assert all(lo <= t <= hi for t in tempos)


def test_genre_tempo_ranges_are_ordered():
    mean = {g: np.mean([S.arrange(g, "", s).tempo for s in range(25)]) for g in GENRES}
    assert mean["Orchestral"] < mean["Funk"] < mean["Rock"]
    assert mean["Orchestral"] < mean["Pop"] < mean["Electronica"]


def test_orchestral_has_no_drum_track():
    for seed in range(10):
        arr = S.arrange("Orchestral", "A sweeping theme for strings and woodwinds.", seed)
        assert arr.drum_kit is None
        midi = S.to_midi(arr, 10.0)
        assert not any(inst.is_drum for inst in midi.instruments)
        programs = {p.program for p in arr.parts}
        assert programs & {40, 41, 42, 43, 44, 45, 48, 49}  # strings


def test_rock_uses_distorted_guitars_and_a_rock_kit():
    for seed in range(15):
        arr = S.arrange("Rock", "", seed)
        assert {p.program for p in arr.parts} & {29, 30}
        assert arr.drum_kit in (0, 8, 16)
        guitar = next(p for p in arr.parts if p.program in (29, 30))
        assert guitar.voicing == "power" or guitar.pattern.startswith("power") or guitar.role != "chords"


def test_genre_signatures():
    for seed in range(10):
        elec = S.arrange("Electronica", "", seed)
        assert elec.drum_kit in (24, 25)
        assert any(p.role == "bass" and p.program in (38, 39, 87) for p in elec.parts)
        funk = S.arrange("Funk", "", seed)
        assert any(p.role == "bass" and p.program in (33, 36, 37) for p in funk.parts)
        assert any(p.program in (7, 27, 28) for p in funk.parts)
        pop = S.arrange("Pop", "", seed)
        assert any(p.program in (0, 1, 4) for p in pop.parts)
        assert pop.drum_pattern in S.GENRE_STYLES["Pop"].drum_patterns
    # pumping only where there is a kick to duck under
    assert any(S.arrange("Electronica", "", s).pumping > 0 for s in range(10))
    assert all(S.arrange("Rock", "", s).pumping == 0 for s in range(10))


def test_funk_drums_have_ghost_notes():
    arr = S.arrange("Funk", "", 1)
    midi = S.to_midi(arr, 10.0)
    drums = next(i for i in midi.instruments if i.is_drum)
    snares = [n.velocity for n in drums.notes if n.pitch in (S.SNARE, S.E_SNARE)]
    assert min(snares) < 60 < max(snares)


def test_summary_is_json_ready():
    for genre in GENRES:
        summary = S.arrange(genre, "Happy piano, 120 BPM.", 0).summary()
        text = json.dumps(summary)
        assert genre in text and summary["tempo_bpm"] == 120.0
        assert summary["parts"] and all("instrument" in p for p in summary["parts"])


# --- description keywords -------------------------------------------------------

@pytest.mark.parametrize("genre", GENRES)
def test_cello_forces_a_cello_part(genre):
    for seed in range(3):
        arr = S.arrange(genre, "A moody piece with a cello.", seed)
        assert 42 in {p.program for p in arr.parts}
        midi = S.to_midi(arr, 10.0)
        assert any(i.program == 42 and i.notes and not i.is_drum for i in midi.instruments)


@pytest.mark.parametrize("genre", GENRES)
def test_slow_is_slower_than_fast(genre):
    for seed in range(5):
        slow = S.arrange(genre, "A slow track.", seed).tempo
        fast = S.arrange(genre, "A fast track.", seed).tempo
        assert slow < fast


def test_explicit_bpm_and_mode_words():
    assert S.arrange("Pop", "Something at 87 BPM.", 1).tempo == 87.0
    assert all(S.arrange("Pop", "A sad, melancholic song.", s).mode in S.MINOR_MODES for s in range(8))
    assert all(S.arrange("Electronica", "Happy uplifting anthem.", s).mode not in S.MINOR_MODES for s in range(8))
    assert all(S.arrange("Funk", "Dark and tense.", s).mode == "dorian" for s in range(5))


def test_named_instruments_are_forced():
    cases = {
        ("Pop", "with a flute"): 73,
        ("Rock", "with a hammond organ"): None,  # any organ 16-18
        ("Funk", "clavinet and slap bass"): 7,
        ("Orchestral", "harp and timpani"): 46,
        ("Electronica", "saw lead and an arpeggiator"): 81,
        ("Pop", "glockenspiel"): 9,
        ("Rock", "with a trumpet"): 56,
        ("Funk", "alto saxophone"): 65,
    }
    for (genre, text), program in cases.items():
        for seed in range(3):
            progs = {p.program for p in S.arrange(genre, text, seed).parts}
            if program is None:
                assert progs & {16, 17, 18}, (genre, text)
            else:
                assert program in progs, (genre, text, progs)
    arr = S.arrange("Funk", "clavinet and slap bass", 0)
    assert next(p for p in arr.parts if p.role == "bass").program in (36, 37)
    assert sum(p.role == "bass" for p in arr.parts) == 1


def test_drum_keywords():
    assert all(S.arrange("Pop", "With an 808 and claps.", s).drum_kit == 25 for s in range(5))
    assert "claps" in S.arrange("Pop", "With an 808 and claps.", 0).percussion
    assert all(S.arrange("Rock", "no drums, just guitars", s).drum_kit is None for s in range(5))
    arr = S.arrange("Rock", "no drums, just guitars", 0)
    assert not any(i.is_drum for i in S.to_midi(arr, 4.0).instruments)
    assert all(S.arrange("Electronica", "breakbeat", s).drum_pattern == "breakbeat" for s in range(5))
    assert S.arrange("Funk", "over a drum machine", 2).drum_kit in (24, 25)
    assert S.arrange("Orchestral", "with percussion", 0).drum_kit == 48


def test_negated_instrument_is_left_out():
    for seed in range(10):
        progs = {p.program for p in S.arrange("Pop", "A pop song without piano.", seed).parts}
        assert not progs & {0, 1}


def test_mood_changes_dynamics_and_density():
    calm = [S.arrange("Pop", "Calm, dreamy and gentle.", s) for s in range(10)]
    epic = [S.arrange("Pop", "Epic and powerful.", s) for s in range(10)]
    assert np.mean([a.energy for a in calm]) < np.mean([a.energy for a in epic])
    assert np.mean([len(a.parts) for a in calm]) < np.mean([len(a.parts) for a in epic])


def test_parse_description_longest_match_first():
    hints = S.parse_description("Electric piano, synth bass, double bass and a bass drum.")
    kws = [h.keyword for h in hints.instruments]
    assert "electric piano" in kws and "piano" not in kws
    assert "synth bass" in kws and "double bass" in kws and "bass" not in kws


def test_parse_roman():
    c = S.parse_roman("bVII5")
    assert (c.root, c.quality) == (10, "5")
    assert S.parse_roman("ii7").quality == "m7"
    inv = S.parse_roman("V7/1")
    assert inv.inversion == 1 and inv.name(0) == "G7/B"
    with pytest.raises(ValueError):
        S.parse_roman("Q7")


# --- errors and the Generator interface -------------------------------------------

def test_unknown_genre_is_a_value_error():
    with pytest.raises(ValueError, match=r"Polka.*Electronica.*Rock"):
        S.arrange("Polka", "", 0)
    with pytest.raises(ValueError, match="Polka"):
        S.SymbolicGenerator(duration_s=1.0).generate_batch([_request("Polka")])


def test_bad_options_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        S.SymbolicGenerator(soundfonts=[str(tmp_path / "nope.sf2")])
    with pytest.raises(TypeError, match="soundfont"):
        S.SymbolicGenerator(soundfont="auto")  # a typo must not silently fall back to the default


def test_generator_interface_quick_render():
    assert GENERATORS.get("symbolic") is S.SymbolicGenerator
    g = load_generator("symbolic", duration_s=2.0)
    assert g.name == "symbolic" and g.sample_rate == SR and g.audio_channels == 1
    reqs = [_request("Pop", "Bright piano.", 1), _request("Rock", "Driving guitars.", 2)]
    out = g.generate_batch(reqs)
    assert len(out) == 2
    for audio in out:
        assert audio.dtype == np.float32 and audio.shape == (2 * SR,)
        assert np.all(np.isfinite(audio)) and float(np.abs(audio).max()) > 1e-2
    # a request's audio does not depend on the rest of the batch
    alone = g.generate_batch(reqs[1:])[0]
    assert alone.tobytes() == out[1].tobytes()
    info = g.describe()
    assert info["backend"] == "symbolic" and info["sample_rate"] == SR and info["soundfonts"]


def test_render_plays_a_plain_midi():
    import pretty_midi

    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes.append(pretty_midi.Note(velocity=100, pitch=60, start=0.0, end=0.5))
    midi.instruments.append(piano)
    audio = S.render(midi, FONTS[0], SR, duration_s=1.0)
    assert audio.shape == (SR,) and audio.dtype == np.float32
    assert float(np.abs(audio[: SR // 2]).max()) > 1e-2
