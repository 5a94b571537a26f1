/**
 * A small progress bar for long setup steps, written to stderr so stdout stays parseable. On a TTY it
 * redraws one line (at most every 100 ms); elsewhere (CI logs, pipes) it prints a start line, a line
 * per 25 % for long steps, and the elapsed time at the end. `total = 0` means the amount of work is
 * unknown: the bar then shows elapsed time only.
 */
export type Progress = {
  /** Adds `n` units of completed work. */
  readonly tick: (n?: number) => void;
  /** Sets the completed amount. */
  readonly update: (done: number) => void;
  /** Ends the bar; `note` is appended to the final line. Returns the elapsed milliseconds. */
  readonly done: (note?: string) => number;
};

export type ProgressFactory = (label: string, total: number) => Progress;

export type ProgressStream = {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(chunk: string): boolean;
};

const WIDTH = 24;
const SPINNER = ['|', '/', '-', '\\'];

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A factory writing bars to `stream` (default: process.stderr). */
export function createProgressFactory(stream: ProgressStream = process.stderr): ProgressFactory {
  return (label, total) => createProgressBar(stream, label, total);
}

/** Discards everything (tests, library callers that report on their own). */
export const silentProgress: ProgressFactory = () => {
  const t0 = performance.now();
  return { tick: () => {}, update: () => {}, done: () => performance.now() - t0 };
};

function createProgressBar(stream: ProgressStream, label: string, total: number): Progress {
  const t0 = performance.now();
  const tty = stream.isTTY === true;
  let done = 0;
  let lastDraw = 0;
  let lastQuarter = 0;
  let spin = 0;
  let finished = false;

  const line = (): string => {
    const elapsed = seconds(performance.now() - t0);
    if (total <= 0) return `${label} ${SPINNER[spin++ % SPINNER.length] ?? ''} ${elapsed}`;
    const f = Math.min(1, done / total);
    const filled = Math.round(f * WIDTH);
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${elapsed}`;
  };
  const draw = (force: boolean): void => {
    if (finished) return;
    const now = performance.now();
    if (tty) {
      if (!force && now - lastDraw < 100) return;
      lastDraw = now;
      const text = line();
      const cols = stream.columns ?? 80;
      stream.write(`\r${text.slice(0, Math.max(10, cols - 1)).padEnd(Math.min(cols - 1, text.length + 2))}`);
      return;
    }
    if (total > 0) {
      const quarter = Math.floor((4 * done) / total);
      if (quarter > lastQuarter && quarter < 4 && now - t0 > 5000) {
        lastQuarter = quarter;
        stream.write(`${label}: ${quarter * 25}% (${seconds(now - t0)})\n`);
      }
    }
  };
  // An unknown-length step still shows it is alive on a TTY.
  const timer = tty && total <= 0 ? setInterval(() => draw(true), 250) : undefined;
  timer?.unref();
  if (!tty) stream.write(`${label}...\n`);
  else draw(true);

  return {
    tick: (n = 1) => {
      done += n;
      draw(false);
    },
    update: (value) => {
      done = value;
      draw(false);
    },
    done: (note) => {
      const ms = performance.now() - t0;
      if (timer !== undefined) clearInterval(timer);
      if (finished) return ms;
      done = total;
      const suffix = note === undefined || note === '' ? '' : ` ${note}`;
      if (tty) {
        draw(true);
        stream.write(`${suffix}\n`);
      } else {
        stream.write(`${label}: done in ${seconds(ms)}${suffix}\n`);
      }
      finished = true;
      return ms;
    },
  };
}
