"""``python -m helpers.benchmarks.scorekey {find,fetch} ...``."""

import sys

from .fetch import main

sys.exit(main())
