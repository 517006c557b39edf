/**
 * The paper's Figure 5 read-outs (global ranking, FC net on MNIST, test accuracy at the pruned fraction),
 * as transcribed in ../shared/docs/method.md §4. The paper gives no value at 99%.
 */
export const PAPER_FIGURE5: Record<string, Record<string, number>> = {
  magnitude: { '0.5': 0.978, '0.7': 0.973, '0.8': 0.959, '0.9': 0.857, '0.95': 0.613 },
  signal: { '0.5': 0.976, '0.7': 0.969, '0.8': 0.955, '0.9': 0.896, '0.95': 0.699 },
  fisher: { '0.5': 0.974, '0.7': 0.918, '0.8': 0.737, '0.9': 0.288, '0.95': 0.181 },
  mas: { '0.5': 0.97, '0.7': 0.86, '0.8': 0.636, '0.9': 0.314, '0.95': 0.192 },
  si: { '0.5': 0.962, '0.7': 0.768, '0.8': 0.492, '0.9': 0.222, '0.95': 0.131 },
};

export function paperValue(score: string, f: number): number | null {
  return PAPER_FIGURE5[score]?.[String(f)] ?? null;
}
