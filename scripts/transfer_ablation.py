"""Reproduce the transfer ablation (README, "What makes symbolic clips transfer").

    ./synthmir ablation --real-data data/realbench-dev-big      (the same, through the project's venv)

See :mod:`helpers.ablation`.
"""

import sys

from helpers.ablation import main

if __name__ == "__main__":
    sys.exit(main())
