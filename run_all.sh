#!/usr/bin/env bash
# Run the whole study: notebooks 01..05 with papermill, then HTML reports.
#
#   ./run_all.sh                                   offline default (configs/offline.yaml)
#   ./run_all.sh --profile paper                   the paper's models (GPU + weights)
#   ./run_all.sh -p clips_per_genre 50             papermill-style parameters
#   ./run_all.sh -p real_data data/realbench-dev   evaluate on real recordings too
#   ./run_all.sh -p real_data gtzan:/data/gtzan    ... read in a dataset's own layout (gtzan, fma, mtg-jamendo)
#   ./run_all.sh --from 03                         start at a later notebook
#   ./run_all.sh --studies                         then the studies 06..11 (those that exist; 10-11: tempo, key)
#   ./run_all.sh --reports /tmp/r                  HTML elsewhere (default reports/<profile>/)
#   ./run_all.sh --no-wait                         stop at once if another process writes the run folder
#
# Executed notebooks go to runs/<profile>/notebooks/, HTML to reports/<profile>/
# with an index.html. Long stages print progress lines (count, rate, time left;
# SYNTHMIR_PROGRESS=off|bar|lines, SYNTHMIR_PROGRESS_INTERVAL=seconds) and each
# notebook ends with a summary line. Every stage resumes: after a crash or
# kill, run the same command again. One writer at a time: the run folder is
# locked while this runs (a second run waits, naming who holds it). A bad
# setting or input stops with one line and exit status 2; an unexpected error
# with exit status 1 and its traceback in the run folder's logs/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROFILE=offline
FROM=01
PARAMS=()
STUDIES=0
OUT_HTML=
NO_WAIT=()
ARGS=("$@")
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }  # the header above
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE="$2"; shift 2 ;;
    --profile=*) PROFILE="${1#*=}"; shift ;;
    --from) FROM="$2"; shift 2 ;;
    --studies) STUDIES=1; shift ;;
    --no-wait) NO_WAIT=(--no-wait); export SYNTHMIR_NO_WAIT=1; shift ;;
    --reports) [ $# -ge 2 ] || { echo "run_all.sh: --reports needs a folder" >&2; exit 2; }
      case "$2" in /*) OUT_HTML="$2" ;; *) OUT_HTML="$(pwd)/$2" ;; esac; shift 2 ;;
    -p|--parameters)
      [ $# -ge 3 ] || { echo "run_all.sh: -p needs NAME VALUE" >&2; exit 2; }
      name="$2"; value="$3"
      # paths given on the command line are taken from where the user stands
      if { [ "$name" = real_data ] || [ "$name" = task_real_data ]; } && [[ "$value" =~ ^([a-z][a-z0-9-]*):(.+)$ ]] && [ ! -e "$value" ]; then
        # <kind>:<path> (gtzan:data/gtzan): the path part is taken from where the user stands
        case "${BASH_REMATCH[2]}" in /*|~*) ;; *) value="${BASH_REMATCH[1]}:$(pwd)/${BASH_REMATCH[2]}" ;; esac
      elif [ "$name" = real_data ] || [ "$name" = run_dir ]; then
        case "$value" in /*|None) ;; *) value="$(pwd)/$value" ;; esac
      fi
      PARAMS+=(-p "$name" "$value"); shift 3 ;;
    -y|--parameters_yaml) PARAMS+=(-y "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_all.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$ROOT/configs/$PROFILE.yaml" ] || { echo "run_all.sh: no profile $PROFILE (configs/$PROFILE.yaml)" >&2; exit 2; }

VENV="$("$ROOT/scripts/setup_env.sh")"
export PATH="$VENV/bin:$PATH"
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"  # this clone's code, whatever the shared venv holds
export PYTHONUNBUFFERED=1
# a kernel under papermill has no terminal: progress as plain lines on its stderr,
# which papermill passes on (--stderr-file -) to this terminal
export SYNTHMIR_PROGRESS="${SYNTHMIR_PROGRESS:-lines}"
# the pre-flight: weights, GPU, versions (and, for MusicGen, the fast path and the batch that fits),
# all checked in seconds before anything long starts; every problem listed with its fix, exit 2
if [ "$FROM" \< 04 ]; then
  python -m helpers.cli check --profile "$PROFILE" || exit $?
fi
python -m helpers.kernel >/dev/null  # the "SynthMIR" kernel the notebooks name (idempotent)
RUN_DIR="$("$VENV/bin/python" - "$PROFILE" "${PARAMS[@]}" <<'PY'
import sys
from helpers.config import load_config
from helpers.errors import run_entry
args = sys.argv[2:]
params = {args[i + 1]: args[i + 2] for i in range(0, len(args) - 2, 3) if args[i] == "-p"}
run_dir = params.get("run_dir")
sys.exit(run_entry(lambda: print(load_config(sys.argv[1], run_dir=None if run_dir in (None, "None") else run_dir).run_path)
                   or 0, "run_all.sh"))
PY
)" || exit $?
# one writer per run folder: the rest of this script runs holding its lock (the
# notebooks' kernels inherit the hold); a second run_all.sh waits, or stops (--no-wait)
case ":${SYNTHMIR_RUN_LOCK:-}:" in
  *":$(realpath "$RUN_DIR" 2>/dev/null || echo "$RUN_DIR")/.lock|"*) ;;
  *) mkdir -p "$RUN_DIR"
     exec python -m helpers.locking "$RUN_DIR" --what "run_all.sh ${ARGS[*]}" "${NO_WAIT[@]}" -- bash "$0" "${ARGS[@]}" ;;
esac
OUT_NB="$RUN_DIR/notebooks"
OUT_HTML="${OUT_HTML:-$ROOT/reports/$PROFILE}"
mkdir -p "$OUT_NB" "$OUT_HTML"
NOTEBOOKS=("$ROOT"/notebooks/0[1-5]_*.ipynb)
if [ "$STUDIES" = 1 ]; then
  for nb in "$ROOT"/notebooks/0[6-9]_*.ipynb "$ROOT"/notebooks/1[0-9]_*.ipynb; do [ -e "$nb" ] && NOTEBOOKS+=("$nb"); done
fi
START=$(date +%s)
for nb in "${NOTEBOOKS[@]}"; do
  name="$(basename "$nb" .ipynb)"
  [[ "$name" < "$FROM" ]] && continue
  echo "=== $name (profile $PROFILE) ==="
  t0=$(date +%s)
  status=0
  # papermill, with the notebook's own error message in place of papermill's wrapper
  python -m helpers.execute --run-dir "$RUN_DIR" -- "$nb" "$OUT_NB/$name.ipynb" --cwd "$ROOT/notebooks" -k synthmir \
    -p profile "$PROFILE" "${PARAMS[@]}" --no-progress-bar --stderr-file - --log-level WARNING || status=$?
  # the HTML report (also of a failed notebook), the index, and what the stage did
  done_line="$(python -m helpers.cli report --profile "$PROFILE" --run-dir "$RUN_DIR" --out "$OUT_HTML" \
    --notebook "$name" --since "$t0")" || done_line="$name: no report (see the error above) -> -"
  if [ "$status" -ne 0 ]; then
    echo "=== $name stopped (see the error above, or its report: ${done_line##*-> }); what earlier stages made is kept: fix and run the same command again ===" >&2
    exit "$status"
  fi
  echo "=== $done_line ($(( $(date +%s) - t0 )) s in all) ==="
done
echo "study finished in $(( $(date +%s) - START )) s; metrics: $RUN_DIR/metrics.json; reports: $OUT_HTML/index.html"
