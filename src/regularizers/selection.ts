/**
 * Parameter selection by glob patterns over parameter names (HF names for GPT-2).
 *
 * Glob syntax: `*` matches any run of characters except '.', `**` matches anything (dots included),
 * `?` one character except '.'. A pattern starting with '!' excludes. A name is selected when it matches at
 * least one positive pattern (or there are only negative patterns) and no negative one.
 * Presets (method.md §1): `attention` = the GPT-2 self-attention weights and biases; `all` = every parameter.
 */
import { EwcError } from '../util/errors.ts';

export const PRESETS: Record<string, string[]> = {
  // GPT-2 self-attention: the default selection of the language-model experiment (method.md §1, §5).
  attention: ['h.*.attn.c_attn.*', 'h.*.attn.c_proj.*'],
  // Every trainable parameter: the default of the classification benchmarks.
  all: ['**'],
};

/** Expands presets (a bare preset name) into their globs. */
export function expandPatterns(patterns: string[]): string[] {
  const out: string[] = [];
  for (const p of patterns) {
    const neg = p.startsWith('!');
    const body = neg ? p.slice(1) : p;
    const preset = PRESETS[body];
    if (preset) out.push(...preset.map((g) => (neg ? '!' + g : g)));
    else out.push(p);
  }
  return out;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^.]*';
    } else if (ch === '?') re += '[^.]';
    else re += ch.replace(/[\\^$+?.()|{}[\]]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

/**
 * Resolves patterns against the available names, keeping the names' order. Throws when a positive pattern
 * matches nothing (a typo would otherwise silently select nothing) or when nothing is selected.
 */
export function selectParams(names: Iterable<string>, patterns: string[] = ['all']): string[] {
  const all = [...names];
  const globs = expandPatterns(patterns.length ? patterns : ['all']);
  const pos = globs.filter((g) => !g.startsWith('!')).map((g) => ({ g, re: globToRegExp(g) }));
  const neg = globs.filter((g) => g.startsWith('!')).map((g) => globToRegExp(g.slice(1)));
  for (const { g, re } of pos) {
    if (!all.some((n) => re.test(n))) {
      throw new EwcError(
        `parameter selection: pattern '${g}' matches no parameter. Expected names like ` +
          `${all.slice(0, 4).map((n) => `'${n}'`).join(', ')}; presets: ${Object.keys(PRESETS).join(', ')}.`,
      );
    }
  }
  const chosen = all.filter((n) => (pos.length === 0 || pos.some(({ re }) => re.test(n))) && !neg.some((re) => re.test(n)));
  if (chosen.length === 0) {
    throw new EwcError(`parameter selection: patterns [${patterns.join(', ')}] select no parameter.`);
  }
  return chosen;
}
