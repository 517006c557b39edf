#!/usr/bin/env bash
# The measured MLP reproduction (method.md §3: permuted MNIST, 10 tasks × 6 epochs — the paper protocol),
# at λ = 0 and each method's paper-optimal λ, RUNS runs each (default 5).
# Two single-worker streams (2 cores); each configuration belongs to ONE stream (a command with --runs r runs
# every missing run below r, so two streams sharing a configuration could compute the same run twice), and a
# stream goes round-robin over its configurations by run index, so an interrupted reproduction still covers
# every configuration. Every command resumes (finished runs are skipped): rerunning continues where it stopped.
#   stream 0: λ=0, Fisher 41, Fisher-stabilized 85, SI-stabilized 0.64
#   stream 1: MAS 4.5, SI 0.25, MAS-stabilized 8.5
# Training steps run on onnxruntime (--trainer auto = ort); the first six runs of results.jsonl were trained by
# tfjs (wasm) before the compiled trainer existed (field `trainer` absent = tfjs).
# Usage: [RUNS=5] [OUT=results/continual-mlp] bash results/continual-mlp/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-results/continual-mlp}
stream() { # $@ = configurations "importance penalty λ"
  local configs=("$@") r c imp pen lam
  for r in $(seq 1 "${RUNS:-5}"); do
    for c in "${configs[@]}"; do
      read -r imp pen lam <<< "$c"
      node bin/ewc-lm.mjs continual --net mlp --preset paper --importance "$imp" --penalty "$pen" --lambda "$lam" \
        --runs "$r" --workers 0 --out "$OUT"
    done
  done
}
stream "fisher ewc 0" "fisher ewc 41" "fisher stabilized 85" "si stabilized 0.64" & a=$!
stream "mas ewc 4.5" "si ewc 0.25" "mas stabilized 8.5" & b=$!
wait $a $b
