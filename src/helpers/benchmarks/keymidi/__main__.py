"""``python -m helpers.benchmarks.keymidi {fetch,renderer,find} ...``."""

import sys

from .fetch import main

sys.exit(main())
