#!/usr/bin/env bash
# The GPU measurements the README still lacks, in one run on a machine with an NVIDIA GPU and torch +
# torchvision (digitrec itself runs from this source tree; nothing else is installed or downloaded):
#   1. bench_train.py's race: the PyTorch examples recipe against digitrec's fast recipe, on the GPU;
#   2. the default recipe of `digitrec train` (TrainConfig()), trained to its end, timed, then calibrated.
# Each step's log goes to OUT_DIR (default: cuda-check). DEVICE=cpu EPOCHS=1 MAX_EPOCHS=1 make a short run
# on any machine, to try the script itself.
#
#   benchmarks/cuda_check.sh DATA_DIR [OUT_DIR]
set -euo pipefail
data=${1:?usage: benchmarks/cuda_check.sh DATA_DIR [OUT_DIR]}
out=${2:-cuda-check}
python=${PYTHON:-python3}
here=$(cd "$(dirname "$0")" && pwd)
export DEVICE=${DEVICE:-cuda} DATA_DIR=$data EPOCHS=${EPOCHS:-} PYTHONUNBUFFERED=1
export PYTHONPATH="$here/../src${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$out"

"$python" -c 'import os, torch
print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
if os.environ["DEVICE"] == "cuda":
    print(torch.cuda.get_device_name(), "compute capability", torch.cuda.get_device_capability())
' 2>&1 | tee "$out/device.log"

"$python" "$here/bench_train.py" --data-dir "$data" --device "$DEVICE" --max-epochs "${MAX_EPOCHS:-14}" 2>&1 |
    tee "$out/bench_train.log"

# Run from a file, not stdin: training draws its synthetic data in worker processes that import __main__.
cat > "$out/default_train.py" <<'PY'
import os
import tempfile
import time
from pathlib import Path

from digitrec.adapters.torch_trainer import TorchTrainer
from digitrec.domain.training import TrainConfig


def main() -> None:
    epochs = {"epochs": int(os.environ["EPOCHS"])} if os.environ["EPOCHS"] else {}
    config = TrainConfig(device=os.environ["DEVICE"], **epochs)
    print(f"default recipe: {config}")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as models:
        trainer = TorchTrainer(Path(os.environ["DATA_DIR"]), Path(models), download=False, progress=False)
        run = trainer.train(config, on_epoch=lambda m: print(
            f"epoch {m.epoch}: {m.seconds:.1f}s  val_loss {m.val_loss:.4f}  test {100 * m.test_accuracy:.2f}%"))
    first = next((m for m in run.history if m.test_accuracy >= 0.99), None)
    print(f"epochs {len(run.history)}, kept {run.best_epoch}, MNIST test {100 * run.test_accuracy:.2f}%, "
          f"epochs' seconds {run.seconds:.1f}, whole run {time.perf_counter() - start:.1f} s")
    if first:
        print(f"first at 99%: epoch {first.epoch}, {first.seconds:.1f} s")
    if run.calibration:
        c = run.calibration
        print(f"temperature {c.temperature:.3f}, validation non-digits refused {100 * c.non_digits_refused:.1f}%")


if __name__ == "__main__":
    main()
PY
"$python" "$out/default_train.py" 2>&1 | tee "$out/default_train.log"
