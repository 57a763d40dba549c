"""Start SynthMIR's Jupyter kernel with the `helpers` of the clone it runs in.

Jupyter runs this file (``kernel.json``: ``python {resource_dir}/launch.py -f
{connection_file}``) with the notebook's folder as working directory. Clones
of the project share one venv and so one kernel spec; the clone is found here,
per kernel:

1. walking up from the working directory to a folder with ``configs/`` and
   ``src/helpers/``;
2. else the folder in ``SYNTHMIR_ROOT`` (``./synthmir lab`` sets it).

That clone's ``src/`` goes first on ``PYTHONPATH`` (so worker processes the
kernel spawns see it too), then the process becomes a plain IPython kernel.
Standard library only: this runs before anything of the project can import.
"""

import os
import sys
from pathlib import Path


def _is_project(folder: Path) -> bool:
    return (folder / "configs").is_dir() and (folder / "src" / "helpers" / "__init__.py").is_file()


def find_project(start: Path, fallback: str | None) -> Path | None:
    """The clone holding ``start`` (or one of its parents); else ``fallback`` if it is one."""
    for folder in (start, *start.parents):
        if _is_project(folder):
            return folder
    if fallback and _is_project(Path(fallback)):
        return Path(fallback).resolve()
    return None


def main() -> None:
    cwd = Path.cwd().resolve()
    root = find_project(cwd, os.environ.get("SYNTHMIR_ROOT"))
    if root is None:
        sys.stderr.write(f"SynthMIR kernel: no SynthMIR clone at or above {cwd}, and SYNTHMIR_ROOT "
                         f"({os.environ.get('SYNTHMIR_ROOT') or 'not set'}) is none: `import helpers` will fail. "
                         "Open the notebooks of a clone, or start JupyterLab with ./synthmir lab.\n")
    else:
        rest = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(root / "src") + (os.pathsep + rest if rest else "")
        os.environ["SYNTHMIR_ROOT"] = str(root)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *sys.argv[1:]])


if __name__ == "__main__":
    main()
