"""``python -m helpers.benchmarks.debian ...``: the fetch command line (as ``python -m helpers.realbench``)."""

import sys

from . import main

sys.exit(main())
