/** The per-tensor sparsity report of a pruned checkpoint: JSON object + markdown. */
import type { PruneResult } from './prune-params.ts';
import type { PruneScope } from './rank.ts';
import { markdownTable } from '../report/table.ts';

export interface SparsityReport {
  sparsity: number;
  scope: PruneScope;
  score: string;
  params: string[];
  /** Ranked tensors vs selected tensors left alone by the scope (per-layer: rank < 2). */
  ranked: string[];
  untouched: string[];
  tensors: { name: string; shape: number[]; numel: number; pruned: number; sparsity: number }[];
  total: { numel: number; pruned: number; sparsity: number };
  /** Zero entries over all model parameters after pruning (selected or not, pre-existing zeros included). */
  modelZeroFraction: number;
  tieRule: string;
}

export const TIE_RULE =
  'ascending |score| (float32); ties by tensor name (UTF-16 code-unit order), then row-major flat index; ' +
  'round(p·N) entries per ranking group (Math.round, half up)';

export function sparsityReport(r: PruneResult, meta: { sparsity: number; scope: PruneScope; score: string; params: string[] }): SparsityReport {
  return {
    ...meta,
    ranked: r.ranking.groups.flatMap((g) => g.names),
    untouched: r.ranking.untouched,
    tensors: r.rows.map((x) => ({ name: x.name, shape: x.shape, numel: x.numel, pruned: x.pruned, sparsity: x.sparsity })),
    total: { numel: r.total.numel, pruned: r.total.pruned, sparsity: r.total.sparsity },
    modelZeroFraction: r.modelZeroFraction,
    tieRule: TIE_RULE,
  };
}

export function sparsityMarkdown(rep: SparsityReport): string {
  const lines = [
    `# Pruning report`,
    ``,
    `Score \`${rep.score}\`, scope \`${rep.scope}\`, requested sparsity ${rep.sparsity}; selection: ${rep.params.length ? rep.params.map((p) => `\`${p}\``).join(', ') : 'every scored tensor'}.`,
    ``,
    `Pruned ${rep.total.pruned} of ${rep.total.numel} selected parameters (${(100 * rep.total.sparsity).toFixed(3)}%); ` +
      `zeros in the whole model after pruning: ${(100 * rep.modelZeroFraction).toFixed(3)}%.`,
    ``,
    `Order: ${rep.tieRule}.`,
    ``,
    markdownTable(
      rep.tensors.map((t) => ({
        tensor: '`' + t.name + '`' + (rep.untouched.includes(t.name) ? ' (left alone)' : ''),
        shape: `[${t.shape.join(', ')}]`,
        parameters: t.numel,
        pruned: t.pruned,
        sparsity: (100 * t.sparsity).toFixed(2) + '%',
      })),
      { columns: ['tensor', 'shape', 'parameters', 'pruned', { key: 'sparsity', align: 'right' }] },
    ),
    ``,
  ];
  return lines.join('\n');
}
