/**
 * The two failure modes of plain EWC (paper section 3) next to stabilized EWC, on toy quadratics with plain SGD.
 *   npx tsx scripts/demo-failure-modes.ts
 * Prints two tables on stderr-free stdout (JSON with --json). See src/regularizers/failure-modes.ts.
 */
import * as tf from '@tensorflow/tfjs';
import {
  CLIPPING_DEFAULT,
  clippingDemo,
  OSCILLATION_DEFAULT,
  oscillationDemo,
} from '../src/regularizers/failure-modes.ts';

await tf.setBackend('cpu');
const osc = (['ewc', 'stabilized'] as const).map((k) => oscillationDemo(k));
const clip = (['ewc', 'stabilized'] as const).map((k) => clippingDemo(k));

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ oscillation: { setup: OSCILLATION_DEFAULT, results: osc }, clipping: { setup: CLIPPING_DEFAULT, results: clip } }, null, 2) + '\n');
} else {
  const o = OSCILLATION_DEFAULT;
  console.log(`(a) Instability: one weight, task ½·${o.a}·(θ−${o.m})², θ*=0, plain SGD η=${o.eta}, λ=${o.lambda}, Ω=${o.omega} (x = ηλΩ = ${o.eta * o.lambda * o.omega})`);
  console.log('step | ' + osc.map((r) => `${r.kind.padStart(12)} θ−θ*`).join(' | '));
  for (let t = 0; t < osc[0].trajectory.length; t++) {
    console.log(`${String(t).padStart(4)} | ` + osc.map((r) => r.trajectory[t].toExponential(4).padStart(17)).join(' | '));
  }
  for (const r of osc) {
    console.log(
      `${r.kind}: per-step factor ${r.factor.toFixed(4)}, sign changes ${r.signChanges}, amplitude ×${r.amplitudeRatio.toExponential(3)} over ${o.steps} steps, monotone ${r.monotone}`,
    );
  }
  const c = CLIPPING_DEFAULT;
  console.log(
    `\n(b) Global-norm clipping (C=${c.clip}): ${c.n} task weights, ${c.huge} with Ω=${c.omegaHuge} displaced ${c.displacement} from θ*, others Ω=${c.omegaSmall}; SGD η=${c.eta}, λ=${c.lambda}, ${c.steps} steps`,
  );
  console.log('penalty    | task share step 1 | task share mean | clipped steps | task loss start → end | max |θ−θ*| huge');
  for (const r of clip) {
    console.log(
      `${r.kind.padEnd(10)} | ${r.taskShareFirst.toExponential(3).padStart(17)} | ${r.taskShareMean.toExponential(3).padStart(15)} | ${(r.clippedFraction * 100).toFixed(0).padStart(12)}% | ${r.taskLossStart.toFixed(4)} → ${r.taskLossEnd.toFixed(4)} | ${r.hugeMaxDisplacement.toExponential(3)}`,
    );
  }
}
