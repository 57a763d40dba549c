#!/usr/bin/env bash
# Make (once) the project's virtual environment and print its path.
#
# It is installed from the lock files only (requirements/lock.txt and
# nodeps.lock: exact versions, checked by hash; scripts/lock.sh refreshes them),
# so two clones of one commit get the same packages. The venv lives outside the
# clone, keyed by a hash of the lock files and the Python version, so every clone
# with the same lock reuses it and a new lock builds a new one. A venv is complete only once its
# `.complete` marker exists: an interrupted set-up is wiped and redone.
#
#   SYNTHMIR_VENV=/path   use (or make) the venv there instead
#   PYTHON=python3.11     the interpreter to build it with
#
#   scripts/setup_env.sh docs   the same for an optional group: the documentation
#                               site's venv (mkdocs, from requirements/docs.lock),
#                               docs-venv-<hash> beside the study's, which does not grow
#                               (SYNTHMIR_DOCS_VENV=/path to put it elsewhere)
#   scripts/setup_env.sh scorekey   music21 for the scorekey benchmark's fetch
#                               (requirements/scorekey.lock; SYNTHMIR_SCOREKEY_VENV=/path)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GROUP="${1:-study}"
case "$GROUP" in  # which lock files, which venv, what a complete venv imports
  study) LOCKS=("$ROOT/requirements/lock.txt" "$ROOT/requirements/nodeps.lock"); NAME=venv; VENV="${SYNTHMIR_VENV:-}"
         IMPORTS="import torch, torchvision, transformers, timm, hear21passt, tinysoundfont, musicnn, papermill" ;;
  docs)  LOCKS=("$ROOT/requirements/docs.lock"); NAME=docs-venv; VENV="${SYNTHMIR_DOCS_VENV:-}"
         IMPORTS="import mkdocs, material, pymdownx" ;;
  scorekey) LOCKS=("$ROOT/requirements/scorekey.lock"); NAME=scorekey-venv; VENV="${SYNTHMIR_SCOREKEY_VENV:-}"; IMPORTS="import music21" ;;
  *) echo "[setup] error: unknown group $GROUP (study, docs, scorekey)" >&2; exit 2 ;;
esac
PY="${PYTHON:-python3}"
LOCK_PY=3.11   # the Python the lock was made for (scripts/lock.sh)
PY_VERSION="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)"
if [ "$PY_VERSION" != "$LOCK_PY" ]; then
  echo "[setup] error: requirements/lock.txt is for Python $LOCK_PY, but $PY is Python ${PY_VERSION:-(not found)}; set PYTHON=python$LOCK_PY" >&2
  exit 2
fi
HASH="$(cat "${LOCKS[@]}" <(echo "$PY_VERSION") | sha256sum | cut -c1-12)"
VENV="${VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/synthmir/$NAME-$HASH}"
log() { echo "[setup] $*" >&2; }

PIPLOG="$(dirname "$VENV")/$(basename "$VENV").pip.log"
pip_() {  # pip, its chatter kept in a log that is shown only when it fails
  "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" >>"$PIPLOG" 2>&1 \
    || { tail -n 60 "$PIPLOG" >&2; log "pip failed: $* (full log: $PIPLOG)"; exit 1; }
}

if [ ! -f "$VENV/.complete" ]; then
  [ -d "$VENV" ] && { log "removing an unfinished venv at $VENV"; rm -rf "$VENV"; }
  if [ "$GROUP" = study ]; then
    log "creating $VENV (first run: about 10 minutes, mostly torch; pip log: $PIPLOG)"
  else
    log "creating $VENV (the $GROUP group, first run only; pip log: $PIPLOG)"
  fi
  mkdir -p "$(dirname "$VENV")"
  : >"$PIPLOG"
  "$PY" -m venv "$VENV"
  pip_ install --upgrade pip
  if [ "$GROUP" = study ]; then
    # every package at the lock's version and hash; the lock holds the dependencies too,
    # so nothing outside it is installed (one torch for the whole project: requirements/torch.txt)
    pip_ install --require-hashes --no-deps -r "$ROOT/requirements/lock.txt"
    # obsolete or unbuildable declared dependencies: files only (see requirements/nodeps.txt)
    pip_ install --require-hashes --no-deps -r "$ROOT/requirements/nodeps.lock"
  else
    pip_ install --require-hashes --no-deps -r "${LOCKS[0]}"  # an optional group: its own lock, the same way
  fi
  "$VENV/bin/python" -m pip check >>"$PIPLOG" 2>&1 || log "pip check reports conflicts (see $PIPLOG); the nodeps packages are expected there"
  "$VENV/bin/python" -c "$IMPORTS" >&2
  touch "$VENV/.complete"
  log "venv ready"
fi
# The symbolic generator's SoundFonts (FluidR3_GM, MuseScore General, AVL drum kits) from
# Debian packages, into the cache, without root; once. Without apt the study goes on with
# TimGM6mb (shipped with pretty_midi) and whatever is installed, and this says so once.
SF_DIR="${SYNTHMIR_SOUNDFONTS:-${XDG_CACHE_HOME:-$HOME/.cache}/synthmir/soundfonts}"
if [ "$GROUP" = study ] && [ ! -f "$SF_DIR/.fetch-tried" ] && [ -z "${SYNTHMIR_NO_SOUNDFONT_FETCH:-}" ]; then
  log "fetching SoundFonts into $SF_DIR (once; about 500 MB)"
  mkdir -p "$SF_DIR"
  PYTHONPATH="$ROOT/src" "$VENV/bin/python" -c "import sys; from helpers.generators.symbolic.soundfonts import main; sys.exit(main(['fetch', '--quiet']))" >&2 \
    || log "SoundFont fetch failed; the symbolic generator uses what it finds"
  touch "$SF_DIR/.fetch-tried"
fi
# The project's own code is NOT installed into the venv: venvs are shared between
# clones, so each entry point (run_tests.sh, run_all.sh, synthmir) puts its own
# clone's src/ first on PYTHONPATH. Code and runs always come from the clone the
# command was started in.
echo "$VENV"
