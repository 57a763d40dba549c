#!/usr/bin/env bash
# Run the test suite in the project's venv (made on first use).
#   ./run_tests.sh            all tests
#   ./run_tests.sh -k musicnn  any pytest arguments
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$("$ROOT/scripts/setup_env.sh")"
cd "$ROOT"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
exec "$VENV/bin/python" -m pytest "$@"
