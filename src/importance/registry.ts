/**
 * The importance registry: one name → one method, all returning name-keyed maps (method.md §2).
 * A new method = one file + one case here + one test.
 */
import { EwcError } from '../util/errors.ts';
import { loopImportance, type GradientMethod } from './gradient-importance.ts';
import { magnitudeImportance } from './magnitude.ts';
import { signalImportance } from './signal.ts';
import { vectorisedImportance } from './vectorised.ts';
import type { ImportanceName, ImportanceOptions, ImportanceSamples, ImportanceTarget, Importances } from './types.ts';

export const IMPORTANCE_NAMES: readonly ImportanceName[] = [
  'fisher',
  'fisher-sampled',
  'fisher-argmax',
  'mas',
  'si',
  'signal',
  'magnitude',
];

/** Methods computed from samples after a task (SI is a training hook: SiTracker). */
export const SAMPLE_METHODS: readonly ImportanceName[] = IMPORTANCE_NAMES.filter((n) => n !== 'si');

export function isImportanceName(s: string): s is ImportanceName {
  return (IMPORTANCE_NAMES as readonly string[]).includes(s);
}

export function gradientMethod(name: ImportanceName): GradientMethod | null {
  switch (name) {
    case 'fisher':
      return { objective: 'fisher', labels: 'dataset' };
    case 'fisher-sampled':
      return { objective: 'fisher', labels: 'sampled' };
    case 'fisher-argmax':
      return { objective: 'fisher', labels: 'argmax' };
    case 'mas':
      return { objective: 'mas', labels: 'dataset' };
    default:
      return null;
  }
}

export function computeImportance(
  name: string,
  target: ImportanceTarget,
  samples: ImportanceSamples | null,
  opts: ImportanceOptions,
): Importances {
  if (!isImportanceName(name)) {
    throw new EwcError(`importance method: expected one of ${IMPORTANCE_NAMES.join(', ')}, found '${name}'.`);
  }
  if (opts.names.length === 0) throw new EwcError('importance: no parameters selected.');
  if (name !== 'magnitude' && name !== 'si') target = target.forParams?.(opts.names) ?? target;
  switch (name) {
    case 'fisher':
    case 'fisher-sampled':
    case 'fisher-argmax':
    case 'mas': {
      const s = need(name, samples);
      const m = gradientMethod(name)!;
      return opts.mode === 'vectorised' ? vectorisedImportance(target, s, opts, m) : loopImportance(target, s, opts, m);
    }
    case 'signal':
      return signalImportance(target, need(name, samples), opts);
    case 'magnitude':
      return magnitudeImportance(target, opts.names);
    case 'si':
      throw new EwcError(
        `importance 'si' is accumulated during training (a trainer hook), not computed from samples afterwards. ` +
          `Use it through training (e.g. 'ewc-lm continual --importance si').`,
      );
    default: {
      const never: never = name;
      throw new Error(`unreachable: ${String(never)}`);
    }
  }
}

function need(name: string, s: ImportanceSamples | null): ImportanceSamples {
  if (!s) throw new EwcError(`importance '${name}' needs samples (--tokens FILE or --corpus SPEC).`);
  return s;
}
