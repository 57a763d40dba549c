#!/usr/bin/env bash
# The GPU throughput check (issue 13), as run on a lent machine by the device tool:
#   run(command="bash benchmarks/gpu_check.sh", carry=[".whl"])
# .whl holds the wheels the GPU image lacks (transformers 5.24.0 as tested here, tokenizers,
# soundfile + cffi + pycparser, hear21passt); results land in $OUT (default benchmarks/results).
# MG / MGC: MusicGen batch sizes without / with torch.compile; T1 / T2: time limits of the two parts.
set -u
OUT=${OUT:-benchmarks/results}
export PYTHONUNBUFFERED=1
if ! python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  echo "benchmarks/gpu_check.sh needs a CUDA GPU and a python3 with torch; on a CPU run python benchmarks/run.py" >&2
  exit 2
fi
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site || exit 1
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
# 1. eager fast path with the phase breakdown, the naive baseline; PaSST beside its own baseline
timeout "${T1:-300}" python3 benchmarks/run.py --parts musicgen,passt --musicgen-batches "${MG:-64,256,512}" \
  --passt-batches 64,256 --repeats 1 --phases --profile-batch 256 --out "$OUT" 2>&1 | grep --line-buffered -v '^\[transformers\]'
# 2. torch.compile (CUDA graphs): the small batch first, where launches dominate (12.9 ms a step eager)
timeout "${T2:-240}" python3 benchmarks/run.py --parts musicgen --compile --no-naive --musicgen-batches "${MGC:-64,512}" \
  --repeats 1 --phases --out "$OUT" 2>&1 | grep --line-buffered -v '^\[transformers\]'
ls -la "$OUT"
