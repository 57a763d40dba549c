"""Moved to :mod:`helpers.benchmarks.debian`; this name stays so that
``python -m helpers.realbench ...`` and ``from helpers import realbench`` keep
working. Importing it gives the very same module object, so attributes set on
one (a test's monkeypatch) are seen through the other."""

import sys

from helpers.benchmarks import debian as _debian

if __name__ == "__main__":
    sys.exit(_debian.main())
else:
    sys.modules[__name__] = _debian
