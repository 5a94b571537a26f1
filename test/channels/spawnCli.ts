/**
 * Runs `rampart` (src/cli/main.ts) as a real child process and follows its JSON-lines stdout, so tests
 * can wait for events and kill it with SIGKILL at any point.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type CliProcess = {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line (past or future) matching `pred`. */
  readonly waitFor: (pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number) => Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  readonly kill9: () => Promise<void>;
  readonly stderr: () => string;
};

export function spawnCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts'), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let buf = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.pred(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.once('exit', () => child.kill('SIGKILL'));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitFor: (pred, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const found = lines.find(pred);
        if (found !== undefined) {
          resolve(found);
          return;
        }
        const timer = setTimeout(() => reject(new Error(`timed out waiting for a line; stderr: ${err.slice(-2000)}`)), timeoutMs);
        const onExit = (): void => {
          clearTimeout(timer);
          reject(new Error(`process exited before the line came; stderr: ${err.slice(-2000)}`));
        };
        void exited.then(onExit);
        waiters.push({
          pred,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      }),
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
