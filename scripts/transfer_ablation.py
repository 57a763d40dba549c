"""Reproduce the transfer ablation (docs/findings.md, "The transfer ablation").

    ./synthmir ablation --real-data data/realbench-dev-big      (the same, through the project's venv)

See :mod:`helpers.ablation`.
"""

import sys

from helpers.ablation import main

if __name__ == "__main__":
    sys.exit(main())
