"""The paper profile's weights: fetch them, check them, carry them to an air-gapped cluster.

``./synthmir weights fetch --profile paper`` (on a machine with internet) puts
MusicGen into the Hugging Face cache with huggingface_hub and the PaSST
checkpoint into the torch hub folder, where the backends look for them.
``check`` says what is there and what is missing. ``pack DIR`` copies both into
one folder with a manifest of checksums; ``unpack DIR`` (on the cluster) checks
the checksums and puts each file where the backends look.

The PaSST download resumes: bytes arrive in ``<file>.part``; a broken
connection leaves it, and the next ``fetch`` asks for the rest with an HTTP
Range request. The finished file is checked by size (the server's length) and
by its keys (it must load strictly into the PaSST architecture) before it takes
its final name. All HTTP goes through huggingface_hub's session, so the
standard proxy variables (``HTTPS_PROXY``, ``NO_PROXY``, ...) apply.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import SynthMIRError

#: the files of a MusicGen hub repo the backend needs (see musicgen.loading.NEEDED_FILES), and the small extras
MUSICGEN_PATTERNS = ["config.json", "generation_config.json", "model.safetensors", "model.safetensors.index.json",
                     "model-*.safetensors", "tokenizer.json", "tokenizer_config.json", "spiece.model",
                     "special_tokens_map.json", "preprocessor_config.json", "processor_config.json"]
CHUNK = 1 << 20
MANIFEST = "synthmir-weights.json"


class WeightsError(SynthMIRError, RuntimeError):
    """A download, a pack or an unpack that did not give the expected files."""


@dataclass
class Item:
    """One set of weights a profile needs."""

    what: str            # "MusicGen facebook/musicgen-small", "PaSST passt_s_swa_p16_128_ap476"
    kind: str            # "musicgen" | "passt"
    ok: bool
    where: str           # where it is (or would be) looked for
    detail: str          # what was found, or what is missing
    fix: str             # the command that places it


def needed(cfg) -> list[tuple[str, dict]]:
    """``(kind, options)`` of every set of pretrained weights the config's backends need."""
    out = []
    if cfg.generation.backend == "musicgen":
        out.append(("musicgen", dict(cfg.generation.options)))
    if cfg.embedding.backend == "passt" and cfg.embedding.options.get("pretrained", True):
        out.append(("passt", dict(cfg.embedding.options)))
    return out


# --- MusicGen -----------------------------------------------------------------------------------

def _musicgen_item(options: dict, profile: str) -> Item:
    from .generators.musicgen.loading import (
        DEFAULT_MODEL, _check_hub_cache, _check_local_folder, _hub_cache_dir, _looks_like_path,
    )

    model = str(options.get("model", DEFAULT_MODEL))
    cache_dir = options.get("cache_dir")
    fix = f"./synthmir weights fetch --profile {profile}   (on a machine with internet; then pack/unpack)"
    try:
        if _looks_like_path(model):
            _check_local_folder(Path(model).expanduser(), DEFAULT_MODEL)
            where = str(Path(model).expanduser())
        else:
            _check_hub_cache(model, cache_dir, "checked by ./synthmir weights")
            where = f"{_hub_cache_dir(cache_dir)}/models--{model.replace('/', '--')}"
    except Exception as exc:  # MissingWeightsError: its first line names what is missing
        return Item(f"MusicGen {model}", "musicgen", False, _hub_cache_dir(cache_dir),
                    str(exc).splitlines()[0], fix)
    return Item(f"MusicGen {model}", "musicgen", True, where, "config, weights, tokenizer, feature extractor", fix)


def fetch_musicgen(options: dict) -> Path:
    """Download MusicGen's files into the Hugging Face cache (resumable, by huggingface_hub)."""
    from huggingface_hub import snapshot_download

    from .generators.musicgen.loading import DEFAULT_MODEL, _looks_like_path

    model = str(options.get("model", DEFAULT_MODEL))
    if _looks_like_path(model):
        raise WeightsError(f"generation.options.model is a folder ({model}): fetch puts hub models in the cache; "
                           f"fill the folder with `hf download {DEFAULT_MODEL} --local-dir {model}`")
    return Path(snapshot_download(model, allow_patterns=MUSICGEN_PATTERNS, cache_dir=options.get("cache_dir")))


# --- PaSST --------------------------------------------------------------------------------------

def passt_target(options: dict) -> tuple[str, Path]:
    """``(url, path)`` of the PaSST checkpoint the embedding options name."""
    from .embedders.passt import CHECKPOINT_URL, DEFAULT_ARCH, checkpoint_url, default_checkpoint_path

    arch = options.get("arch", DEFAULT_ARCH)
    url = checkpoint_url(arch) or CHECKPOINT_URL
    path = Path(options["checkpoint"]).expanduser() if options.get("checkpoint") else \
        default_checkpoint_path(Path(url).name)
    return url, path


def check_passt_file(path: Path, arch: str) -> str:
    """Raise (PasstCheckpointError) unless ``path`` loads strictly into ``arch``; returns a summary."""
    from .embedders.passt import build_passt, load_passt_state_dict, read_checkpoint

    state = read_checkpoint(path)
    load_passt_state_dict(build_passt(arch, init=False), state, source=str(path))
    return f"{len(state.get('model', state))} tensors, keys match {arch}"


def _passt_item(options: dict, profile: str, keys: bool = True) -> Item:
    from .embedders.passt import DEFAULT_ARCH

    url, path = passt_target(options)
    arch = options.get("arch", DEFAULT_ARCH)
    fix = f"./synthmir weights fetch --profile {profile}   (or: curl -L -o {path} {url})"
    what = f"PaSST {arch}"
    if not path.is_file():
        return Item(what, "passt", False, str(path), f"{path.name} not found", fix)
    if not keys:
        return Item(what, "passt", True, str(path), f"{path.stat().st_size / 1e6:.0f} MB (keys checked on loading)", fix)
    try:
        detail = check_passt_file(path, arch)
    except Exception as exc:  # PasstCheckpointError: garbage bytes, other keys, other shapes
        return Item(what, "passt", False, str(path), str(exc).splitlines()[0],
                    f"delete {path} and run: {fix}")
    return Item(what, "passt", True, str(path), f"{path.stat().st_size / 1e6:.0f} MB, {detail}", fix)


def download(url: str, dest: str | Path, check: Callable[[Path], object] | None = None,
             timeout: float = 60.0, progress: bool = True) -> Path:
    """``url`` -> ``dest``, resumable: bytes go to ``dest.part``, a later call asks for the rest (HTTP Range).

    The finished file must have the server's length and pass ``check(path)`` (which raises
    if not) before it is renamed to ``dest``; a file that fails is deleted, so the next call
    starts afresh. Goes through huggingface_hub's HTTP session (proxy variables apply).
    """
    from huggingface_hub.utils import get_session

    from .progress import progress_bar

    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    session = get_session()
    with session.stream("GET", url, headers=headers, timeout=timeout, follow_redirects=True) as resp:
        if resp.status_code == 416 and have:  # nothing left to send: the part is complete
            total = have
        else:
            if resp.status_code not in (200, 206):
                raise WeightsError(f"{url}: HTTP {resp.status_code}")
            if resp.status_code == 200:
                have = 0  # the server ignored the Range: start over
            total = _total_length(resp, have)
            bar = progress_bar(total=total, initial=have, unit="B", unit_scale=True, desc=dest.name,
                               progress=progress)
            with open(part, "ab" if have else "wb") as fh:
                for block in resp.iter_bytes():  # as they arrive: a broken connection keeps what came
                    fh.write(block)
                    bar.update(len(block))
                fh.flush()
                os.fsync(fh.fileno())
            bar.close()
    size = part.stat().st_size
    if total is not None and size != total:
        raise WeightsError(f"{url}: got {size} of {total} bytes; run the same command again to resume")
    if check is not None:
        try:
            check(part)
        except Exception as exc:
            part.unlink()
            raise WeightsError(f"{url}: the downloaded file fails its check and was deleted: {exc}") from exc
    os.replace(part, dest)
    return dest


def _total_length(resp, offset: int) -> int | None:
    """The whole file's length from Content-Range (``bytes a-b/total``) or Content-Length."""
    rng = resp.headers.get("content-range", "")
    if "/" in rng and rng.rsplit("/", 1)[1].strip().isdigit():
        return int(rng.rsplit("/", 1)[1])
    length = resp.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


def fetch_passt(options: dict) -> Path:
    from .embedders.passt import DEFAULT_ARCH

    url, path = passt_target(options)
    arch = options.get("arch", DEFAULT_ARCH)
    if path.is_file():
        check_passt_file(path, arch)  # raises on a bad file: say so rather than skip it
        return path
    return download(url, path, check=lambda p: check_passt_file(p, arch))


# --- check / fetch over a config ----------------------------------------------------------------

def check(cfg, keys: bool = True) -> list[Item]:
    """What each set of weights the config needs looks like here; ``keys=False`` leaves out loading
    the PaSST checkpoint to match its keys (for a caller that loads it strictly right after)."""
    items = []
    for kind, options in needed(cfg):
        items.append(_musicgen_item(options, cfg.profile) if kind == "musicgen"
                     else _passt_item(options, cfg.profile, keys))
    return items


def fetch(cfg, out=sys.stdout) -> list[Item]:
    for kind, options in needed(cfg):
        print(f"[weights] fetching {kind} ...", file=out, flush=True)
        where = fetch_musicgen(options) if kind == "musicgen" else fetch_passt(options)
        print(f"[weights] {kind}: {where}", file=out, flush=True)
    return check(cfg)


# --- pack / unpack ------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _musicgen_files(options: dict) -> tuple[Path, list[Path]]:
    """The hub cache's repo folder of the model and its snapshot files (resolved)."""
    from .generators.musicgen.loading import DEFAULT_MODEL, _hub_cache_dir

    model = str(options.get("model", DEFAULT_MODEL))
    repo = Path(_hub_cache_dir(options.get("cache_dir"))) / f"models--{model.replace('/', '--')}"
    return repo, sorted(p for p in (repo / "snapshots").rglob("*") if p.is_file())


def pack(cfg, folder: str | Path) -> Path:
    """Copy the config's weights into ``folder`` (``hub/`` as the Hugging Face cache lays it out,
    ``torch/checkpoints/`` for PaSST) with a manifest of sizes and sha256s."""
    missing = [i for i in check(cfg) if not i.ok]
    if missing:
        raise WeightsError("cannot pack: " + "; ".join(f"{i.what}: {i.detail}" for i in missing))
    folder = Path(folder)
    files = []
    for kind, options in needed(cfg):
        if kind == "musicgen":
            repo, snapshot_files = _musicgen_files(options)
            for src in snapshot_files:  # each file once, as a plain file (symlinks into blobs/ resolved)
                rel = Path("hub") / repo.name / src.relative_to(repo)
                files.append((src.resolve(), rel))
            for ref in (repo / "refs").glob("*"):
                files.append((ref, Path("hub") / repo.name / "refs" / ref.name))
        else:
            _, path = passt_target(options)
            files.append((path, Path("torch") / "checkpoints" / path.name))
    entries = []
    for src, rel in files:
        dst = folder / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        entries.append({"path": rel.as_posix(), "bytes": dst.stat().st_size, "sha256": _sha256(dst)})
    (folder / MANIFEST).write_text(json.dumps({"files": entries}, indent=1) + "\n")
    return folder


def unpack(folder: str | Path, hub_cache: str | Path | None = None, torch_hub: str | Path | None = None) -> list[Path]:
    """Check a packed folder against its manifest, then copy each file where the backends look."""
    import torch

    from .generators.musicgen.loading import _hub_cache_dir

    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise WeightsError(f"{folder}: no {MANIFEST}; make the folder with `./synthmir weights pack {folder}`")
    entries = json.loads(manifest.read_text())["files"]
    bad = []
    for e in entries:
        src = folder / e["path"]
        if not src.is_file():
            bad.append(f"{e['path']}: missing")
        elif src.stat().st_size != e["bytes"] or _sha256(src) != e["sha256"]:
            bad.append(f"{e['path']}: size or sha256 differs from the manifest (a broken copy)")
    if bad:
        raise WeightsError(f"{folder}: " + "; ".join(bad) + "; nothing was unpacked")
    hub = Path(hub_cache or _hub_cache_dir(None))
    th = Path(torch_hub or torch.hub.get_dir())
    placed = []
    for e in entries:
        rel = Path(e["path"])
        base, rest = (hub, rel.relative_to("hub")) if rel.parts[0] == "hub" else (th, rel.relative_to("torch"))
        dst = base / rest
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".unpacking")
        shutil.copyfile(folder / rel, tmp)
        os.replace(tmp, dst)
        placed.append(dst)
    return placed


# --- command line -------------------------------------------------------------------------------

def print_items(items: list[Item], out=sys.stdout) -> None:
    for i in items:
        print(f"{'ok     ' if i.ok else 'MISSING'}  {i.what}: {i.detail}\n         {i.where}", file=out)
        if not i.ok:
            print(f"         fix: {i.fix}", file=out)


def main(args) -> int:
    """``./synthmir weights fetch|check|pack|unpack``."""
    from .config import load_config, parse_overrides

    if args.action == "unpack":
        for path in unpack(args.folder):
            print(f"[weights] placed {path}")
        return 0
    cfg = load_config(args.profile, parse_overrides(args.set), "--set")
    if not needed(cfg):
        print(f"profile {cfg.profile}: its backends ({cfg.generation.backend}, {cfg.embedding.backend}) "
              "need no downloaded weights")
        return 0
    if args.action == "check":
        items = check(cfg)
        print_items(items)
        return 0 if all(i.ok for i in items) else 2
    if args.action == "fetch":
        items = fetch(cfg)
        print_items(items)
        return 0 if all(i.ok for i in items) else 2
    if args.action == "pack":
        folder = pack(cfg, args.folder)
        print(f"[weights] packed into {folder} ({MANIFEST}); on the cluster: ./synthmir weights unpack {folder}")
        return 0
    raise SystemExit(f"unknown action {args.action}")
