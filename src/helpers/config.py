"""The study's configuration: one typed object read from ``configs/<profile>.yaml``.

Every stage reads its settings from :class:`Config`. Notebook parameters
(papermill ``-p``) override it through :func:`load_config`: a few flat names
(``clips_per_genre``, ``real_data``, ``run_dir``, ``seed``) and a dict of
dotted keys (``overrides={"generation.batch_size": 4}``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: The paper's five genres: the default taxonomy (``genres:`` takes any list).
GENRES = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")

#: repository root (the folder holding configs/), when run from a checkout
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(ValueError):
    """A profile or override that does not fit the schema."""


@dataclass
class PromptsConfig:
    clips_per_genre: int = 200          # N clips per genre after balancing
    total_clips: int | None = None      # if set: this many in all, split as evenly as possible
    descriptions: str = "builtin"       # "builtin" or a folder of <genre>.txt files
    max_descriptions_per_genre: int | None = None  # subsample descriptions (None: all)


@dataclass
class GenerationConfig:
    backend: str = "symbolic"
    duration_s: float = 10.0
    sample_rate: int = 32000
    loudness_lufs: float | list[float] = -18.0  # a level, or [low, high]: each clip's level drawn from its seed
    peak_dbfs: float = -1.0
    batch_size: int = 8
    workers: int = 1                    # processes for CPU backends
    options: dict = field(default_factory=dict)  # backend-specific settings


@dataclass
class EmbeddingConfig:
    backend: str = "musicnn"
    batch_size: int = 16
    options: dict = field(default_factory=dict)


@dataclass
class TrainingConfig:
    hidden_units: int = 128
    learning_rate: float = 1e-4
    batch_size: int = 32
    max_epochs: int = 300
    patience: int = 5
    val_fraction: float = 0.1
    class_weights: bool = True
    standardize: bool = True            # z-score inputs with training-split statistics
    group_by_description: bool = True   # keep all takes of a description on one side of the split
    device: str = "cpu"
    spread_seeds: int = 4               # more classifiers on the same split (seeds seed+1...): the spread over seeds


@dataclass
class EvaluationConfig:
    real_data: str | None = None        # <kind>:<path> (gtzan, fma, mtg-jamendo, ...) or a plain folder/CSV
    label_map: str | dict = "auto"      # dataset label -> study genre: auto, identity, a preset, or a mapping
    window_s: float = 10.0
    max_windows: int = 3
    examples_per_genre: int = 2
    max_mistakes: int = 10


@dataclass
class Config:
    profile: str = "offline"
    run_dir: str = "runs/offline"
    seed: int = 20231105
    genres: list[str] = field(default_factory=lambda: list(GENRES))
    prompts: PromptsConfig = field(default_factory=PromptsConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)

    @property
    def run_path(self) -> Path:
        """The run folder, absolute (relative paths are taken from the project root)."""
        p = Path(os.path.expanduser(self.run_dir))
        return p if p.is_absolute() else PROJECT_ROOT / p

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# --- building from plain data, with type checks -------------------------------

def _check_type(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check_type(value, arg, where)
            except ConfigError:
                pass
        raise ConfigError(f"{where}: {value!r} is not a {tp}")
    if origin is list:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_check_type(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict or tp is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, (str, os.PathLike)):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    return value


def _build(cls, data: dict, where: str):
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(names)}")
    kwargs = {}
    for name, value in data.items():
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, value, f"{where}.{name}")
        else:
            kwargs[name] = _check_type(value, tp, f"{where}.{name}")
    return cls(**kwargs)


#: A genre name: it becomes a folder (clips/<genre>/), a file name
#: (<genre lower>.txt) and part of clip ids, so no path separators.
_GENRE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _&+'-]*$")


def _validate_genres(genres: list[str], where: str) -> list[str]:
    """Any list of names, matched without case elsewhere; the user's spelling is kept."""
    if not genres:
        raise ConfigError(f"{where}: genres is empty; name at least one (e.g. {list(GENRES)})")
    names, seen = [], {}
    for i, g in enumerate(genres):
        name = str(g).strip()
        if not _GENRE_NAME.match(name):
            raise ConfigError(f"{where}: genres[{i}] {g!r} is not a genre name (letters, digits, space, "
                              "'_', '&', '+', \"'\", '-'; starting with a letter or digit)")
        if name.casefold() in seen:
            raise ConfigError(f"{where}: genres[{i}] {name!r} repeats genres[{seen[name.casefold()]}] "
                              "(names match without case)")
        seen[name.casefold()] = i
        names.append(name)
    return names


def _validate(cfg: Config, where: str) -> Config:
    cfg.genres = _validate_genres(cfg.genres, where)
    from .benchmarks import BenchmarkError, check_label_map, check_spec

    try:
        check_label_map(cfg.evaluation.label_map, cfg.genres)
    except ValueError as exc:
        raise ConfigError(f"{where}: evaluation.label_map: {exc}") from None
    if cfg.evaluation.real_data:
        try:
            check_spec(cfg.evaluation.real_data)
        except BenchmarkError as exc:
            raise ConfigError(f"{where}: evaluation.{exc}") from None
    if cfg.prompts.clips_per_genre < 1:
        raise ConfigError(f"{where}: prompts.clips_per_genre must be >= 1, got {cfg.prompts.clips_per_genre}")
    if not isinstance(cfg.training.spread_seeds, int) or cfg.training.spread_seeds < 0:
        raise ConfigError(f"{where}: training.spread_seeds must be a whole number >= 0, got {cfg.training.spread_seeds!r}")
    if not 0 < cfg.training.val_fraction < 1:
        raise ConfigError(f"{where}: training.val_fraction must be in (0, 1), got {cfg.training.val_fraction}")
    lufs = cfg.generation.loudness_lufs
    if isinstance(lufs, list) and (len(lufs) != 2 or lufs[0] > lufs[1]):
        raise ConfigError(f"{where}: generation.loudness_lufs must be a number or [low, high], got {lufs}")
    if cfg.generation.duration_s <= 0 or cfg.generation.sample_rate <= 0:
        raise ConfigError(f"{where}: generation.duration_s and sample_rate must be positive")
    return cfg


FLAT_PARAMETERS = {
    "clips_per_genre": "prompts.clips_per_genre",
    "real_data": "evaluation.real_data",
    "run_dir": "run_dir",
    "seed": "seed",
    "generator": "generation.backend",
    "embedder": "embedding.backend",
}


def _set_dotted(data: dict, dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {dotted!r}: {k!r} is not a section")
    node[keys[-1]] = value


def config_path(profile: str) -> Path:
    """``configs/<profile>.yaml``; ``profile`` may also be a path to a YAML file."""
    p = Path(profile)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    return PROJECT_ROOT / "configs" / f"{profile}.yaml"


def load_config(profile: str = "offline", overrides: dict | None = None, **params) -> Config:
    """Read ``configs/<profile>.yaml`` and apply notebook parameters.

    Args:
        profile: profile name (or a YAML path).
        overrides: dotted keys to values, e.g. ``{"training.patience": 3}``.
        **params: flat parameters (see ``FLAT_PARAMETERS``); ``None`` means
            "keep the profile's value".
    """
    path = config_path(profile)
    if not path.exists():
        known = sorted(p.stem for p in (PROJECT_ROOT / "configs").glob("*.yaml"))
        raise ConfigError(f"no profile {profile!r}: {path} does not exist (known: {known})")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    for name, value in params.items():
        if name not in FLAT_PARAMETERS:
            raise ConfigError(f"unknown parameter {name!r}; known: {sorted(FLAT_PARAMETERS)}")
        if value is not None:
            _set_dotted(data, FLAT_PARAMETERS[name], value)
    for dotted, value in (overrides or {}).items():
        _set_dotted(data, dotted, value)
    data.setdefault("profile", path.stem)
    return _validate(_build(Config, data, str(path)), str(path))
