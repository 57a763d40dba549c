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
from typing import Any, Iterator

import yaml

from .errors import SynthMIRError

#: The paper's five genres: the default taxonomy (``genres:`` takes any list).
GENRES = ("Electronica", "Funk", "Orchestral", "Pop", "Rock")

#: repository root (the folder holding configs/), when run from a checkout
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(SynthMIRError, ValueError):
    """A profile or override that does not fit the schema."""


def setting(default=dataclasses.MISSING, *, factory=None, ge=None, gt=None, le=None, lt=None,
            stage: str | None = None):
    """A config field with its allowed range and the stage whose output it changes.

    ``ge``/``gt``/``le``/``lt`` bound a number (each element of a list of numbers);
    ``stage`` names the stage whose output the setting changes, so it belongs to
    that stage's recorded settings (``None``: it changes how fast, not what: batch
    sizes, worker counts, what a report shows). :func:`stage_of` reads it back.
    """
    meta = {"ge": ge, "gt": gt, "le": le, "lt": lt, "stage": stage}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class PromptsConfig:
    clips_per_genre: int = setting(200, ge=1, stage="prompts")   # N clips per genre after balancing
    total_clips: int | None = setting(None, ge=1, stage="prompts")  # if set: this many in all, split evenly
    descriptions: str = setting("builtin", stage="prompts")      # "builtin" or a folder of <genre>.txt files
    max_descriptions_per_genre: int | None = setting(None, ge=1, stage="prompts")  # subsample (None: all)


@dataclass
class GenerationConfig:
    backend: str = setting("symbolic", stage="generate")
    duration_s: float = setting(10.0, gt=0, le=600, stage="generate")
    sample_rate: int = setting(32000, ge=8000, le=192000, stage="generate")
    # a level, or [low, high]: each clip's level drawn from its seed
    loudness_lufs: float | list[float] = setting(-18.0, ge=-70, le=0, stage="generate")
    peak_dbfs: float = setting(-1.0, ge=-60, le=0, stage="generate")
    # clips per generate_batch call, or auto: the backend's choice (MusicGen: the largest batch
    # that fits in the GPU's memory); speed only
    batch_size: int | typing.Literal["auto"] = setting(8, ge=1)
    workers: int = setting(1, ge=1, le=256)              # processes for CPU backends: speed only
    options: dict = setting(factory=dict, stage="generate")  # backend-specific settings

    @property
    def n_samples(self) -> int:
        """Samples in one finished clip (``duration_s`` at ``sample_rate``)."""
        return int(round(self.duration_s * self.sample_rate))


@dataclass
class EmbeddingConfig:
    backend: str = setting("musicnn", stage="embed")
    batch_size: int = setting(16, ge=1)                  # clips per forward pass: speed only
    options: dict = setting(factory=dict, stage="embed")


@dataclass
class TrainingConfig:
    hidden_units: int = setting(128, ge=1, stage="train")
    learning_rate: float = setting(1e-4, gt=0, le=10, stage="train")
    batch_size: int = setting(32, ge=1, stage="train")   # mini-batches: changes the fit
    max_epochs: int = setting(300, ge=1, stage="train")
    patience: int = setting(5, ge=1, stage="train")
    val_fraction: float = setting(0.1, gt=0, lt=1, stage="train")
    class_weights: bool = setting(True, stage="train")
    standardize: bool = setting(True, stage="train")          # z-score inputs with training-split statistics
    group_by_description: bool = setting(True, stage="train")  # all takes of a description on one side of the split
    device: str = setting("cpu", stage="train")
    spread_seeds: int = setting(4, ge=0, le=100, stage="train")  # more classifiers on the same split (seeds seed+1...)


@dataclass
class EvaluationConfig:
    real_data: str | None = setting(None, stage="embed")     # <kind>:<path> (gtzan, fma, mtg-jamendo, ...) or a folder/CSV
    label_map: str | dict = setting("auto", stage="evaluate")  # dataset label -> study genre
    window_s: float = setting(10.0, gt=0, le=600, stage="embed")
    max_windows: int = setting(3, ge=1, le=1000, stage="embed")
    examples_per_genre: int = setting(2, ge=0, le=1000)       # audio players in the reports
    max_mistakes: int = setting(10, ge=0, le=10000)           # mistakes listed in the reports


@dataclass
class TaskConfig:
    # genre: the paper's study (stages 1-5); tempo or key: stages 1-2, then helpers.tasks
    name: typing.Literal["genre", "tempo", "key"] = setting("genre", stage="task")
    model: str | None = setting(None, stage="task")        # None: tempo-cnn / key-cnn (helpers.tasks.TASK_MODELS)
    baseline: str | None = setting(None, stage="task")     # None: librosa-tempo / key-profile
    options: dict = setting(factory=dict, stage="task")    # the model's own settings (e.g. filters)
    learning_rate: float = setting(1e-3, gt=0, le=1, stage="task")
    batch_size: int = setting(32, ge=1, stage="task")
    max_epochs: int = setting(40, ge=1, stage="task")
    patience: int = setting(6, ge=1, stage="task")
    val_fraction: float = setting(0.1, gt=0, lt=1, stage="task")
    # annotated real recordings: "<kind>:<path>" (helpers.benchmarks.annotated), one or a list
    real_data: str | list[str] | None = setting(None, stage="evaluate")
    window_s: float = setting(30.0, gt=0, le=600, stage="evaluate")  # seconds of each real recording, from its start
    max_mistakes: int = setting(12, ge=0, le=10000, stage="evaluate")


@dataclass
class Config:
    profile: str = setting("offline")
    run_dir: str = setting("runs/offline")
    seed: int = setting(20231105, ge=0, lt=2 ** 63, stage=("prompts", "train", "task"))  # seeds, split, models
    genres: list[str] = setting(factory=lambda: list(GENRES), stage="prompts")
    prompts: PromptsConfig = field(default_factory=PromptsConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    task: TaskConfig = field(default_factory=TaskConfig)

    @property
    def run_path(self) -> Path:
        """The run folder, absolute (relative paths are taken from the project root)."""
        p = Path(os.path.expanduser(self.run_dir))
        return p if p.is_absolute() else PROJECT_ROOT / p

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# --- building from plain data, with type and range checks -----------------------------

class _Origins:
    """Where each setting came from: the profile file, a parameter or ``--set``."""

    def __init__(self, default: str):
        self.default, self.keys = default, {}

    def of(self, dotted: str) -> str:
        key = dotted
        while key:
            if key in self.keys:
                return self.keys[key]
            parent = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", key)
            key = "" if parent == key else parent
        return self.default

    def where(self, dotted: str) -> str:
        return f"{dotted} (from {self.of(dotted)})"


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
        allowed = " or ".join("null" if a is type(None) else _type_name(a) for a in args)
        raise ConfigError(f"{where}: {value!r} is not {allowed}")
    if origin is typing.Literal:
        if value not in args:
            raise ConfigError(f"{where}: expected {' or '.join(map(repr, args))}, got {value!r}")
        return value
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
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{where}: expected a finite number, got {value!r}")
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


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}s"
    if origin is typing.Literal:
        return " or ".join(map(repr, typing.get_args(tp)))
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false",
            dict: "a mapping"}.get(origin or tp, str(tp))


def allowed_range(f: dataclasses.Field) -> str | None:
    """A field's range in words (``>= 1``, ``> 0 and <= 600``), or None."""
    m = f.metadata
    parts = [f"{op} {m[k]}" for k, op in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if m.get(k) is not None]
    return " and ".join(parts) or None


def _check_range(value: Any, f: dataclasses.Field, where: str) -> None:
    m = f.metadata
    values = value if isinstance(value, list) else [value]
    for v in values:
        if v is None or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        ok = ((m.get("ge") is None or v >= m["ge"]) and (m.get("gt") is None or v > m["gt"])
              and (m.get("le") is None or v <= m["le"]) and (m.get("lt") is None or v < m["lt"]))
        if not ok:
            raise ConfigError(f"{where}: {value!r} is out of range; allowed: {allowed_range(f)}")


def _build(cls, data: dict, prefix: str, origins: _Origins):
    if not isinstance(data, dict):
        raise ConfigError(f"{origins.where(prefix or 'the profile')}: expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        keys = [f"{prefix}.{k}" if prefix else str(k) for k in sorted(unknown, key=str)]
        raise ConfigError(f"unknown key(s) {keys} (from {origins.of(keys[0])}); known: {sorted(fields)}")
    kwargs = {}
    for name, value in data.items():
        tp, dotted = hints[name], f"{prefix}.{name}" if prefix else name
        if dataclasses.is_dataclass(tp):
            kwargs[name] = _build(tp, value, dotted, origins)
        else:
            kwargs[name] = _check_type(value, tp, origins.where(dotted))
            _check_range(kwargs[name], fields[name], origins.where(dotted))
    return cls(**kwargs)


def leaf_fields(cls=None, prefix: str = "") -> Iterator[tuple[str, dataclasses.Field]]:
    """Every setting of :class:`Config` as ``(dotted key, field)``."""
    hints = typing.get_type_hints(cls or Config)
    for f in dataclasses.fields(cls or Config):
        dotted = f"{prefix}.{f.name}" if prefix else f.name
        if dataclasses.is_dataclass(hints[f.name]):
            yield from leaf_fields(hints[f.name], dotted)
        else:
            yield dotted, f


def stage_of(dotted: str) -> tuple[str, ...]:
    """The stages whose output the setting ``dotted`` changes (empty: none, only speed or reports)."""
    for key, f in leaf_fields():
        if key == dotted:
            stage = f.metadata.get("stage")
            return () if stage is None else (stage,) if isinstance(stage, str) else tuple(stage)
    raise KeyError(dotted)


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


def _validate(cfg: Config, origins: _Origins) -> Config:
    """Checks across settings, and those of values a type and a range cannot say."""
    cfg.genres = _validate_genres(cfg.genres, origins.where("genres"))
    from .benchmarks import BenchmarkError, check_label_map, check_spec

    try:
        check_label_map(cfg.evaluation.label_map, cfg.genres)
    except ValueError as exc:
        raise ConfigError(f"{origins.where('evaluation.label_map')}: evaluation.label_map: {exc}") from None
    if cfg.evaluation.real_data:
        try:
            check_spec(cfg.evaluation.real_data)
        except BenchmarkError as exc:
            raise ConfigError(f"{origins.where('evaluation.real_data')}: evaluation.{exc}") from None
    lufs = cfg.generation.loudness_lufs
    if isinstance(lufs, list) and (len(lufs) != 2 or lufs[0] > lufs[1]):
        raise ConfigError(f"{origins.where('generation.loudness_lufs')}: {lufs!r}; allowed: a number, "
                          "or [low, high] with low <= high")
    for dotted in ("generation.backend", "embedding.backend", "training.device", "profile", "run_dir"):
        section, _, name = dotted.rpartition(".")
        value = getattr(getattr(cfg, section) if section else cfg, name)
        if not str(value).strip():
            raise ConfigError(f"{origins.where(dotted)}: empty; name one")
    return cfg


FLAT_PARAMETERS = {
    "clips_per_genre": "prompts.clips_per_genre",
    "real_data": "evaluation.real_data",
    "run_dir": "run_dir",
    "seed": "seed",
    "generator": "generation.backend",
    "embedder": "embedding.backend",
}


def _set_dotted(data: dict, dotted: str, value: Any, origin: str) -> None:
    keys = dotted.split(".")
    if not all(keys):
        raise ConfigError(f"{origin}: {dotted!r} is not a dotted key (e.g. training.patience)")
    node = data
    for i, k in enumerate(keys[:-1]):
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{origin}: {'.'.join(keys[:i + 1])!r} is a setting, not a section, "
                              f"so {dotted!r} does not exist")
    node[keys[-1]] = value


def parse_overrides(items: typing.Iterable[str], flag: str = "--set") -> dict:
    """``["training.patience=10", "genres=[Rock, Pop]"]`` -> ``{dotted key: YAML value}``;
    a malformed item is a :class:`ConfigError` naming it."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} wants KEY=VALUE (e.g. training.patience=10), got {item!r}")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{flag} {item!r}: the value {value!r} is not valid YAML ({problem}); "
                              "quote it, or close its brackets") from None
    return out


def config_path(profile: str) -> Path:
    """``configs/<profile>.yaml``; ``profile`` may also be a path to a YAML file."""
    p = Path(os.path.expanduser(str(profile)))
    if p.suffix in (".yaml", ".yml") or os.sep in str(profile):  # a path, taken as it is
        return p
    return PROJECT_ROOT / "configs" / f"{profile}.yaml"


def load_config(profile: str = "offline", overrides: dict | None = None, overrides_from: str = "overrides",
                **params) -> Config:
    """Read ``configs/<profile>.yaml`` and apply notebook parameters.

    Every setting is checked for its type and range once, here; an error names
    the key, the value, where it came from (the profile file, a parameter or
    ``--set``) and what is allowed.

    Args:
        profile: profile name (or a YAML path).
        overrides: dotted keys to values, e.g. ``{"training.patience": 3}``.
        overrides_from: how errors name where ``overrides`` came from (``--set`` on the command line).
        **params: flat parameters (see ``FLAT_PARAMETERS``); ``None`` means
            "keep the profile's value".
    """
    path = config_path(profile)
    if not path.exists():
        known = sorted(p.stem for p in (PROJECT_ROOT / "configs").glob("*.yaml"))
        if Path(str(profile)).suffix in (".yaml", ".yml") or os.sep in str(profile):
            raise ConfigError(f"the profile file {profile} does not exist (known profiles: {known})")
        raise ConfigError(f"no profile {profile!r}: {path} does not exist (known: {known})")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the profile ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    origins = _Origins(str(path))
    for name, value in params.items():
        if name not in FLAT_PARAMETERS:
            raise ConfigError(f"unknown parameter {name!r}; known: {sorted(FLAT_PARAMETERS)}")
        if value is not None:
            _set_dotted(data, FLAT_PARAMETERS[name], value, f"parameter {name}")
            origins.keys[FLAT_PARAMETERS[name]] = f"parameter {name}"
    for dotted, value in (overrides or {}).items():
        label = f"{overrides_from} {dotted}={value!r}"
        _set_dotted(data, dotted, value, label)
        origins.keys[dotted] = label
    data.setdefault("profile", path.stem)
    return _validate(_build(Config, data, "", origins), origins)
