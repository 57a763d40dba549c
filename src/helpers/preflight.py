"""The pre-flight: everything a long run needs, checked in seconds before it starts.

``./synthmir check --profile paper`` (run by ``run_all.sh`` before the first
notebook, and in its quick form by the generation and embedding stages before
they start) collects every problem it finds and reports them together, each
with what was expected, what was found and the command or setting that fixes
it. It checks:

* the weights of each pretrained backend: present, and loadable (MusicGen's
  config and tokenizer load; the PaSST checkpoint loads strictly, key for key,
  into the architecture);
* a CUDA device, where the profile asks for one (``device: cuda``);
* the transformers version, inside the range the fast decode path was tested on;
* (full check only) the real model loaded on its device and dtype: a few
  teacher-forced steps of the fast decode path against ``model.decoder``
  (:func:`~helpers.generators.musicgen.checks.check_fast_path`), and the decode
  batch against the GPU's memory (``batch_size: auto`` says which it chose).

Backends with nothing to download (symbolic, musicnn) pass at once.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import SynthMIRError


@dataclass
class Finding:
    what: str
    ok: bool
    detail: str
    fix: str = ""


class PreflightFailed(SynthMIRError, RuntimeError):
    """One or more problems found before a run; the message lists them all, each with its fix."""

    def __init__(self, profile: str, problems: list[Finding]):
        self.problems = problems
        if len(problems) == 1:  # one line, as every user error
            p = problems[0]
            super().__init__(f"pre-flight of profile {profile!r} (nothing was started): {p.what}: {p.detail}"
                             + (f"; fix: {p.fix}" if p.fix else ""))
            return
        lines = [f"pre-flight of profile {profile!r}: {len(problems)} problems, nothing was started"]
        for n, p in enumerate(problems, 1):
            lines.append(f"  {n}. {p.what}: {p.detail}")
            if p.fix:
                lines.append(f"     fix: {p.fix}")
        super().__init__("\n".join(lines))


def _device_findings(cfg, stages=("generate", "embed")) -> list[Finding]:
    import torch

    out = []
    for section in [s for s, stage in (("generation", "generate"), ("embedding", "embed")) if stage in stages]:
        options = getattr(cfg, section).options
        device = str(options.get("device", "auto"))
        if device.startswith("cuda"):
            if not torch.cuda.is_available():
                out.append(Finding(f"{section}.options.device", False,
                                   f"the profile asks for {device!r}, but torch sees no CUDA device "
                                   f"(torch {torch.__version__}, CUDA build {torch.version.cuda or 'none'})",
                                   f"run on a GPU machine, or --set {section}.options.device=cpu (slow)"))
            else:
                out.append(Finding(f"{section}.options.device", True, f"{device}: {torch.cuda.get_device_name(0)}"))
    return out


def _transformers_finding() -> Finding:
    from packaging.specifiers import SpecifierSet

    from .generators.musicgen.loading import TESTED_TRANSFORMERS

    try:
        import transformers
    except ImportError:
        return Finding("transformers", False, "not installed", "scripts/setup_env.sh (installs requirements/lock.txt)")
    version = transformers.__version__
    ok = SpecifierSet(TESTED_TRANSFORMERS).contains(version, prereleases=True)
    return Finding("transformers", ok, f"{version} ({'inside' if ok else 'outside'} the tested range {TESTED_TRANSFORMERS})",
                   "" if ok else "set up from the lock: scripts/setup_env.sh (requirements/lock.txt pins a tested "
                                 "version); or generation.options.fast: false to use transformers' generate as it is")


def _musicgen_loadable(options: dict) -> Finding:
    """Config and tokenizer load from the local files (seconds; the weights are checked by presence)."""
    from transformers import AutoConfig, AutoTokenizer

    from .generators.musicgen.loading import DEFAULT_MODEL, _looks_like_path

    model = str(options.get("model", DEFAULT_MODEL))
    source = str(Path(model).expanduser()) if _looks_like_path(model) else model
    kwargs = {"cache_dir": options.get("cache_dir"), "local_files_only": True}
    try:
        cfg = AutoConfig.from_pretrained(source, **kwargs)
        AutoTokenizer.from_pretrained(source, **kwargs)
    except Exception as exc:
        return Finding(f"MusicGen {model} config and tokenizer", False, f"do not load: {str(exc).splitlines()[0]}",
                       "delete the model's cache folder and run ./synthmir weights fetch again")
    return Finding(f"MusicGen {model} config and tokenizer", True,
                   f"load ({cfg.decoder.num_hidden_layers} decoder layers x {cfg.decoder.hidden_size})")


def _deep_musicgen(cfg) -> list[Finding]:
    """Load the real model as the stage will, run the fast-path check, resolve the batch."""
    from .generation import generator_from_config
    from .generators.musicgen.checks import FastPathMismatch
    from .generators.musicgen.memory import BatchTooLarge

    out = []
    try:
        gen = generator_from_config(cfg.generation)  # runs the fast-path check when fast (the default)
    except FastPathMismatch as exc:
        return [Finding("MusicGen fast decode path", False, str(exc), "--set generation.options.fast=false")]
    except BatchTooLarge as exc:
        return [Finding("generation.options.batch_size", False, str(exc), "generation.options.batch_size: auto")]
    if gen.fast_check is not None:
        r = gen.fast_check
        out.append(Finding("MusicGen fast decode path", True,
                           f"{r['steps']} teacher-forced steps match model.decoder to {r['error']:.2g} "
                           f"(tolerance {r['tolerance']:g}, {r['dtype']} on {r['device']})"))
    try:
        batch, why = gen.batch_size_for(cfg.generation.batch_size)
        out.append(Finding("generation batch", True, why))
    except BatchTooLarge as exc:
        out.append(Finding("generation.batch_size", False, str(exc), "generation.batch_size: auto"))
    return out


STAGES = ("generate", "embed")


def findings(cfg, deep: bool = False, stages=STAGES, keys: bool = True) -> list[Finding]:
    """Every check that applies to ``cfg``'s backends for ``stages`` (see the module doc); ``keys=False``:
    the PaSST checkpoint is checked for presence only (the embedding stage loads it strictly at once)."""
    from .weights import check as check_weights

    out: list[Finding] = []
    musicgen = cfg.generation.backend == "musicgen" and "generate" in stages
    if musicgen:
        out.append(_transformers_finding())
    out.extend(_device_findings(cfg, stages))
    kinds = ({"musicgen"} if "generate" in stages else set()) | ({"passt"} if "embed" in stages else set())
    items = [i for i in check_weights(cfg, keys=keys) if i.kind in kinds]
    for item in items:
        out.append(Finding(f"{item.what} weights", item.ok, f"{item.detail} ({item.where})", "" if item.ok else item.fix))
    weights_ok = {i.kind: i.ok for i in items}
    if musicgen and weights_ok.get("musicgen"):
        loadable = _musicgen_loadable(dict(cfg.generation.options))
        out.append(loadable)
        if deep and loadable.ok and all(f.ok for f in out):
            out.extend(_deep_musicgen(cfg))
    return out


def require_ready(cfg, deep: bool = False, stages=STAGES, keys: bool = True) -> list[Finding]:
    """Raise :class:`PreflightFailed` listing every problem; return the findings when there is none."""
    found = findings(cfg, deep=deep, stages=stages, keys=keys)
    problems = [f for f in found if not f.ok]
    if problems:
        raise PreflightFailed(cfg.profile, problems)
    return found


def main(args) -> int:
    """``./synthmir check``: print every finding; exit 2 (with the list) when any fails."""
    from .config import load_config, parse_overrides

    cfg = load_config(args.profile, parse_overrides(args.set), "--set")
    found = findings(cfg, deep=not args.quick)
    for f in found:  # the problems come together, with their fixes, in the error below
        if f.ok:
            print(f"ok  {f.what}: {f.detail}")
    problems = [f for f in found if not f.ok]
    if problems:
        raise PreflightFailed(cfg.profile, problems)
    if not found:
        print(f"profile {cfg.profile}: nothing to check (backends {cfg.generation.backend}, "
              f"{cfg.embedding.backend} need no downloaded weights)")
    print(f"pre-flight of profile {cfg.profile!r}: ready", file=sys.stderr)
    return 0
