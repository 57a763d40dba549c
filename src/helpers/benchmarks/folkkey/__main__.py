"""``python -m helpers.benchmarks.folkkey {find,fetch} ...``."""

import sys

from ..scorekey.fetch import main
from . import FOLKKEY

sys.exit(main(tool=FOLKKEY))
