"""A generator backend for the launcher tests, importable by the shards'
processes (the tests put this folder on their PYTHONPATH).

``dying-tone`` is the ``tone`` test generator, except that a process that is
asked for the clip named by ``$SYNTHMIR_TEST_DIE_AT`` kills itself with
SIGKILL before making it: a shard dies mid-way, as on a node failure.
"""

from __future__ import annotations

import os
import signal

from conftest import ToneGenerator
from helpers.generation import GENERATORS

DIE_AT = "SYNTHMIR_TEST_DIE_AT"


class DyingTone(ToneGenerator):
    name = "dying-tone"

    def generate_batch(self, requests):
        if os.environ.get(DIE_AT) in {r.id for r in requests}:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().generate_batch(requests)


GENERATORS.register("dying-tone", DyingTone)


SLOW = "SYNTHMIR_TEST_SLOW_S"


class SlowTone(ToneGenerator):
    """``tone``, sleeping ``$SYNTHMIR_TEST_SLOW_S`` seconds per batch: a writer that holds a run folder a while."""

    name = "slow-tone"

    def generate_batch(self, requests):
        import time

        time.sleep(float(os.environ.get(SLOW, "0")))
        return super().generate_batch(requests)


GENERATORS.register("slow-tone", SlowTone)
