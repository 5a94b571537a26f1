/** Shared helpers for benchmarks. Every figure is reported as one JSON object (figure, unit, parameters). */
export type BenchResult = {
  /** Stable figure name, e.g. "poseidon.hash2". */
  readonly name: string;
  /** Median over the repetitions. */
  readonly value: number;
  readonly unit: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  /** Optional target from the issue this figure answers, in the same unit. */
  readonly target?: { readonly op: '<=' | '>='; readonly value: number };
  /** Every repetition, so spread is visible. */
  readonly samples?: readonly number[];
};

export type BenchModule = {
  readonly run: (options: { readonly quick: boolean }) => Promise<BenchResult[]>;
};

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  const lo = sorted[mid - 1] ?? hi;
  return sorted.length % 2 === 1 ? hi : (lo + hi) / 2;
}

/** Runs `fn` `reps` times and returns each run's wall time in milliseconds. */
export async function timeRuns(reps: number, fn: () => unknown | Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}
