#!/usr/bin/env bash
# Reduced CNN reproduction (method.md §3): the paper's CNN and stream MNIST → FashionMNIST → MNIST rot90 →
# FashionMNIST rot90, Adam, batch 100, importances on the last 5000 training samples of each task (inference
# mode), full test sets — REDUCED to 1 epoch per task instead of 6 (600 steps per task). λ = 0 and each
# method's paper-optimal plain-EWC λ (MAS 300, Fisher 675, SI 24), RUNS runs each (default 2).
# Jobs are dealt alternately to two single-worker streams (2 cores), run-major (every configuration's run r
# before any run r+1), so an interrupted reproduction still covers every configuration. Rerunning resumes.
# Usage: [RUNS=2] [OUT=results/continual-cnn] bash results/continual-cnn/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-results/continual-cnn}
jobs=()
for r in $(seq 1 "${RUNS:-2}"); do
  for spec in "fisher 0" "mas 300" "fisher 675" "si 24"; do jobs+=("$spec $r"); done
done
stream() { # $1 = 0|1: runs every other job
  local i=0
  for j in "${jobs[@]}"; do
    if [ $((i % 2)) -eq "$1" ]; then
      set -- "$1" $j
      node bin/ewc-lm.mjs continual --net cnn --preset paper --epochs 1 --importance "$2" --penalty ewc --lambda "$3" \
        --runs "$4" --workers 0 --out "$OUT"
      set -- "$1"
    fi
    i=$((i + 1))
  done
}
stream 0 & a=$!
stream 1 & b=$!
wait $a $b
