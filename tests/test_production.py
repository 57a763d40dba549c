"""The symbolic generator's production stage: SoundFont library, stems, effects chains, mastering,
vocal lines, double-tracked guitars, loudness targets."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from helpers.audio import integrated_loudness
from helpers.config import ConfigError, GenerationConfig, load_config
from helpers.generation import loudness_target
from helpers.generators import symbolic as S
from helpers.generators.symbolic import soundfonts as SF
from helpers.generators.symbolic.produce import _limit, _lofi, family

SR = 32000
TIM = [SF.timgm6mb()]


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


# --- SoundFont library ----------------------------------------------------------------------

def test_resolve_names_and_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHMIR_SOUNDFONTS", str(tmp_path))
    assert SF.resolve_soundfonts("timgm6mb") == tuple(TIM)
    kit = tmp_path / "Black_Pearl_4_LV2.sf2"
    kit.write_bytes(b"x")
    assert SF.kind_of(kit) == "kit" and SF.kind_of(TIM[0]) == "gm"
    with pytest.raises(ValueError, match="no General MIDI set"):
        SF.resolve_soundfonts([str(kit)])
    fset = SF.soundfont_set(SF.resolve_soundfonts(["timgm6mb", str(kit)]))
    assert fset.gm == tuple(TIM) and fset.kits == (str(kit.resolve()),)
    monkeypatch.setattr(SF, "_SYSTEM_DIRS", ())
    with pytest.raises(FileNotFoundError, match="soundfonts fetch"):
        SF.resolve_soundfonts(["Red_Zeppelin_4_LV2.sf2"])
    with pytest.raises(FileNotFoundError, match="nope.sf2"):
        SF.resolve_soundfonts([str(tmp_path / "nope.sf2")])


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb")
def test_fetch_extracts_from_a_deb_and_skips_what_cannot_be_had(tmp_path, monkeypatch):
    from helpers import realbench

    root = tmp_path / "pkg"
    member = root / "usr/share/sounds/sf2/FluidR3_GM.sf2"
    member.parent.mkdir(parents=True)
    member.write_bytes(b"RIFF-fake-soundfont")
    (root / "DEBIAN").mkdir()
    (root / "DEBIAN/control").write_text("Package: fluid-soundfont-gm\nVersion: 1\nArchitecture: all\n"
                                         "Maintainer: T <t@example.org>\nDescription: test\n")
    deb = tmp_path / "fluid.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(root), str(deb)], check=True,
                   capture_output=True)

    def fake_download(package, version, cache, apt=None):
        if package == "fluid-soundfont-gm":
            return Path(shutil.copy(deb, tmp_path / "copy.deb"))
        raise realbench.FetchError(f"E: Unable to locate package {package}")

    monkeypatch.setattr(realbench, "download_deb", fake_download)
    monkeypatch.setattr(SF, "_SYSTEM_DIRS", ())
    dest = tmp_path / "cache"
    status = SF.fetch_soundfonts(["fluid-soundfont-gm", "avldrums.lv2-soundfont"], dest, progress=False)
    assert status["fluid-soundfont-gm"] == "fetched"
    assert status["avldrums.lv2-soundfont"].startswith("skipped: E: Unable to locate")
    assert (dest / "FluidR3_GM.sf2").read_bytes() == b"RIFF-fake-soundfont"
    assert not (dest / ".extract").exists()  # nothing of the package is left but the SoundFont
    again = SF.fetch_soundfonts(["fluid-soundfont-gm"], dest, progress=False)
    assert again == {"fluid-soundfont-gm": "cached"}
    with pytest.raises(ValueError, match="unknown SoundFont package"):
        SF.fetch_soundfonts(["no-such-package"], dest, progress=False)


# --- arrangement ingredients ----------------------------------------------------------------

def test_vocals_take_the_lead_in_pop_and_sing_with_vibrato():
    arrs = [S.arrange("Pop", "", seed, soundfonts=TIM, vocals=True) for seed in range(20)]
    with_vocal = [a for a in arrs if any(p.role == "vocal" for p in a.parts)]
    assert 10 <= len(with_vocal) <= 20  # the genre's probability is 0.8
    for a in with_vocal:
        assert not any(p.role == "lead" and not p.forced for p in a.parts)
    assert not any(p.role == "vocal" for a in (S.arrange("Pop", "", s, soundfonts=TIM) for s in range(20))
                   for p in a.parts)
    midi, owners = S.perform(with_vocal[0], 4.0)
    vocal = [inst for inst, (part, _) in zip(midi.instruments, owners) if part is not None and part.role == "vocal"]
    assert vocal and len(vocal[0].pitch_bends) > 20
    bends = np.array([b.pitch for b in vocal[0].pitch_bends])
    assert bends.min() < -100 and bends.max() > 100 and np.abs(bends).max() <= 8191


def test_orchestral_never_gets_a_pop_vocal():
    assert not any(p.role == "vocal" for s in range(20)
                   for p in S.arrange("Orchestral", "", s, soundfonts=TIM, vocals=True).parts)


def test_rock_rhythm_guitar_is_double_tracked():
    arr = next(a for a in (S.arrange("Rock", "", s, soundfonts=TIM, double_guitars=True) for s in range(10))
               if any(p.double for p in a.parts))
    midi, owners = S.perform(arr, 4.0)
    takes = [(inst, take) for inst, (part, take) in zip(midi.instruments, owners) if part is not None and part.double]
    assert [t for _, t in takes] == [0, 1]
    first, second = takes[0][0], takes[1][0]
    assert len(first.notes) == len(second.notes)
    lags = [b.start - a.start for a, b in zip(first.notes, second.notes) if a.start > 0]
    assert 0.0 < float(np.median(lags)) < 0.04
    assert second.pitch_bends and second.pitch_bends[0].pitch != 0  # detuned take


def test_soundfonts_per_part_and_acoustic_kits(tmp_path):
    fonts = S.find_soundfonts()
    gm = [f for f in fonts if SF.kind_of(f) == "gm"]
    kits = [f for f in fonts if SF.kind_of(f) == "kit"]
    if len(gm) < 2:
        pytest.skip("needs two General MIDI SoundFonts (run: python -m helpers.generators.symbolic.soundfonts fetch)")
    arrs = [S.arrange("Rock", "", s, soundfonts=fonts, soundfont_per="part") for s in range(12)]
    assert any(len({p.soundfont for p in a.parts}) > 1 for a in arrs)
    per_clip = [S.arrange("Rock", "", s, soundfonts=fonts, soundfont_per="clip") for s in range(12)]
    assert all({p.soundfont for p in a.parts} == {a.soundfont} for a in per_clip)
    if kits:
        assert any(a.drum_soundfont in kits for a in arrs)
        assert not any(a.drum_soundfont in kits for a in
                       (S.arrange("Electronica", "", s, soundfonts=fonts, soundfont_per="part") for s in range(12)))
    # the rest of the arrangement does not depend on which SoundFonts exist
    a, b = S.arrange("Funk", "", 3, soundfonts=TIM, soundfont_per="part"), S.arrange("Funk", "", 3, soundfonts=fonts)
    assert [p.program for p in a.parts] == [p.program for p in b.parts] and a.tempo == b.tempo


# --- the production plan and its audio ---------------------------------------------------------

def test_family_of_parts():
    from helpers.generators.symbolic.arrange import Part

    def part(role, program):
        return Part("x", role, program, "block_half", 0.7, 60)

    assert family(None) == "drums"
    assert family(part("chords", 30)) == "drive_guitar"
    assert family(part("chords", 27)) == "guitar"
    assert family(part("bass", 33)) == "bass" and family(part("bass", 38)) == "synth_bass"
    assert family(part("vocal", 54)) == "voice" and family(part("pad", 89)) == "synth"
    assert family(part("pad", 48)) == "strings" and family(part("lead", 73)) == "winds"


def test_plan_is_seeded_plain_data_and_respects_switches():
    arr = S.arrange("Rock", "", 5, soundfonts=TIM, vocals=True, double_guitars=True)
    owners = S.perform(arr, 4.0)[1]
    plan = S.plan_production(arr, owners)
    assert plan == S.plan_production(arr, owners)
    json.dumps(plan)
    assert len(plan["stems"]) == len(owners) and plan["reverb"] and plan["master"]
    drive = [s for s in plan["stems"] if s["family"] == "drive_guitar"]
    assert drive and any(fx["fx"] == "Distortion" for fx in drive[0]["chain"])
    bare = S.plan_production(arr, owners, stem_fx=False, master=False)
    assert all(not s["chain"] and s["send"] == 0 for s in bare["stems"]) and bare["reverb"] is None
    assert bare["master"] is None


def test_produce_keeps_length_balance_and_tames_peaks():
    arr = S.arrange("Funk", "", 2, soundfonts=TIM)
    midi, owners = S.perform(arr, 4.0)
    stems = S.render_stems(midi, [arr.soundfont] * len(owners), SR, duration_s=4.0)
    assert len(stems) == len(owners) and all(len(s) == 4 * SR for s in stems)
    plan = S.plan_production(arr, owners, master=False)
    out = S.produce(stems, plan, SR)
    assert out.dtype == np.float32 and len(out) == 4 * SR and np.all(np.isfinite(out))
    mastered = dict(plan, master=S.plan_production(arr, owners)["master"])
    soft, hard = (S.produce(stems, {**mastered, "master": {**mastered["master"], "crest_db": c}}, SR)
                  for c in (16.0, 8.0))
    crest = [20 * np.log10(np.abs(x).max() / _rms(x)) for x in (soft, hard)]
    assert crest[1] <= 8.5 and crest[1] < crest[0] - 3.0  # the limiter sets the drawn crest factor
    with pytest.raises(ValueError, match="stems"):
        S.produce(stems[:-1], plan, SR)



def test_tone_spread_is_its_own_draw_and_tilts_the_spectrum():
    arr = S.arrange("Electronica", "", 9, soundfonts=TIM)
    midi, owners = S.perform(arr, 3.0)
    plain = S.plan_production(arr, owners, master=False)
    tilted = S.plan_production(arr, owners, master=False, tone_spread=True)
    assert "tone" not in plain  # off: the same plain data as before the option existed
    assert {k: v for k, v in tilted.items() if k != "tone"} == plain  # its own random stream
    tone = tilted["tone"]
    assert 3000 <= tone["high_shelf"]["cutoff_frequency_hz"] <= 6000 and -9 <= tone["high_shelf"]["gain_db"] <= 3
    assert 80 <= tone["low_shelf"]["cutoff_frequency_hz"] <= 150 and -3 <= tone["low_shelf"]["gain_db"] <= 3
    gains = [S.plan_production(S.arrange("Rock", "", s, soundfonts=TIM), owners, tone_spread=True)["tone"]
             ["high_shelf"]["gain_db"] for s in range(40)]
    assert min(gains) < -5 and max(gains) > 0  # drawn per clip across the range
    stems = S.render_stems(midi, [arr.soundfont] * len(owners), SR, duration_s=3.0)
    dark = {**tilted, "tone": {**tone, "high_shelf": {**tone["high_shelf"], "gain_db": -9.0}}}
    a, b = S.produce(stems, plain, SR), S.produce(stems, dark, SR)
    from helpers.audio import dynamics_and_tone

    assert dynamics_and_tone(b, SR)["hf_share_db"] < dynamics_and_tone(a, SR)["hf_share_db"] - 4
    with pytest.raises(ValueError, match="tone_spread"):
        S.SymbolicGenerator(tone_spread=1)

def test_limiter_and_lofi_pin_their_behaviour():
    rng = np.random.default_rng(0)
    x = (0.05 * rng.standard_normal(SR * 2)).astype(np.float32)
    x[SR // 2] = 0.9  # a spike 25 dB over the RMS
    y = _limit(x, SR, crest_db=14.0)
    assert 20 * np.log10(np.abs(y).max() / _rms(y)) <= 14.5
    quiet = (0.01 * rng.standard_normal(SR)).astype(np.float32)
    assert np.array_equal(_limit(quiet, SR), quiet)  # nothing over the threshold: untouched
    t = np.arange(SR) / SR
    tone = (0.3 * np.sin(2 * np.pi * 8000 * t) + 0.3 * np.sin(2 * np.pi * 500 * t)).astype(np.float32)
    lo = _lofi(tone, SR)
    spec_in, spec_out = np.abs(np.fft.rfft(tone)), np.abs(np.fft.rfft(lo))
    assert spec_out[8000] < 0.1 * spec_in[8000] and spec_out[500] > 0.5 * spec_in[500]


# --- loudness ----------------------------------------------------------------------------------------

def test_integrated_loudness_matches_bs1770_reference_levels():
    sr = 48000
    t = np.arange(5 * sr) / sr
    tone = np.sin(2 * np.pi * 997 * t)
    assert integrated_loudness(tone, sr) == pytest.approx(-3.01, abs=0.1)  # BS.1770: full-scale 997 Hz sine
    assert integrated_loudness(0.1 * tone, sr) == pytest.approx(-23.01, abs=0.1)
    assert integrated_loudness(np.zeros(sr), sr) == float("-inf")
    assert integrated_loudness(tone[:1000], sr) == pytest.approx(-3.0, abs=0.3)  # shorter than a block



def _loudness_cases(rng):
    """Signals that exercise both gates: noise at random levels, a near-silent third, a silent half."""
    for sr in (16000, 32000, 44100, 48000):
        for trial in range(12):
            n = int(rng.integers(int(0.41 * sr), 11 * sr))
            x = rng.standard_normal(n) * 10 ** rng.uniform(-4, 0)
            if trial % 3 == 0:
                x[: n // 3] *= 1e-4
            if trial % 4 == 0:
                x[n // 2:] = 0
            yield sr, np.clip(x, -1, 1)


def test_integrated_loudness_agrees_with_pyloudnorm():
    """The generator's meter is pyloudnorm's: the gating to the last bit, the filters within 1e-9 LU."""
    import pyloudnorm

    from helpers.audio import _gated_loudness, _meter

    for sr, x in _loudness_cases(np.random.default_rng(3)):
        meter = pyloudnorm.Meter(sr)
        ref = float(meter.integrated_loudness(x))
        k_weighted = x
        for stage in meter._filters.values():
            k_weighted = stage.apply_filter(k_weighted)
        assert _gated_loudness(k_weighted, _meter(sr)[0]) == ref  # same arithmetic, same bits
        assert integrated_loudness(x, sr) == pytest.approx(ref, abs=1e-9)

def test_loudness_target_fixed_or_drawn_per_clip():
    fixed = GenerationConfig(loudness_lufs=-18.0)
    assert loudness_target(fixed, 1) == loudness_target(fixed, 2) == -18.0
    spread = GenerationConfig(loudness_lufs=[-24.0, -9.0])
    levels = [loudness_target(spread, s) for s in range(200)]
    assert all(-24.0 <= v <= -9.0 for v in levels) and np.std(levels) > 3.0
    assert levels == [loudness_target(spread, s) for s in range(200)]
    with pytest.raises(ConfigError, match="loudness_lufs"):
        load_config("smoke", {"generation.loudness_lufs": [-9.0, -24.0]})


def test_generator_options_are_checked():
    with pytest.raises(TypeError, match="unknown option"):
        S.SymbolicGenerator(stems=True)
    with pytest.raises(ValueError, match="soundfont_per"):
        S.SymbolicGenerator(soundfont_per="song")
    with pytest.raises(ValueError, match="vocals"):
        S.SymbolicGenerator(vocals="yes")


def test_calibrated_stem_levels_do_not_depend_on_the_soundfont():
    from helpers.audio import integrated_loudness

    arr = S.arrange("Rock", "", 4, soundfonts=TIM, double_guitars=True)
    midi, owners = S.perform(arr, 4.0)
    stems = S.render_stems(midi, [arr.soundfont] * len(owners), SR, duration_s=4.0)
    plan = S.plan_production(arr, owners, master=False)
    plan = dict(plan, reverb=None, stems=[dict(s, chain=[], send=0.0, gain_db=0.0) for s in plan["stems"]])
    quiet = [s * np.float32(0.05) for s in stems]  # the same parts from a SoundFont 26 dB quieter
    loud = S.produce(stems, plan, SR)
    assert integrated_loudness(S.produce(quiet, plan, SR), SR) == pytest.approx(integrated_loudness(loud, SR), abs=0.1)
    as_played = dict(plan, stems=[dict(s, loudness=None) for s in plan["stems"]])
    assert integrated_loudness(S.produce(quiet, as_played, SR), SR) < integrated_loudness(loud, SR) - 20
    with pytest.raises(ValueError, match="stem_levels"):
        S.plan_production(arr, owners, stem_levels="loud")


def test_dynamics_and_tone_of_a_sine_a_limited_noise_and_silence():
    from helpers.audio import dynamics_and_tone

    sr = 32000
    t = np.arange(sr * 4) / sr
    sine = dynamics_and_tone(0.5 * np.sin(2 * np.pi * 440 * t), sr)
    assert sine["crest_db"] == pytest.approx(3.01, abs=0.05)  # peak over RMS of a sine
    assert sine["short_term_range_db"] < 0.1 and sine["hf_share_db"] < -40  # steady, nothing above 4 kHz
    bursts = np.sin(2 * np.pi * 6000 * t) * np.where((t % 1.0) < 0.5, 1.0, 0.1)  # 20 dB steps, bright
    b = dynamics_and_tone(bursts, sr)
    assert 15 < b["short_term_range_db"] < 21 and b["hf_share_db"] > -1
    assert np.isnan(dynamics_and_tone(np.zeros(sr), sr)["crest_db"])
