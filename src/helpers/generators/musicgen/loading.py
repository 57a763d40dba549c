"""Step 1, loading: MusicGen (transformers) by hub id or local folder, with clear missing-weights errors.

:func:`load_musicgen` checks a local folder or (offline) the hub cache for the
needed files first and raises :class:`MissingWeightsError` naming what is
missing, where it looked and how to place it; also the ``"auto"`` device and
dtype resolution the backends share.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ...errors import SynthMIRError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "facebook/musicgen-small"

#: the transformers releases the fast decode path was tested on (requirements/base.txt says the same;
#: requirements/lock.txt pins one of them); the pre-flight refuses others
TESTED_TRANSFORMERS = ">=5.24,<5.25"

#: what a model folder (or hub snapshot) must hold: for each need, the files that satisfy it (any one)
NEEDED_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model config", ("config.json",)),
    ("weights", ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                 "pytorch_model.bin.index.json")),
    ("tokenizer", ("tokenizer.json", "spiece.model")),
    ("feature extractor", ("preprocessor_config.json", "processor_config.json")),
)


def _describe_missing(has: Any) -> list[str]:
    """Names of the needs ``has(filename) -> bool`` does not meet, e.g. ``"model.safetensors (weights)"``."""
    missing = []
    for need, names in NEEDED_FILES:
        if not any(has(name) for name in names):
            alternatives = names[:1] + tuple(n for n in names[1:] if not n.endswith(".index.json"))
            missing.append(" or ".join(alternatives) + f" ({need})")
    return missing


_TRUE = {"1", "true", "yes", "on"}


class MissingWeightsError(SynthMIRError, FileNotFoundError):
    """Model files are not where they were looked for; the message says how to place them."""


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def _resolve_device(device: str | torch.device) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


_DTYPES = {
    "fp32": torch.float32, "float32": torch.float32, "float": torch.float32,
    "fp16": torch.float16, "float16": torch.float16, "half": torch.float16,
    "bf16": torch.bfloat16, "bfloat16": torch.bfloat16,
}


def _resolve_dtype(dtype: str | torch.dtype, device: torch.device) -> torch.dtype:
    """``"auto"`` -> float32 on CPU, bfloat16 on CUDA (float16 where bf16 is unsupported)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    try:
        return _DTYPES[str(dtype).lower()]
    except KeyError:
        raise ValueError(f"unknown dtype {dtype!r}; use one of auto, {', '.join(sorted(_DTYPES))}") from None


def _offline_from_env() -> bool:
    return any(os.environ.get(k, "").strip().lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_cache_dir(cache_dir: str | os.PathLike | None) -> str:
    if cache_dir is not None:
        return str(cache_dir)
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    try:
        from huggingface_hub import constants

        return str(constants.HF_HUB_CACHE)
    except Exception:  # pragma: no cover - huggingface_hub always ships with transformers
        return os.path.join(os.path.expanduser("~"), ".cache", "huggingface", "hub")


def _looks_like_path(model: str) -> bool:
    """A local folder (absolute, ``./``/``~``-relative, existing, or deeper than ``owner/name``) rather than a hub id."""
    return (
        os.path.isabs(model)
        or model.startswith((".", "~"))
        or "\\" in model
        or model.count("/") > 1
        or Path(model).expanduser().exists()
    )


def _how_to_place(repo_id: str, cache_dir: str | os.PathLike | None) -> str:
    cache_flag = f" --cache-dir {cache_dir}" if cache_dir is not None else ""
    cache = _hub_cache_dir(cache_dir)
    return (
        "How to place the model: on a machine with internet access run\n"
        f"    hf download {repo_id}{cache_flag}\n"
        f"(older huggingface_hub: `huggingface-cli download {repo_id}{cache_flag}`) and copy the resulting "
        f"models--{repo_id.replace('/', '--')} folder into {cache} here (or point HF_HUB_CACHE / the `cache_dir` "
        "option at the copied cache); or put the model files in any folder (config.json, generation_config.json, "
        "model.safetensors or pytorch_model.bin, tokenizer.json or spiece.model, preprocessor_config.json), e.g. "
        f"`hf download {repo_id} --local-dir /path/to/musicgen-small`, and set the generation option "
        "`model: /path/to/musicgen-small`."
    )


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _hub_reachable(timeout: float = 5.0) -> bool:
    """Whether the hub (``HF_ENDPOINT``) answers an HTTP request within ``timeout`` seconds.

    Asked through huggingface_hub's own HTTP session, so it goes where downloads go: through
    the standard proxy variables (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``)
    and with the same certificates. Any HTTP answer counts (the hub is there); a connection
    or proxy failure, or a timeout, does not."""
    from huggingface_hub.utils import get_session

    try:
        get_session().head(hub_endpoint(), timeout=timeout)
        return True
    except Exception:  # httpx's connect, proxy and timeout errors (the class differs between versions)
        return False


def _check_local_folder(folder: Path, hint_repo: str) -> None:
    """Raise :class:`MissingWeightsError` naming whatever a model folder lacks."""
    if not folder.is_dir():
        raise MissingWeightsError(
            f"MusicGen model folder {folder} does not exist.\n" + _how_to_place(hint_repo, None)
        )
    missing = _describe_missing(lambda name: (folder / name).is_file())
    if missing:
        raise MissingWeightsError(
            f"MusicGen model folder {folder} is missing: {'; '.join(missing)}.\n"
            f"Looked in: {folder.resolve()}\n" + _how_to_place(hint_repo, None)
        )


def _check_hub_cache(repo_id: str, cache_dir: str | os.PathLike | None, reason: str) -> None:
    """Offline: raise :class:`MissingWeightsError` unless the hub cache holds the files."""
    from huggingface_hub import try_to_load_from_cache

    def cached(name: str) -> bool:
        try:
            found = try_to_load_from_cache(repo_id, name, cache_dir=_hub_cache_dir(cache_dir))  # env read now
        except Exception:  # an invalid repo id, for example
            return False
        return isinstance(found, str) and os.path.isfile(found)

    missing = _describe_missing(cached)
    if missing:
        where = _hub_cache_dir(cache_dir)
        raise MissingWeightsError(
            f"MusicGen model {repo_id!r}: {'; '.join(missing)} not found in the Hugging Face cache "
            f"({reason}; nothing is downloaded).\n"
            f"Looked in: {where} (repo folder models--{repo_id.replace('/', '--')})\n"
            + _how_to_place(repo_id, cache_dir)
        )


def load_musicgen(
    model: str | os.PathLike = DEFAULT_MODEL,
    cache_dir: str | os.PathLike | None = None,
    local_files_only: bool | None = None,
) -> tuple[nn.Module, Any]:
    """Load ``(MusicgenForConditionalGeneration, processor)`` by hub id or local folder.

    ``local_files_only=None`` means offline when ``HF_HUB_OFFLINE`` (or
    ``TRANSFORMERS_OFFLINE``) is set; otherwise the hub is asked and, when it
    cannot be reached, transformers uses the cached files of that same repo.
    Nothing falls back to other weights: any missing file raises
    :class:`MissingWeightsError` naming the file, where it was looked for and
    how to place it.
    """
    from transformers import AutoProcessor, MusicgenForConditionalGeneration

    model = str(model)
    is_path = _looks_like_path(model)
    reason = "local_files_only=True"
    if local_files_only is None:
        local_files_only = _offline_from_env()
        reason = "offline mode: HF_HUB_OFFLINE / TRANSFORMERS_OFFLINE is set"
        if not local_files_only and not is_path and not _hub_reachable():
            log.info("Hugging Face hub not reachable: loading %s from the local cache only", model)
            local_files_only = True
            reason = f"the hub ({os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}) is not reachable"
    kwargs: dict[str, Any] = {"cache_dir": cache_dir, "local_files_only": bool(local_files_only)}
    if is_path:
        folder = Path(model).expanduser()
        _check_local_folder(folder, DEFAULT_MODEL)
        source = str(folder)
    else:
        if local_files_only:
            _check_hub_cache(model, cache_dir, reason)
        source = model
    try:
        # transformers picks SDPA for the decoder and text encoder by default (EnCodec has no attention choice)
        net = MusicgenForConditionalGeneration.from_pretrained(source, **kwargs)
        processor = AutoProcessor.from_pretrained(source, **kwargs)
    except OSError as exc:  # transformers / huggingface_hub report missing files and an unreachable hub as OSError
        if is_path:
            where = f"the folder {Path(source).resolve()}"
        else:
            where = f"the Hugging Face cache at {_hub_cache_dir(cache_dir)}"
            if not local_files_only:
                where = f"the hub ({os.environ.get('HF_ENDPOINT', 'https://huggingface.co')}) and " + where
        raise MissingWeightsError(
            f"Could not load MusicGen model {model!r} (looked in {where}; local_files_only={bool(local_files_only)}): "
            f"{exc}\n" + _how_to_place(DEFAULT_MODEL if is_path else model, cache_dir)
        ) from exc
    return net, processor
