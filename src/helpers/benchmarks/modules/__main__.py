"""``python -m helpers.benchmarks.modules {fetch,analyse,survey,library} ...``."""

import sys

from .cli import main

sys.exit(main())
