#!/usr/bin/env bash
# Run the whole study: notebooks 01..05 with papermill, then HTML reports.
#
#   ./run_all.sh                                   offline default (configs/offline.yaml)
#   ./run_all.sh --profile paper                   the paper's models (GPU + weights)
#   ./run_all.sh -p clips_per_genre 50             papermill-style parameters
#   ./run_all.sh -p real_data data/realbench-dev   evaluate on real recordings too
#   ./run_all.sh -p real_data gtzan:/data/gtzan    ... read in a dataset's own layout (gtzan, fma, mtg-jamendo)
#   ./run_all.sh --from 03                         start at a later notebook
#
# Executed notebooks go to runs/<profile>/notebooks/, HTML to reports/<profile>/.
# Every stage resumes: after a crash or kill, run the same command again.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROFILE=offline
FROM=01
PARAMS=()
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE="$2"; shift 2 ;;
    --profile=*) PROFILE="${1#*=}"; shift ;;
    --from) FROM="$2"; shift 2 ;;
    -p|--parameters)
      [ $# -ge 3 ] || { echo "run_all.sh: -p needs NAME VALUE" >&2; exit 2; }
      name="$2"; value="$3"
      # paths given on the command line are taken from where the user stands
      if [ "$name" = real_data ] && [[ "$value" =~ ^([a-z][a-z0-9-]*):(.+)$ ]] && [ ! -e "$value" ]; then
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
RUN_DIR="$("$VENV/bin/python" - "$PROFILE" "${PARAMS[@]}" <<'PY'
import sys
from helpers.config import load_config
args = sys.argv[2:]
params = {args[i + 1]: args[i + 2] for i in range(0, len(args) - 2, 3) if args[i] == "-p"}
run_dir = params.get("run_dir")
print(load_config(sys.argv[1], run_dir=None if run_dir in (None, "None") else run_dir).run_path)
PY
)"
OUT_NB="$RUN_DIR/notebooks"
OUT_HTML="$ROOT/reports/$PROFILE"
mkdir -p "$OUT_NB" "$OUT_HTML"
START=$(date +%s)
for nb in "$ROOT"/notebooks/0[1-5]_*.ipynb; do
  name="$(basename "$nb" .ipynb)"
  [[ "$name" < "$FROM" ]] && continue
  echo "=== $name (profile $PROFILE) ==="
  t0=$(date +%s)
  status=0
  papermill "$nb" "$OUT_NB/$name.ipynb" --cwd "$ROOT/notebooks" -k python3 \
    -p profile "$PROFILE" "${PARAMS[@]}" --progress-bar || status=$?
  python -c "from helpers.reports import render_html; render_html('$OUT_NB/$name.ipynb', '$OUT_HTML/$name.html')"
  if [ "$status" -ne 0 ]; then
    echo "=== $name stopped (see the error above, or reports/$PROFILE/$name.html); what earlier stages made is kept: fix and run the same command again ===" >&2
    exit "$status"
  fi
  echo "=== $name done in $(( $(date +%s) - t0 )) s -> reports/$PROFILE/$name.html ==="
done
echo "study finished in $(( $(date +%s) - START )) s; metrics: $RUN_DIR/metrics.json; reports: $OUT_HTML"
