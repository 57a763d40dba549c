"""Done means verified: what each stage's ``.done`` records, and the checks the next stage makes.

A stage's ``.done`` holds, besides its settings, what its output must hold:
counts, and sizes or checksums cheap enough to check on every read (a stat
per clip; one SHA-256 of a prompts table, an embedding matrix or a
classifier). The stage after it checks them before it trusts the output,
so a file changed or cut short after its stage finished (by another
program, a full disk, a copy gone wrong) is named, not used:

========================  =================================================================
stage output              checked
========================  =================================================================
prompts/prompts.csv       its SHA-256
clips/                    the manifest's SHA-256 and rows, every listed prompt has a row,
                          every WAV's size (then, on a mismatch, its header: rate, length)
embeddings/<backend>/     synthetic.npz's SHA-256, one row per clip of the manifest,
                          no all-zero or non-finite row
model/                    classifier.pt's SHA-256
real embeddings           real.npz's SHA-256, at least one track embedded
========================  =================================================================

A mismatch is a :class:`~helpers.errors.VerificationError` that names the
files and the stage to run again, which redoes only what is wrong (stage 2
remakes only the clips that fail; stage 3 re-embeds only changed clips).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .data import Stage, file_sha256, sizes_digest
from .errors import MissingInput, VerificationError

#: at most this many file names in one message
SHOW = 8


def _names(items, show: int = SHOW) -> str:
    items = list(items)
    more = f" and {len(items) - show} more" if len(items) > show else ""
    return ", ".join(str(i) for i in items[:show]) + more


# --- prompts ---------------------------------------------------------------------------------

def prompts_record(path: Path, table: pd.DataFrame) -> dict:
    return {"rows": len(table), "sha256": file_sha256(path)}


def prompts_problems(stage: Stage, path: Path) -> list[str]:
    info = stage.done_info()
    if not path.exists():
        return [f"{path} is missing"]
    if "sha256" in info and file_sha256(path) != info["sha256"]:
        return [f"{path} changed after stage 1 finished (its SHA-256 differs from {stage.done_marker})"]
    return []


# --- clips -----------------------------------------------------------------------------------

def clips_record(clips_dir: Path, manifest: pd.DataFrame) -> dict:
    """What ``clips/.done`` records: rows, the manifest's SHA-256, a digest of every WAV's size."""
    return {"clips": len(manifest), "manifest_sha256": file_sha256(clips_dir / "metadata.csv"),
            "files_sha256": sizes_digest(clips_dir, manifest["file_name"].astype(str))}


def bad_clips(clips_dir: Path, manifest: pd.DataFrame, sample_rate: int, n_samples: int) -> list[str]:
    """Listed clips that are missing, unreadable, or of another rate or length (header checks)."""
    from .audio import wav_is_valid

    return [f for f in manifest["file_name"].astype(str)
            if not wav_is_valid(clips_dir / f, sample_rate, n_samples)]


def clips_problems(run_path: Path, sample_rate: int, n_samples: int, prompt_ids=None) -> list[str]:
    """Why ``clips/`` is not what its ``.done`` says (empty: it is)."""
    clips_dir = Path(run_path) / "clips"
    stage = Stage(clips_dir)
    info = stage.done_info()
    path = clips_dir / "metadata.csv"
    if not info:
        return [f"stage 2 is not finished in {clips_dir} (no {stage.done_marker.name})"]
    if not path.exists():
        return [f"{path} is missing"]
    try:
        manifest = pd.read_csv(path, dtype={"id": str, "file_name": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        return [f"{path} cannot be read ({exc})"]
    problems = []
    if "manifest_sha256" in info and file_sha256(path) != info["manifest_sha256"]:
        problems.append(f"{path} changed after stage 2 finished ({len(manifest)} rows; {info.get('clips')} recorded)")
    elif info.get("clips") is not None and len(manifest) != info["clips"]:
        problems.append(f"{path} lists {len(manifest)} clips, {stage.done_marker} recorded {info['clips']}")
    if prompt_ids is not None:
        missing = sorted(set(map(str, prompt_ids)) - set(manifest["id"]))
        if missing:
            problems.append(f"{len(missing)} prompt(s) have no clip in {path}: {_names(missing)}")
    if "files_sha256" not in info or sizes_digest(clips_dir, manifest["file_name"]) != info["files_sha256"]:
        bad = bad_clips(clips_dir, manifest, sample_rate, n_samples)
        if bad:
            problems.append(f"{len(bad)} clip(s) missing, cut short or not {sample_rate} Hz x {n_samples} "
                            f"samples in {clips_dir}: {_names(bad)}")
        elif "files_sha256" in info:
            problems.append(f"the sizes of the clips in {clips_dir} changed after stage 2 finished")
    return problems


def require_clips(run_path: Path, sample_rate: int, n_samples: int, prompt_ids=None) -> None:
    problems = clips_problems(run_path, sample_rate, n_samples, prompt_ids)
    if problems and problems[0].startswith("stage 2 is not finished"):
        raise MissingInput(problems[0] + ": run 02_generate (or, after sharded runs, `./synthmir merge`) first")
    if problems:
        raise VerificationError("the clips are not what stage 2 recorded: " + "; ".join(problems)
                                + ". Run stage 2 again (02_generate or ./synthmir generate): it remakes only "
                                  "what is wrong and keeps every valid clip")


# --- embeddings ----------------------------------------------------------------------------------

def embeddings_record(path: Path, emb: dict) -> dict:
    return {"clips": int(len(set(emb["ids"].tolist()))), "rows": int(len(emb["ids"])), "sha256": file_sha256(path)}


def bad_rows(X: np.ndarray, ids: np.ndarray) -> tuple[list[str], list[str]]:
    """Ids whose embedding is all zeros, and ids with a non-finite value."""
    X = np.asarray(X)
    if X.size == 0:
        return [], []
    zero = ~np.any(X != 0, axis=1)
    nonfinite = ~np.all(np.isfinite(X), axis=1)
    return sorted(set(ids[zero].tolist())), sorted(set(ids[nonfinite].tolist()))


def embeddings_problems(folder: Path, name: str, expected_ids=None, min_files: int = 0) -> list[str]:
    """Why ``<folder>/<name>.npz`` is not what the stage's ``.done`` says (empty: it is)."""
    stage = Stage(folder)
    info = stage.done_info()
    path = Path(folder) / f"{name}.npz"
    if not info:
        return [f"stage 3 is not finished in {folder} (no {stage.done_marker.name})"]
    if not path.exists():
        return [f"{path} is missing"]
    if "sha256" in info and file_sha256(path) != info["sha256"]:
        return [f"{path} changed after stage 3 finished (its SHA-256 differs from {stage.done_marker})"]
    try:
        with np.load(path, allow_pickle=False) as z:
            ids, X = z["ids"].astype(str), z["X"]
    except (OSError, ValueError, KeyError) as exc:
        return [f"{path} cannot be read ({exc})"]
    problems = []
    if len(ids) != len(X):
        problems.append(f"{path}: {len(ids)} ids for {len(X)} rows")
    if expected_ids is not None:
        expected = set(map(str, expected_ids))
        missing, extra = sorted(expected - set(ids)), sorted(set(ids) - expected)
        if missing:
            problems.append(f"{len(missing)} clip(s) of the manifest have no embedding in {path}: {_names(missing)}")
        if extra:
            problems.append(f"{len(extra)} embedding(s) in {path} belong to no clip of the manifest: {_names(extra)}")
    zero, nonfinite = bad_rows(X, ids)
    if zero:
        problems.append(f"{len(zero)} embedding(s) in {path} are all zeros: {_names(zero)}")
    if nonfinite:
        problems.append(f"{len(nonfinite)} embedding(s) in {path} hold NaN or inf: {_names(nonfinite)}")
    if len(set(ids)) < min_files:
        problems.append(f"{path} holds {len(set(ids))} file(s), fewer than {min_files}")
    return problems


def require_embeddings(folder: Path, name: str, expected_ids=None, min_files: int = 0) -> None:
    problems = embeddings_problems(folder, name, expected_ids, min_files)
    if problems and problems[0].startswith("stage 3 is not finished"):
        raise MissingInput(problems[0] + ": run 03_embed (or, after sharded runs, `./synthmir merge`) first")
    if problems:
        raise VerificationError(f"the {name} embeddings are not what stage 3 recorded: " + "; ".join(problems)
                                + ". Run stage 3 again (03_embed or ./synthmir embed): it re-embeds only what is wrong")


# --- the classifier ------------------------------------------------------------------------------

def model_record(path: Path) -> dict:
    return {"sha256": file_sha256(path)}


def require_model(model_dir: Path) -> None:
    stage = Stage(model_dir)
    info = stage.done_info()
    path = Path(model_dir) / "classifier.pt"
    if not info or not path.exists() or not (Path(model_dir) / "split.csv").exists():
        raise MissingInput(f"stage 4 is not finished in {model_dir}: run 04_train (./synthmir train) first")
    if "sha256" in info and file_sha256(path) != info["sha256"]:
        raise VerificationError(f"{path} changed after stage 4 finished (its SHA-256 differs from "
                                f"{stage.done_marker}): run stage 4 again (04_train or ./synthmir train)")
