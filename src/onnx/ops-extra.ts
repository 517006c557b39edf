/** Less common activations with gradient rules. */
import type { Value } from './graph.ts';
import { add, exp, mul } from './ops-math.ts';

/**
 * Exact GELU: 0.5·x·(1 + erf(x/√2)); d/dx = 0.5·(1 + erf(x/√2)) + x·φ(x), φ(x) = exp(−x²/2)/√(2π).
 */
export function erfGelu(x: Value): Value {
  const g = x.g;
  const { y, e } = g.untaped(() => {
    const e = g.node('Erf', [mul(x, Math.SQRT1_2)], [{ dtype: x.dtype, shape: x.shape }])[0];
    return { y: mul(mul(x, 0.5), add(e, 1)), e };
  });
  g.record([x], [y], ([dy]) => {
    if (!dy) return [null];
    return g.untaped(() => {
      const phi = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [mul(dy, add(mul(add(e, 1), 0.5), mul(x, phi)))];
    });
  });
  return y;
}
