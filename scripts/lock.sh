#!/usr/bin/env bash
# Refresh the lock files from requirements/*.txt (maintainers; needs the package index).
#
#   scripts/lock.sh            re-resolve: newest versions the ranges admit
#   scripts/lock.sh --check    fail if the lock files are not what the ranges resolve to now
#   scripts/lock.sh --docs     re-resolve requirements/docs.lock only (the study's lock untouched)
#
# requirements/lock.txt      torch.txt + base.txt, every package (dependencies
#                            included) at one exact version with its hashes
# requirements/nodeps.lock   nodeps.txt, the packages installed with --no-deps, with hashes
# requirements/docs.lock     docs.txt, the documentation site's own venv (mkdocs), with hashes
#
# The lock is for CPython 3.11 on Linux x86_64 (manylinux_2_28), where the study
# and its GPU machines run. It is made with uv (pinned below), kept in the cache.
# scripts/setup_env.sh installs from these two files only, and keys the venv on them
# (and, for `scripts/setup_env.sh docs`, from docs.lock into a venv of its own).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION=0.13.8
PY_VERSION=3.11
PLATFORM=x86_64-manylinux_2_28
TOOLS="${XDG_CACHE_HOME:-$HOME/.cache}/synthmir/tools-uv-$UV_VERSION"
if [ ! -x "$TOOLS/bin/uv" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip -q --disable-pip-version-check install "uv==$UV_VERSION"
fi
OUT="$ROOT/requirements"
[ "${1:-}" = "--check" ] && { OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT; }
compile() {  # uv pip compile, with the command that made it in the header
  "$TOOLS/bin/uv" pip compile --quiet --generate-hashes --python-version "$PY_VERSION" \
    --python-platform "$PLATFORM" --custom-compile-command "scripts/lock.sh" "$@"
}
cd "$ROOT"
if [ "${1:-}" = "--docs" ]; then
  compile requirements/docs.txt -o "$OUT/docs.lock"
  echo "[lock] wrote requirements/docs.lock ($(grep -c '==' requirements/docs.lock) packages)"
  exit 0
fi
compile requirements/docs.txt -o "$OUT/docs.lock"
compile requirements/torch.txt requirements/base.txt -o "$OUT/lock.txt"
compile --no-deps requirements/nodeps.txt -o "$OUT/nodeps.lock"
if [ "${1:-}" = "--check" ]; then
  diff -u requirements/lock.txt "$OUT/lock.txt" && diff -u requirements/nodeps.lock "$OUT/nodeps.lock" \
    && diff -u requirements/docs.lock "$OUT/docs.lock" \
    && echo "[lock] requirements/lock.txt, nodeps.lock and docs.lock are current"
else
  echo "[lock] wrote requirements/lock.txt ($(grep -c '==' requirements/lock.txt) packages), nodeps.lock and docs.lock"
fi
