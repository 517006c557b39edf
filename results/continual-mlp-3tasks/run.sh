#!/usr/bin/env bash
# Truncated MLP reproduction: the paper protocol (permuted MNIST, 6 epochs per task, full 60,000 training
# images, importances on the last 5000, Adam, batch 100) stopped after 3 of the 10 tasks — the full-length
# runs did not fit this session's CPU share. A 3-task run computes exactly what a 10-task run computes up to
# its 3rd task (same seeds), so its final metric is the 10-task run's "mean accuracy over the 3 tasks seen".
# λ = 0, each method's paper-optimal plain-EWC λ, and stabilized Fisher 85 / MAS 8.5; two single-worker
# streams; rerunning resumes.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=results/continual-mlp-3tasks
run() { node bin/ewc-lm.mjs continual --net mlp --preset paper --tasks 3 --importance "$1" --penalty "$2" --lambda "$3" --runs "${RUNS:-1}" --workers 0 --out $OUT; }
(run mas ewc 4.5; run fisher ewc 0; run fisher stabilized 85) &
(run si ewc 0.25; run fisher ewc 41; run mas stabilized 8.5) &
wait
# The report also takes the 10-task runs of results/continual-mlp, restricted to their first 3 tasks
# (identical computations up to task 3): this session measured λ = 0 and Fisher 41 only that way.
node bin/ewc-lm.mjs continual report $OUT --tasks 3 --from results/continual-mlp
