"""Run one notebook with papermill and say what went wrong in the notebook's own words.

``run_all.sh`` calls this instead of the ``papermill`` command: the options
are papermill's, as they are. When a cell fails, papermill's 60-line wrapper
is replaced by one line:

* a :class:`~helpers.errors.SynthMIRError` (a bad setting, a missing input,
  a busy run folder ...), which the notebook's first cell shows as one line
  (:func:`helpers.errors.notebook_errors`): that line, and exit status 2;
* anything else: the error and the cell it came from, its traceback written
  to ``<run>/logs/`` and named, and exit status 1.

::

    python -m helpers.execute --run-dir RUN -- IN.ipynb OUT.ipynb [papermill options]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from .errors import CRASH, NOTEBOOK_MARK, USER_ERROR, report, write_log

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _plain(lines) -> list[str]:
    return [_ANSI.sub("", str(line)) for line in lines or []]


def outcome(exc, notebook: str, run_dir: Path | None) -> tuple[int, str]:
    """``(exit status, message)`` for a :class:`papermill.exceptions.PapermillExecutionError`."""
    lines = [ln for block in _plain(exc.traceback) for ln in block.splitlines()]
    user = [ln for ln in lines if ln.startswith(NOTEBOOK_MARK)]
    if user:
        text = "\n".join([user[0][len(NOTEBOOK_MARK):].strip()] + lines[lines.index(user[0]) + 1:])
        return USER_ERROR, f"{notebook}: error: {text.strip()}"
    log = write_log(f"notebook: {notebook}\ncell: In [{exc.exec_count}]\n\n{exc.source}\n\n" + "\n".join(lines) + "\n",
                    Path(notebook).stem, run_dir)
    return CRASH, f"{notebook}: unexpected error in cell In [{exc.exec_count}]: {exc.ename}: {exc.evalue} (traceback: {log})"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    run_dir = None
    if argv[:1] == ["--run-dir"]:
        run_dir, argv = Path(argv[1]), argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    from papermill.cli import papermill as papermill_cli
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(argv[0]).stem if argv else "notebook"
    try:
        papermill_cli.main(args=argv, prog_name="papermill", standalone_mode=False)
    except PapermillExecutionError as exc:
        status, message = outcome(exc, notebook, run_dir)
        print(message, file=sys.stderr)
        return status
    except Exception as exc:  # noqa: BLE001 - papermill itself failed (no kernel, unreadable notebook ...)
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return USER_ERROR
        return report(exc, f"papermill {notebook}", run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
