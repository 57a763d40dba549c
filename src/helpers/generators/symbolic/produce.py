"""Production: stems -> effects by instrument family -> mix with reverb send -> master bus.

A real record is not a General MIDI file played dry: each part is processed
(amp and cabinet on guitars, compression and saturation on drums and bass,
modulation and filters on synths, formant-like EQ on voices), sent to a
shared room or hall, and the mix is glued by a bus compressor and pushed into
a limiter. :func:`plan_production` draws every setting of that chain from the
clip's seed, within ranges that real productions of the genre use (domain
randomisation); :func:`produce` applies it with `pedalboard`_. The plan is
plain data (JSON-ready), so a notebook can show what a clip went through.

Without stems (``stem_fx=False``) :func:`apply_effects` keeps the old simple
chain on the full mix: the description's reverb and lo-fi, then a peak
limiter; it is the ablation's "dry" baseline.

.. _pedalboard: https://github.com/spotify/pedalboard
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ...audio import integrated_loudness
from .arrange import _STREAM_EFFECTS, Arrangement, Part, _rng
from .styles import style_for

# --- instrument families ------------------------------------------------------------------------


def family(part: Part | None) -> str:
    """The production family of a part (``None`` is the drum kit)."""
    if part is None:
        return "drums"
    p = part.program
    if part.role == "vocal" or p in (52, 53, 54, 85, 91):
        return "voice"
    if part.role == "bass" or 32 <= p <= 39 or p in (43, 58, 87):
        return "synth_bass" if p in (38, 39, 87) else "bass"
    if p in (29, 30, 31):
        return "drive_guitar"
    if 24 <= p <= 28 or p in (104, 105, 106, 107):
        return "guitar"
    if 0 <= p <= 7 or 16 <= p <= 21:
        return "keys"
    if 80 <= p <= 103 or p in (50, 51, 62, 63):
        return "synth"
    if 40 <= p <= 49 or p in (55, 110):  # 110: fiddle
        return "strings"
    if 56 <= p <= 79 or p in (22, 109, 111):  # 22: harmonica (a free reed), bagpipe, shanai
        return "winds"
    return "other"  # mallets, bells, timpani, ethnic


#: per genre: reverb (room_size range, damping range, send per family), bus compressor ratio range,
#: crest factor asked of the limiter in dB (peak over RMS; pedalboard's limiter lands about 2 dB below it, so
#: loud modern masters come out at 7-11 dB, orchestral and jazz recordings at 13-20 dB), guitar amp drive range,
#: probability of drum-bus saturation, tone tilt (dB range of the high shelf). Optional: chance of
#: drive on the bass (``bass_drive``) and of crunch on clean guitars (``guitar_crunch``), compressors
#: on keys/strings/winds stems (``stem_compression``, default true) and on the bass (``bass_compression``,
#: default true), chance that a keys, strings or
#: synth stem sounds sampled (band-limited, bit-reduced: ``sample_lofi``), dub delay per family
#: (``dub_delay``: chance of a tempo-synced echo).
GENRE_PRODUCTION: dict[str, dict[str, Any]] = {
    "Electronica": {"room": (0.55, 0.85), "damping": (0.3, 0.6), "sends": {"synth": 0.25, "voice": 0.35,
                    "keys": 0.2, "strings": 0.3}, "send_default": 0.1, "bus_ratio": (2.0, 4.0),
                    "crest_db": (9.5, 13.0), "amp_drive": (6.0, 14.0), "drum_saturation": 0.7,
                    "tilt": (0.0, 3.0), "bass_drive": 0.6},
    "Funk": {"room": (0.2, 0.45), "damping": (0.4, 0.7), "sends": {"voice": 0.2, "winds": 0.15, "keys": 0.1},
             "send_default": 0.06, "bus_ratio": (2.0, 3.5), "crest_db": (11.0, 15.0), "amp_drive": (2.0, 8.0),
             "drum_saturation": 0.6, "tilt": (-1.0, 2.0), "bass_drive": 0.6, "guitar_crunch": 0.5},
    "Orchestral": {"room": (0.75, 0.95), "damping": (0.2, 0.5), "sends": {}, "send_default": 0.2,
                   "bus_ratio": (1.2, 2.0), "crest_db": (14.0, 20.0), "amp_drive": (0.0, 4.0),
                   "drum_saturation": 0.0, "tilt": (-1.5, 1.0), "stem_compression": False},
    "Pop": {"room": (0.4, 0.7), "damping": (0.3, 0.6), "sends": {"voice": 0.3, "keys": 0.15, "synth": 0.2,
            "strings": 0.25, "guitar": 0.15}, "send_default": 0.1, "bus_ratio": (2.0, 4.0),
            "crest_db": (10.0, 13.5), "amp_drive": (3.0, 10.0), "drum_saturation": 0.4, "tilt": (0.5, 3.0),
            "guitar_crunch": 0.5},
    "Rock": {"room": (0.3, 0.6), "damping": (0.3, 0.6), "sends": {"voice": 0.25, "drums": 0.12, "keys": 0.1},
             "send_default": 0.08, "bus_ratio": (2.0, 4.0), "crest_db": (10.0, 14.0),
             "amp_drive": (14.0, 28.0), "drum_saturation": 0.6, "tilt": (-0.5, 2.5), "bass_drive": 0.6,
             "guitar_crunch": 0.5},
    # a warm room, crunchy amps, a light touch on the master
    "Blues": {"room": (0.3, 0.55), "damping": (0.4, 0.7), "sends": {"voice": 0.25, "winds": 0.2, "guitar": 0.2,
              "drive_guitar": 0.15, "keys": 0.15, "drums": 0.1}, "send_default": 0.08, "bus_ratio": (1.8, 3.0),
              "crest_db": (11.5, 15.0), "amp_drive": (6.0, 16.0), "drum_saturation": 0.3, "tilt": (-2.0, 0.5),
              "guitar_crunch": 0.6},
    # a hall, nothing squashed: no stem compressors, a bus at 1-1.3:1, almost no limiting (large crest factor)
    "Classical": {"room": (0.6, 0.9), "damping": (0.2, 0.5), "sends": {}, "send_default": 0.3,
                  "bus_ratio": (1.0, 1.3), "crest_db": (17.0, 22.0), "amp_drive": (0.0, 2.0),
                  "drum_saturation": 0.0, "tilt": (-1.5, 1.0), "stem_compression": False,
                  "bass_compression": False},
    "Country": {"room": (0.3, 0.6), "damping": (0.3, 0.6), "sends": {"voice": 0.25, "guitar": 0.2, "strings": 0.2,
                "keys": 0.12}, "send_default": 0.08, "bus_ratio": (2.0, 3.5), "crest_db": (11.0, 14.5),
                "amp_drive": (3.0, 9.0), "drum_saturation": 0.2, "tilt": (0.5, 2.5), "guitar_crunch": 0.25},
    # bright and compressed, strings in a lush plate
    "Disco": {"room": (0.4, 0.7), "damping": (0.3, 0.5), "sends": {"strings": 0.3, "voice": 0.3, "winds": 0.15,
              "keys": 0.1, "guitar": 0.08}, "send_default": 0.08, "bus_ratio": (2.5, 4.5), "crest_db": (9.5, 12.5),
              "amp_drive": (2.0, 6.0), "drum_saturation": 0.4, "tilt": (1.0, 3.5)},
    # dry and loud, saturated drums and 808s; sample loops sound sampled
    "Hiphop": {"room": (0.15, 0.4), "damping": (0.4, 0.7), "sends": {"voice": 0.15, "keys": 0.15, "strings": 0.15,
               "synth": 0.2}, "send_default": 0.05, "bus_ratio": (3.0, 5.0), "crest_db": (9.5, 12.5),
               "amp_drive": (3.0, 10.0), "drum_saturation": 0.7, "tilt": (-1.0, 2.0), "bass_drive": 0.7,
               "sample_lofi": 0.45},
    # a small room, gentle bus, no limiting to speak of, no distortion anywhere; darker top
    "Jazz": {"room": (0.25, 0.5), "damping": (0.4, 0.7), "sends": {"drums": 0.15, "keys": 0.15, "winds": 0.2,
             "voice": 0.25, "guitar": 0.12}, "send_default": 0.1, "bus_ratio": (1.2, 1.8), "crest_db": (15.0, 20.0),
             "amp_drive": (0.0, 2.0), "drum_saturation": 0.0, "tilt": (-2.0, 0.5)},
    # high amp gain, tight room, bright and loud
    "Metal": {"room": (0.2, 0.45), "damping": (0.3, 0.6), "sends": {"voice": 0.2, "drums": 0.1, "synth": 0.2,
              "strings": 0.2}, "send_default": 0.06, "bus_ratio": (3.0, 5.0), "crest_db": (9.0, 11.5),
              "amp_drive": (24.0, 38.0), "drum_saturation": 0.5, "tilt": (0.5, 3.0), "bass_drive": 0.8},
    # warm, bass-heavy; dub echoes on the skank, the keys and the snare
    "Reggae": {"room": (0.3, 0.6), "damping": (0.4, 0.7), "sends": {"drums": 0.15, "guitar": 0.2, "keys": 0.15,
               "voice": 0.25, "winds": 0.2}, "send_default": 0.08, "bus_ratio": (2.0, 3.5), "crest_db": (11.0, 14.5),
               "amp_drive": (2.0, 6.0), "drum_saturation": 0.3, "tilt": (-1.5, 1.0),
               "dub_delay": {"guitar": 0.7, "keys": 0.35, "drums": 0.4, "winds": 0.4}},
}


def _u(rng: np.random.Generator, lo_hi: Sequence[float]) -> float:
    return float(rng.uniform(lo_hi[0], lo_hi[1]))


def _fx(name: str, **params: float) -> dict:
    return {"fx": name, **{k: (round(float(v), 4) if isinstance(v, (float, np.floating)) else v)
                           for k, v in params.items()}}


def _stem_chain(fam: str, part: Part | None, genre: str, arr: Arrangement, rng: np.random.Generator,
                prod: dict) -> list[dict]:
    """The effect chain of one stem, drawn from ``rng``."""
    chain: list[dict] = []
    if fam == "drums":
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (30, 45))))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (55, 85)), gain_db=_u(rng, (1.5, 4.5)), q=1.0))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (300, 500)), gain_db=-_u(rng, (1.0, 4.0)), q=1.2))
        chain.append(_fx("HighShelfFilter", cutoff_frequency_hz=_u(rng, (6000, 10000)), gain_db=_u(rng, (1.0, 4.0))))
        chain.append(_fx("Compressor", threshold_db=-_u(rng, (12, 24)), ratio=_u(rng, (3, 6)),
                         attack_ms=_u(rng, (3, 15)), release_ms=_u(rng, (60, 160))))
        if rng.random() < prod["drum_saturation"]:
            chain.append(_fx("Distortion", drive_db=_u(rng, (3, 10)), mix=_u(rng, (0.2, 0.5))))
    elif fam in ("bass", "synth_bass"):
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (30, 40))))
        if fam == "synth_bass":
            chain.append(_fx("LadderFilter", mode="LPF24", cutoff_hz=_u(rng, (400, 2500)),
                             resonance=_u(rng, (0.1, 0.5)), drive=_u(rng, (1.0, 3.0))))
        else:
            chain.append(_fx("LowpassFilter", cutoff_frequency_hz=_u(rng, (2500, 6000))))
        if prod.get("bass_compression", True):
            chain.append(_fx("Compressor", threshold_db=-_u(rng, (14, 24)), ratio=_u(rng, (3, 8)),
                             attack_ms=_u(rng, (5, 20)), release_ms=_u(rng, (80, 200))))
        if prod.get("bass_drive", 0.0) > 0 and rng.random() < prod["bass_drive"]:
            chain.append(_fx("Distortion", drive_db=_u(rng, (4, 12)), mix=_u(rng, (0.15, 0.4))))
    elif fam == "drive_guitar":  # amp, then cabinet: band-limited, mid-forward
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (80, 130))))
        chain.append(_fx("Distortion", drive_db=_u(rng, prod["amp_drive"]), mix=1.0))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (350, 550)), gain_db=-_u(rng, (2, 6)), q=1.0))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (1800, 3200)), gain_db=_u(rng, (2, 6)), q=1.2))
        chain.append(_fx("LowpassFilter", cutoff_frequency_hz=_u(rng, (4200, 6800))))
        chain.append(_fx("Compressor", threshold_db=-_u(rng, (10, 18)), ratio=_u(rng, (2, 4)),
                         attack_ms=_u(rng, (5, 20)), release_ms=_u(rng, (80, 200))))
    elif fam == "guitar":
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (90, 150))))
        chain.append(_fx("Compressor", threshold_db=-_u(rng, (12, 20)), ratio=_u(rng, (2, 4)),
                         attack_ms=_u(rng, (5, 15)), release_ms=_u(rng, (80, 160))))
        if prod.get("guitar_crunch", 0.0) > 0 and rng.random() < prod["guitar_crunch"]:
            chain.append(_fx("Distortion", drive_db=_u(rng, (2, 9)), mix=_u(rng, (0.2, 0.6))))
        if rng.random() < 0.5:
            chain.append(_fx("Phaser", rate_hz=_u(rng, (0.3, 2.0)), depth=_u(rng, (0.3, 0.7)),
                             centre_frequency_hz=_u(rng, (600, 1800)), mix=_u(rng, (0.2, 0.5))))
        else:
            chain.append(_fx("Chorus", rate_hz=_u(rng, (0.4, 1.5)), depth=_u(rng, (0.15, 0.4)),
                             mix=_u(rng, (0.2, 0.45))))
    elif fam == "synth":
        mode = "LPF24" if rng.random() < 0.6 else "LPF12"
        chain.append(_fx("LadderFilter", mode=mode, cutoff_hz=_u(rng, (1200, 8000)),
                         resonance=_u(rng, (0.05, 0.45)), drive=_u(rng, (1.0, 2.5))))
        if rng.random() < 0.6:
            chain.append(_fx("Chorus", rate_hz=_u(rng, (0.2, 1.2)), depth=_u(rng, (0.2, 0.5)), mix=_u(rng, (0.2, 0.5))))
        if rng.random() < 0.4:
            chain.append(_fx("Phaser", rate_hz=_u(rng, (0.1, 0.8)), depth=_u(rng, (0.3, 0.8)),
                             centre_frequency_hz=_u(rng, (500, 2500)), mix=_u(rng, (0.2, 0.5))))
        if part is not None and part.role in ("lead", "arp") and rng.random() < 0.6:
            beat = 60.0 / arr.tempo
            chain.append(_fx("Delay", delay_seconds=beat * float(rng.choice([0.5, 0.75, 1.0])),
                             feedback=_u(rng, (0.2, 0.45)), mix=_u(rng, (0.12, 0.3))))
    elif fam == "voice":  # formant-like resonances, presence, a slap or tempo delay
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (110, 180))))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (500, 900)), gain_db=_u(rng, (3, 7)), q=1.4))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (1500, 2800)), gain_db=_u(rng, (3, 8)), q=1.6))
        chain.append(_fx("HighShelfFilter", cutoff_frequency_hz=_u(rng, (4500, 8000)), gain_db=_u(rng, (1, 4))))
        chain.append(_fx("Compressor", threshold_db=-_u(rng, (14, 24)), ratio=_u(rng, (3, 6)),
                         attack_ms=_u(rng, (2, 10)), release_ms=_u(rng, (60, 150))))
        beat = 60.0 / arr.tempo
        chain.append(_fx("Delay", delay_seconds=float(rng.choice([0.09, 0.12, beat * 0.5, beat * 0.75])),
                         feedback=_u(rng, (0.1, 0.35)), mix=_u(rng, (0.1, 0.25))))
    else:  # keys, strings, winds, other: gentle EQ and compression
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (40, 120))))
        chain.append(_fx("PeakFilter", cutoff_frequency_hz=_u(rng, (250, 500)), gain_db=-_u(rng, (0.5, 3.0)), q=1.0))
        chain.append(_fx("HighShelfFilter", cutoff_frequency_hz=_u(rng, (5000, 9000)), gain_db=_u(rng, (-1.0, 3.0))))
        if prod.get("stem_compression", True):
            chain.append(_fx("Compressor", threshold_db=-_u(rng, (10, 20)), ratio=_u(rng, (1.5, 3.0)),
                             attack_ms=_u(rng, (10, 30)), release_ms=_u(rng, (100, 250))))
        if fam == "keys" and part is not None and part.program in (4, 5, 16, 17, 18) and rng.random() < 0.5:
            chain.append(_fx("Chorus", rate_hz=_u(rng, (0.3, 1.0)), depth=_u(rng, (0.1, 0.3)), mix=_u(rng, (0.2, 0.4))))
    if prod.get("sample_lofi", 0.0) > 0 and fam in ("keys", "strings", "synth") and rng.random() < prod["sample_lofi"]:
        # a sampled loop: band-limited like an old record, bit-reduced like an early sampler
        chain.append(_fx("HighpassFilter", cutoff_frequency_hz=_u(rng, (150, 350))))
        chain.append(_fx("LowpassFilter", cutoff_frequency_hz=_u(rng, (2500, 5000))))
        chain.append(_fx("Bitcrush", bit_depth=_u(rng, (8.0, 11.0)), mix=_u(rng, (0.4, 0.8))))
    dub = prod.get("dub_delay", {}).get(fam, 0.0)
    if dub > 0 and rng.random() < dub:
        beat = 60.0 / arr.tempo
        chain.append(_fx("Delay", delay_seconds=beat * float(rng.choice([0.75, 0.5, 1.0])),
                         feedback=_u(rng, (0.35, 0.55)), mix=_u(rng, (0.12, 0.3) if fam == "drums" else (0.2, 0.4))))
    return chain


#: loudness (LUFS, before the master) a stem is brought to with ``stem_levels="calibrated"``, by family;
#: the same program can differ by up to ~19 dB between SoundFonts, so the dry level says little
STEM_LOUDNESS: dict[str, float] = {"drums": -20.0, "bass": -22.0, "synth_bass": -22.0, "drive_guitar": -23.0,
                                   "guitar": -25.0, "keys": -25.0, "synth": -25.0, "voice": -21.5,
                                   "strings": -25.0, "winds": -24.0, "other": -27.0}
#: offsets by role (a pad sits under a lead)
ROLE_LOUDNESS: dict[str, float] = {"pad": -2.5, "counter": -2.0, "arp": -1.0, "bells": -3.0, "lead": 1.0,
                                   "stabs": -1.0}


def _stem_loudness(fam: str, part: Part | None, doubled: bool) -> float:
    level = STEM_LOUDNESS.get(fam, -25.0)
    if part is not None:
        level += ROLE_LOUDNESS.get(part.role, 0.0) + 20 * np.log10(max(part.level, 0.05) / 0.7)
        if doubled:
            level -= 3.0  # two takes add up
    return float(level)


def plan_production(arr: Arrangement, owners: Sequence[tuple[Part | None, int]], *, stem_fx: bool = True,
                    master: bool = True, stem_levels: str = "calibrated", tone_spread: bool = False) -> dict:
    """Draw the whole production of a clip from its seed.

    Args:
        owners: who plays each stem, as :func:`perform.perform` returns it.
        stem_fx: effect chains per stem and a reverb send (else the stems are only summed).
        master: bus compressor, tone tilt and limiter on the mix.
        stem_levels: ``"calibrated"``: each stem brought to its family's and role's loudness
            (:data:`STEM_LOUDNESS`), whatever its SoundFont; ``"font"``: each stem keeps its dry level,
            as the SoundFont plays it.
        tone_spread: a tone tilt drawn per clip, on its own (no compression, no limiter): a low shelf
            (80-150 Hz, -3 to +3 dB) and a high shelf (3-6 kHz, -9 to +3 dB), from a random stream of
            its own, so the rest of the plan is the same with it or without it. The spread is wide on
            purpose (domain randomisation): on average the real development tracks are 4 dB darker than
            the clips above 4 kHz, but real Orchestral is 7 dB brighter (docs/findings.md, the master chain).
    Returns:
        ``{"stems": [{"family", "gain_db", "send", "chain": [...]}, ...], "reverb": {...} or None,
        "master": {...} or None, "lofi": bool}``, plus ``"tone": {...}`` with ``tone_spread`` (plain data).
    """
    if stem_levels not in ("calibrated", "font"):
        raise ValueError(f"stem_levels must be 'calibrated' or 'font', got {stem_levels!r}")
    prod = GENRE_PRODUCTION.get(style_for(arr.genre, arr.variant).production or arr.genre, GENRE_PRODUCTION["Pop"])
    rng = _rng(arr.seed, _STREAM_EFFECTS + 10)
    doubled = {id(part) for part, take in owners if take == 1}
    stems = []
    for part, take in owners:
        fam = family(part)
        srng = _rng(arr.seed, _STREAM_EFFECTS + 20 + len(stems))
        chain = _stem_chain(fam, part, arr.genre, arr, srng, prod) if stem_fx else []
        send = prod["sends"].get(fam, prod["send_default"]) * float(srng.uniform(0.6, 1.4)) if stem_fx else 0.0
        stems.append({"family": fam, "take": int(take), "gain_db": round(float(srng.uniform(-2.0, 2.0)), 3)
                      if stem_fx else 0.0, "send": round(send, 4), "chain": chain,
                      "loudness": round(_stem_loudness(fam, part, id(part) in doubled), 3)
                      if stem_levels == "calibrated" else None})
    reverb = None
    if stem_fx:
        calm = 1.15 if arr.calm else 1.0
        reverb = _fx("Reverb", room_size=min(0.98, _u(rng, prod["room"]) * calm), damping=_u(rng, prod["damping"]),
                     wet_level=1.0, dry_level=0.0, width=1.0)
        # the return follows the description's reverb amount (0.15: the genre's usual) around a drawn level
        reverb["return_db"] = round(float(rng.uniform(-3.0, 1.0)) + 10 * np.log10(max(arr.reverb, 0.02) / 0.15), 3)
    master_plan = None
    if master:
        lo, hi = prod["tilt"]
        master_plan = {
            "bus": _fx("Compressor", threshold_db=-_u(rng, (8, 16)), ratio=_u(rng, prod["bus_ratio"]),
                       attack_ms=_u(rng, (10, 30)), release_ms=_u(rng, (100, 300))),
            "low_shelf": _fx("LowShelfFilter", cutoff_frequency_hz=_u(rng, (80, 150)), gain_db=_u(rng, (-1.0, 2.5))),
            "high_shelf": _fx("HighShelfFilter", cutoff_frequency_hz=_u(rng, (7000, 11000)), gain_db=_u(rng, (lo, hi))),
            "crest_db": round(_u(rng, prod["crest_db"]), 3),
            "limiter_release_ms": round(_u(rng, (40, 200)), 3),
        }
    plan = {"stems": stems, "reverb": reverb, "master": master_plan, "lofi": bool(arr.lofi)}
    if tone_spread:  # only when asked: a plan without it is the same plain data as before the option existed
        trng = _rng(arr.seed, _STREAM_EFFECTS + 11)
        plan["tone"] = {
            "low_shelf": _fx("LowShelfFilter", cutoff_frequency_hz=_u(trng, (80, 150)), gain_db=_u(trng, (-3.0, 3.0))),
            "high_shelf": _fx("HighShelfFilter", cutoff_frequency_hz=_u(trng, (3000, 6000)),
                              gain_db=_u(trng, (-9.0, 3.0))),
        }
    return plan


# --- applying a plan ---------------------------------------------------------------------------------

_NATIVE_MIX = frozenset({"Chorus", "Phaser", "Delay"})  # effects with their own wet/dry mix


def _plugin(spec: dict):
    import pedalboard

    drop = ("fx", "return_db") if spec["fx"] in _NATIVE_MIX else ("fx", "mix", "return_db")
    params = {k: v for k, v in spec.items() if k not in drop}
    if spec["fx"] == "LadderFilter":
        params["mode"] = getattr(pedalboard.LadderFilter.Mode, params["mode"])
    return getattr(pedalboard, spec["fx"])(**params)


def _run_chain(audio: np.ndarray, chain: Sequence[dict], sr: int) -> np.ndarray:
    """Apply a chain; an effect with ``mix`` is blended parallel-style (dry + wet)."""
    x = audio.astype(np.float32)
    for spec in chain:
        y = _plugin(spec)(x[None, :], sr, reset=True)[0]
        mix = spec.get("mix")
        x = (y if mix is None or spec["fx"] in _NATIVE_MIX else
             (1.0 - float(mix)) * x + float(mix) * y).astype(np.float32)
    return x


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def produce(stems: Sequence[np.ndarray], plan: dict, sr: int) -> np.ndarray:
    """Mix ``stems`` (mono float32, equal length) through ``plan`` (from :func:`plan_production`).

    Each processed stem is brought to its planned loudness (or, without one,
    back to its dry RMS), times its drawn gain; the reverb return, bus
    compressor, tone shelves and limiter follow. Returns mono float32 of the
    stems' length.
    """
    if len(stems) != len(plan["stems"]):
        raise ValueError(f"plan has {len(plan['stems'])} stems, got {len(stems)} audio stems")
    n = len(stems[0]) if stems else 0
    mix = np.zeros(n, np.float32)
    send = np.zeros(n, np.float32)
    for audio, spec in zip(stems, plan["stems"]):
        dry_rms = _rms(audio)
        if dry_rms <= 0:
            continue
        wet = _run_chain(audio, spec["chain"], sr) if spec["chain"] else audio
        if spec.get("loudness") is not None:
            now = integrated_loudness(wet, sr)
            gain_db = (spec["loudness"] - now if np.isfinite(now) else 0.0) + spec["gain_db"]
        else:
            gain_db = 20 * np.log10(dry_rms / max(_rms(wet), 1e-12)) + spec["gain_db"]
        wet = wet * np.float32(10 ** (gain_db / 20))
        mix += wet
        if spec["send"]:
            send += wet * np.float32(spec["send"])
    if plan.get("reverb") and np.any(send):
        verb = _plugin(plan["reverb"])(send[None, :], sr, reset=True)[0]
        mix += verb * np.float32(10 ** (plan["reverb"]["return_db"] / 20))
    if plan.get("lofi"):
        mix = _lofi(mix, sr)
    if plan.get("tone"):
        import pedalboard

        mix = pedalboard.Pedalboard([_plugin(plan["tone"]["low_shelf"]), _plugin(plan["tone"]["high_shelf"])])(
            mix[None, :], sr)[0]
    master = plan.get("master")
    if master:
        import pedalboard

        board = pedalboard.Pedalboard([_plugin(master["bus"]), _plugin(master["low_shelf"]),
                                       _plugin(master["high_shelf"])])
        mix = board(mix[None, :], sr)[0]
        rms, peak = _rms(mix), float(np.max(np.abs(mix))) if mix.size else 0.0
        threshold_db = 20 * np.log10(max(rms, 1e-12)) + master["crest_db"]
        if rms > 0 and 20 * np.log10(peak) > threshold_db:  # peaks over the drawn crest factor are limited
            limiter = pedalboard.Limiter(threshold_db=threshold_db, release_ms=master["limiter_release_ms"])
            mix = limiter(mix[None, :], sr)[0]
    return np.asarray(mix, dtype=np.float32)


# --- the simple chain on a full mix (no stems) ------------------------------------------------------

def _lofi(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Band-limit to 110 Hz - 3.5 kHz (24 dB/octave above), reduce to 9 bits: pedalboard's filters and bit crusher."""
    import pedalboard

    board = pedalboard.Pedalboard([pedalboard.HighpassFilter(110.0), pedalboard.HighpassFilter(110.0),
                                   pedalboard.LadderFilter(pedalboard.LadderFilter.Mode.LPF24,
                                                           cutoff_hz=min(3500.0, 0.45 * sample_rate)),
                                   pedalboard.Bitcrush(bit_depth=9.0)])
    return board(np.asarray(audio, np.float32)[None, :], sample_rate)[0].astype(np.float32)


def _limit(audio: np.ndarray, sample_rate: int, crest_db: float = 14.0) -> np.ndarray:
    """A peak limiter (pedalboard's) whose threshold sits ``crest_db`` above the clip's RMS.

    Mastered music sits around 10-14 dB crest; without this, slap bass or drum
    hits would make some genres systematically quieter after the caller's
    loudness normalisation with its peak ceiling.
    """
    import pedalboard

    x = np.asarray(audio, dtype=np.float32)
    rms = _rms(x)
    if rms <= 0.0:
        return x
    threshold_db = 20 * np.log10(rms) + crest_db
    if 20 * np.log10(float(np.max(np.abs(x)))) <= threshold_db:
        return x
    return pedalboard.Limiter(threshold_db=float(threshold_db), release_ms=60.0)(x[None, :], sample_rate)[0]


def apply_effects(audio: np.ndarray, arrangement: Arrangement, sample_rate: int) -> np.ndarray:
    """The simple chain on a full mix: the description's reverb (pedalboard's), lo-fi, then a peak limiter."""
    import pedalboard

    out = np.asarray(audio, dtype=np.float32)
    if arrangement.reverb > 0:
        big = arrangement.reverb >= 0.45 or style_for(arrangement.genre, arrangement.variant).expressive
        verb = pedalboard.Reverb(room_size=0.85 if big else 0.6, damping=0.5, wet_level=float(arrangement.reverb),
                                 dry_level=float(1.0 - 0.35 * arrangement.reverb), width=1.0)
        out = verb(out[None, :], sample_rate, reset=True)[0].astype(np.float32)
    if arrangement.lofi:
        out = _lofi(out, sample_rate)
    return _limit(out, sample_rate)
