"""The "SynthMIR" Jupyter kernel: registered once per venv, resolving the clone per kernel.

Clones share one venv (see ``scripts/setup_env.sh``), so the kernel spec
cannot name a clone. It runs a small launcher (``resources/kernel/launch.py``,
copied into the spec's folder) that finds the clone from the kernel's working
directory, which is the notebook's folder in JupyterLab and under papermill
(``--cwd notebooks``), and puts that clone's ``src/`` first on ``PYTHONPATH``.

    python -m helpers.kernel            # register (idempotent); prints the spec's folder
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path

log = logging.getLogger(__name__)

KERNEL_NAME = "synthmir"
DISPLAY_NAME = "SynthMIR"


def kernel_spec(python: str | None = None) -> dict:
    """The ``kernel.json`` content: this venv's Python runs the launcher in the spec's folder."""
    return {
        "argv": [python or sys.executable, "{resource_dir}/launch.py", "-f", "{connection_file}"],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }


def kernel_dir(prefix: str | Path | None = None) -> Path:
    """Where the spec lives: ``<venv>/share/jupyter/kernels/synthmir`` (Jupyter searches there)."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def _write_if_changed(path: Path, text: str) -> bool:
    if path.is_file() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # atomic: concurrent installs from several clones never leave half a file
    return True


def install_kernel(prefix: str | Path | None = None) -> Path:
    """Register the kernel into ``prefix`` (default: this venv); a no-op when already there.

    Falls back to the user's Jupyter folder (``jupyter --data-dir``) when the
    venv is read-only. Returns the spec's folder.
    """
    launcher = (resources.files("helpers") / "resources" / "kernel" / "launch.py").read_text()
    spec = json.dumps(kernel_spec(), indent=1) + "\n"
    target = kernel_dir(prefix)
    try:
        changed = _write_if_changed(target / "launch.py", launcher)
        changed = _write_if_changed(target / "kernel.json", spec) or changed
    except PermissionError:
        from jupyter_core.paths import jupyter_data_dir

        user = Path(jupyter_data_dir()) / "kernels" / KERNEL_NAME
        log.warning("%s is not writable: registering the %s kernel in %s instead", target, DISPLAY_NAME, user)
        _write_if_changed(user / "launch.py", launcher)
        changed = _write_if_changed(user / "kernel.json", spec)
        target = user
    if changed:
        log.info("registered the %s kernel in %s", DISPLAY_NAME, target)
    return target


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(install_kernel())
    return 0


if __name__ == "__main__":
    sys.exit(main())
