#!/usr/bin/env bash
# The measured MLP reproduction (method.md §3: permuted MNIST, 10 tasks × 6 epochs — the paper protocol),
# at λ = 0 and each method's paper-optimal λ. Jobs are dealt alternately to two single-worker streams
# (2 cores) in rounds, so an interrupted reproduction still covers every configuration:
#   plain EWC round r = {λ=0, Fisher 41, MAS 4.5, SI 0.25} run r; stabilized round r = {Fisher 85, MAS 8.5, SI 0.64} run r;
#   order: plain 1, plain 2, stabilized 1, plain 3, stabilized 2, plain 4, stabilized 3, plain 5, stabilized 4, stabilized 5.
# Training steps run on onnxruntime (--trainer auto = ort for the MLP); the first six runs of results.jsonl
# were trained by tfjs (wasm) before the compiled trainer existed (field `trainer` absent = tfjs).
# Every command resumes (finished runs are skipped), so rerunning this script continues where it stopped.
# Usage: bash results/continual-mlp/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-results/continual-mlp}
plain() { jobs+=("fisher ewc 0 $1" "fisher ewc 41 $1" "mas ewc 4.5 $1" "si ewc 0.25 $1"); }
stab() { jobs+=("fisher stabilized 85 $1" "mas stabilized 8.5 $1" "si stabilized 0.64 $1"); }
jobs=()
plain 1; plain 2; stab 1; plain 3; stab 2; plain 4; stab 3; plain 5; stab 4; stab 5
stream() { # $1 = 0|1: runs every other job
  local i=0
  for j in "${jobs[@]}"; do
    if [ $((i % 2)) -eq "$1" ]; then
      set -- "$1" $j
      node bin/ewc-lm.mjs continual --net mlp --preset paper --importance "$2" --penalty "$3" --lambda "$4" \
        --runs "$5" --workers 0 --out $OUT
      set -- "$1"
    fi
    i=$((i + 1))
  done
}
stream 0 & a=$!
stream 1 & b=$!
wait $a $b
