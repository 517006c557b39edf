#!/usr/bin/env bash
# Reduced CNN reproduction (method.md §3 CNN stream MNIST → FashionMNIST → MNIST rot90 → FashionMNIST rot90,
# the paper's net, Adam, batch 100), SHRUNK to fit this session's CPU: 1 epoch on the first 500 training
# images of each task (5 steps), importances on the last 50 of them (per-sample loop), test on the first 500
# test images; λ = 0 and each method's paper-optimal plain-EWC λ (MAS 300, Fisher 675, SI 24), 1 run each.
# Rerunning resumes; raise --runs / the limits for a fuller reproduction.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=results/continual-cnn
LIM="--train-limit 500 --test-limit 500 --importance-samples 50 --epochs 1"
for spec in "fisher 0" "mas 300" "fisher 675" "si 24"; do
  set -- $spec
  node bin/ewc-lm.mjs continual --net cnn --preset paper --importance "$1" --penalty ewc --lambda "$2" --runs "${RUNS:-1}" $LIM --workers 0 --out $OUT
done
