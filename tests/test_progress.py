"""helpers.progress: the style a ``progress`` argument picks, plain progress
lines with a summary, and the one-line stage summaries run_all.sh prints."""

import io
import json
import os
import re

import pytest

from helpers import progress as P


@pytest.mark.parametrize("argument, env, mode", [
    (False, "lines", "off"), (True, None, "auto"), (True, "lines", "lines"), (True, " Bar ", "bar"),
    ("lines", "off", "lines"), (None, None, "off"),
])
def test_the_progress_argument_and_the_environment_pick_the_style(argument, env, mode, monkeypatch):
    if env is None:
        monkeypatch.delenv(P.ENV_MODE, raising=False)
    else:
        monkeypatch.setenv(P.ENV_MODE, env)
    assert P.progress_mode(argument) == mode


def test_unknown_styles_and_intervals_are_errors_naming_their_source(monkeypatch):
    monkeypatch.setenv(P.ENV_MODE, "fancy")
    with pytest.raises(ValueError, match="environment variable SYNTHMIR_PROGRESS: unknown progress style 'fancy'"):
        P.progress_mode(True)
    with pytest.raises(ValueError, match="argument progress: unknown progress style 'loud'"):
        P.progress_mode("loud")
    monkeypatch.setenv(P.ENV_MODE, "lines")
    monkeypatch.setenv(P.ENV_INTERVAL, "soon")
    with pytest.raises(ValueError, match="SYNTHMIR_PROGRESS_INTERVAL: expected seconds, got 'soon'"):
        P.progress_bar(total=3)


def test_outside_a_terminal_auto_writes_lines(monkeypatch):
    monkeypatch.delenv(P.ENV_MODE, raising=False)
    monkeypatch.setattr("sys.stderr", io.StringIO())  # not a TTY: a log file, a SLURM job
    bar = P.progress_bar(total=2, desc="x")
    assert isinstance(bar, P.LineBar)
    bar.close()
    off = P.progress_bar(total=2, progress=False)
    assert off.disable and not isinstance(off, P.LineBar)


@pytest.fixture
def clock(monkeypatch):
    """tqdm's clock, moved by hand: rates and times are exact."""
    now = [1000.0]
    monkeypatch.setattr("tqdm.std.time", lambda: now[0])
    return now


def test_line_progress_writes_whole_lines_with_count_rate_and_time_left(clock):
    out = io.StringIO()
    bar = P.LineBar(total=10, initial=4, desc="generate (symbolic)", unit="clip", file=out, mininterval=0)
    for _ in range(6):
        clock[0] += 2.0
        bar.update(1)
    bar.set_postfix(loss="0.5")
    bar.close()
    text = out.getvalue()
    assert "\r" not in text
    assert text.splitlines() == [
        "generate (symbolic): 4/10 clips (40%)",
        "generate (symbolic): 5/10 clips (50%), 0.50 clips/s, 10 s left",
        "generate (symbolic): 6/10 clips (60%), 0.50 clips/s, 8.0 s left",
        "generate (symbolic): 7/10 clips (70%), 0.50 clips/s, 6.0 s left",
        "generate (symbolic): 8/10 clips (80%), 0.50 clips/s, 4.0 s left",
        "generate (symbolic): 9/10 clips (90%), 0.50 clips/s, 2.0 s left",
        "generate (symbolic): 10/10 clips (100%), 0.50 clips/s, 0.0 s left",
        # set_postfix waits for the next line; the summary counts only what this run made
        "generate (symbolic): 6 clips in 12 s (0.50 clips/s); 4 done before; loss=0.5",
    ]


def test_line_progress_writes_at_most_one_line_per_interval(clock):
    out = io.StringIO()
    bar = P.LineBar(range(100), desc="train", unit="epoch", file=out, mininterval=30)
    for _ in bar:
        clock[0] += 1.0
        bar.set_postfix(val_loss="0.1")
    assert out.getvalue().splitlines() == [
        "train: 0/100 epochs (0%)",
        "train: 30/100 epochs (30%), 1.00 epochs/s, 1 min 10 s left, val_loss=0.1",
        "train: 60/100 epochs (60%), 1.00 epochs/s, 40 s left, val_loss=0.1",
        "train: 90/100 epochs (90%), 1.00 epochs/s, 10 s left, val_loss=0.1",
        "train: 100 epochs in 1 min 40 s (1.00 epochs/s); val_loss=0.1",
    ]


def _profile(path, **record):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))
    return path


def test_stage_summaries_say_what_each_stage_did(tmp_path):
    run = tmp_path
    _profile(run / "prompts" / "profile.json", rows=30, elapsed_s=0.04)
    _profile(run / "clips" / "profile.json", clips_made=20, clips_total=30, elapsed_s=4.0)
    _profile(run / "embeddings" / "musicnn-1234" / "profile.json", clips=30, elapsed_s=12.0)
    _profile(run / "model" / "profile.json", train=20, val=10, best_epoch=7, stopped_epoch=12, elapsed_s=75.0)
    _profile(run / "metrics.json", synthetic_val={"accuracy": 0.9}, real={"accuracy": 0.5, "tracks": 10})
    assert P.stage_summary("01_prompts", run) == "30 prompts in 0.0 s"
    assert P.stage_summary("02_generate", run) == "20 clips in 4.0 s (5.00 clips/s); 10 made before"
    assert P.stage_summary("03_embed", run) == "30 clips embedded in 12 s (2.50 clips/s)"
    assert P.stage_summary("04_train", run) == "20 training + 10 validation clips, best epoch 7 of 12, in 1 min 15 s"
    assert P.stage_summary("05_evaluate", run) == "synthetic val accuracy 90.0 %; real 50.0 % on 10 tracks"
    assert P.stage_summary("06_scaling", run) == ""


def test_a_stage_that_found_its_work_done_says_so(tmp_path):
    old = _profile(tmp_path / "clips" / "profile.json", clips_made=30, elapsed_s=4.0)
    os.utime(old, (1_000_000, 1_000_000))
    assert P.stage_summary("02_generate", tmp_path, since=2_000_000) == "clips already made"
    assert P.stage_summary("03_embed", tmp_path, since=2_000_000) == "embeddings already made"
