#!/usr/bin/env bash
# The GPU measurements the README still lacks, in one run on a machine with an NVIDIA GPU and torch +
# torchvision (digitrec itself runs from this source tree; nothing else is installed or downloaded):
#   1. bench_train.py's race: the PyTorch examples recipe against digitrec's fast recipe, on the GPU;
#   2. the default recipe of `digitrec train` (TrainConfig()), trained to its end, timed, then calibrated
#      (bench_train.py --digitrec-config default --to-the-end).
# Each step's log goes to OUT_DIR (default: cuda-check). DEVICE=cpu EPOCHS=1 MAX_EPOCHS=1 make a short run
# on any machine, to try the script itself.
#
#   benchmarks/cuda_check.sh DATA_DIR [OUT_DIR]
set -euo pipefail
data=${1:?usage: benchmarks/cuda_check.sh DATA_DIR [OUT_DIR]}
out=${2:-cuda-check}
python=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
export DEVICE=${DEVICE:-cuda} PYTHONUNBUFFERED=1
export PYTHONPATH="$here/../src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$out"

"$python" -c 'import os, torch
print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
if os.environ["DEVICE"] == "cuda":
    print(torch.cuda.get_device_name(), "compute capability", torch.cuda.get_device_capability())
' 2>&1 | tee "$out/device.log"

"$python" "$here/bench_train.py" --data-dir "$data" --device "$DEVICE" --max-epochs "${MAX_EPOCHS:-14}" 2>&1 |
    tee "$out/bench_train.log"

"$python" "$here/bench_train.py" --data-dir "$data" --device "$DEVICE" --digitrec-config default \
    --to-the-end --skip-reference ${EPOCHS:+--epochs "$EPOCHS"} 2>&1 | tee "$out/default_train.log"
