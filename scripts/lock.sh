#!/usr/bin/env bash
# Refresh the lock files from requirements/*.txt (maintainers; needs the package index).
#
#   scripts/lock.sh            re-resolve: newest versions the ranges admit
#   scripts/lock.sh --check    fail if a lock file is not a resolution of the ranges as they are now
#                              (its versions kept where the ranges still admit them: a newer release
#                              on the index is not a failure; an edited range the lock breaks is)
#   scripts/lock.sh --docs     re-resolve requirements/docs.lock only (the study's lock untouched)
#   scripts/lock.sh --scorekey re-resolve requirements/scorekey.lock only
#
# requirements/lock.txt      torch.txt + base.txt, every package (dependencies
#                            included) at one exact version with its hashes
# requirements/nodeps.lock   nodeps.txt, the packages installed with --no-deps, with hashes
# requirements/docs.lock     docs.txt, the documentation site's own venv (mkdocs), with hashes
# requirements/scorekey.lock scorekey.txt, music21 for the scorekey benchmark's own venv, with hashes
#
# The lock is for CPython 3.11 on Linux x86_64 (manylinux_2_28), where the study
# and its GPU machines run. It is made with uv (pinned below), kept in the cache.
# scripts/setup_env.sh installs from these two files only, and keys the venv on them
# (and, for `scripts/setup_env.sh docs` or `scorekey`, from that group's lock into a venv of its own).
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
if [ "${1:-}" = "--check" ]; then  # uv keeps the versions of an existing output file it still can
  OUT="$(mktemp -d)"; trap 'rm -rf "$OUT"' EXIT
  cp "$ROOT"/requirements/lock.txt "$ROOT"/requirements/*.lock "$OUT"/
fi
compile() {  # uv pip compile, with the command that made it in the header
  "$TOOLS/bin/uv" pip compile --quiet --generate-hashes --python-version "$PY_VERSION" \
    --python-platform "$PLATFORM" --custom-compile-command "scripts/lock.sh" "$@"
}
cd "$ROOT"
OPTIONAL=(docs scorekey)  # the optional groups, each requirements/<group>.txt -> <group>.lock
for group in "${OPTIONAL[@]}"; do
  if [ "${1:-}" = "--$group" ]; then
    compile "requirements/$group.txt" -o "$OUT/$group.lock"
    echo "[lock] wrote requirements/$group.lock ($(grep -c '==' "requirements/$group.lock") packages)"
    exit 0
  fi
done
for group in "${OPTIONAL[@]}"; do compile "requirements/$group.txt" -o "$OUT/$group.lock"; done
compile requirements/torch.txt requirements/base.txt -o "$OUT/lock.txt"
compile --no-deps requirements/nodeps.txt -o "$OUT/nodeps.lock"
if [ "${1:-}" = "--check" ]; then
  diff -u requirements/lock.txt "$OUT/lock.txt" && diff -u requirements/nodeps.lock "$OUT/nodeps.lock" \
    && for group in "${OPTIONAL[@]}"; do diff -u "requirements/$group.lock" "$OUT/$group.lock" || exit 1; done \
    && echo "[lock] requirements/lock.txt, nodeps.lock, docs.lock and scorekey.lock resolve the ranges as they are"
else
  echo "[lock] wrote requirements/lock.txt ($(grep -c '==' requirements/lock.txt) packages), nodeps.lock, docs.lock and scorekey.lock"
fi
