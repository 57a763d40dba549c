"""The ``audiocraft`` backend: MusicGen through Meta's AudioCraft, used only when it is importable."""

from __future__ import annotations

import logging
from typing import Any, Sequence

import numpy as np
import torch

from ...generation import ClipRequest, Generator
from .loading import (
    DEFAULT_MODEL, MissingWeightsError, _how_to_place, _hub_cache_dir, _looks_like_path, _resolve_device,
)

log = logging.getLogger(__name__)

_AUDIOCRAFT_HINT = (
    "The `audiocraft` backend needs Meta's audiocraft package, which pins torch 2.1; install it in a "
    "separate environment, e.g.\n"
    "    python3.10 -m venv ~/.venvs/audiocraft && ~/.venvs/audiocraft/bin/pip install "
    "'torch==2.1.0' 'torchaudio==2.1.0' 'audiocraft==1.3.0' && ~/.venvs/audiocraft/bin/pip install -e .\n"
    "and run the generation stage from that environment; or use the `musicgen` backend "
    "(transformers, same model, works with current torch)."
)


class AudioCraftGenerator(Generator):
    """MusicGen through AudioCraft (``audiocraft.models.MusicGen``), used only when importable.

    Options: ``model`` (hub id such as ``facebook/musicgen-small`` or a local
    folder with ``state_dict.bin`` + ``compression_state_dict.bin``),
    ``guidance_scale`` (``cfg_coef``, 3.0), ``top_k`` (250), ``top_p`` (0.0),
    ``temperature`` (1.0), ``device`` (``"auto"``), ``batched`` (False),
    ``batch_size`` (None: the caller's batch; only with ``batched=True``).

    Reproducibility: AudioCraft samples with the global torch RNG. With
    ``batched=False`` (default) each clip is generated alone after
    ``torch.manual_seed(seed)``, so a clip depends only on its prompt, seed and
    settings (repeatable on the same device, dtype and versions). With
    ``batched=True`` a whole batch is generated after seeding with its first
    request's seed: faster, repeatable for the same batch, but a clip depends
    on its batch-mates. Also note AudioCraft's sampling rule: ``top_p > 0``
    replaces top-k (transformers applies both).
    """

    name = "audiocraft"

    def __init__(
        self,
        duration_s: float = 10.0,
        model: str = DEFAULT_MODEL,
        guidance_scale: float = 3.0,
        top_k: int = 250,
        top_p: float = 0.0,
        temperature: float = 1.0,
        device: str = "auto",
        batch_size: int | None = None,
        batched: bool = False,
        **options: Any,
    ):
        super().__init__(duration_s=duration_s)
        if options:
            log.warning("audiocraft backend ignores unknown options: %s", ", ".join(sorted(options)))
        try:
            from audiocraft.models import MusicGen  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ImportError(_AUDIOCRAFT_HINT) from exc
        self.device = _resolve_device(device)
        self.model_name = str(model)
        self.batched = bool(batched)
        self.batch_size = int(batch_size) if batch_size else None
        self.settings = dict(guidance_scale=float(guidance_scale), top_k=int(top_k), top_p=float(top_p),
                             temperature=float(temperature))
        try:
            self._model = MusicGen.get_pretrained(self.model_name, device=str(self.device))
        except (OSError, ValueError, RuntimeError) as exc:
            raise MissingWeightsError(
                f"AudioCraft could not load {self.model_name!r} (a hub id is looked up in the Hugging Face cache "
                f"at {_hub_cache_dir(None)}; a folder must hold state_dict.bin and compression_state_dict.bin): "
                f"{exc}\n" + _how_to_place(self.model_name if not _looks_like_path(self.model_name) else DEFAULT_MODEL,
                                           None)
            ) from exc
        self._model.set_generation_params(
            use_sampling=True, top_k=int(top_k), top_p=float(top_p), temperature=float(temperature),
            duration=self.duration_s, cfg_coef=float(guidance_scale),
        )

    @property
    def sample_rate(self) -> int:
        return int(self._model.sample_rate)

    def describe(self) -> dict:
        info = super().describe()
        info.update(model=self.model_name, device=str(self.device), batched=self.batched, **self.settings)
        return info

    def generate_batch(self, requests: Sequence[ClipRequest]) -> list[np.ndarray]:
        """One float32 clip ``(n_samples,)`` per request; see the class docstring for seeding."""
        n = int(round(self.duration_s * self.sample_rate))
        step = (self.batch_size or max(len(requests), 1)) if self.batched else 1
        groups = [list(requests[i : i + step]) for i in range(0, len(requests), step)]
        out: list[np.ndarray] = []
        for group in groups:
            with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
                torch.manual_seed(int(group[0].seed) % (1 << 63))
                wav = self._model.generate([r.prompt for r in group], progress=False)  # (B, C, T)
            wav = wav.float().mean(dim=1).cpu().numpy()
            for row in wav:
                row = row[:n] if len(row) >= n else np.pad(row, (0, n - len(row)))
                out.append(np.ascontiguousarray(row, dtype=np.float32))
        return out
