/**
 * Child processes of a benchmark run: spawn, wait for a readiness line on stdout, keep a short stderr tail
 * for error messages, stop with SIGTERM (SIGKILL after a deadline). Every child is tracked so a crashed or
 * interrupted run still stops what it started, by pid, never by name.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const TAIL_CHARS = 16_000;
const STOP_DEADLINE_MS = 8000;

const live = new Set<Child>();

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  #stderr = '';
  #stdout = '';
  #exit: Promise<number | null>;

  constructor(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.name = name;
    this.proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.#stderr = (this.#stderr + d).slice(-TAIL_CHARS);
    });
    this.proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.#stdout = (this.#stdout + d).slice(-TAIL_CHARS);
    });
    this.#exit = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        live.delete(this);
        resolve(code ?? (signal ? 128 : null));
      });
      this.proc.once('error', () => {
        live.delete(this);
        resolve(null);
      });
    });
    live.add(this);
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  get stderrTail(): string {
    return this.#stderr.trim();
  }

  get stdoutTail(): string {
    return this.#stdout;
  }

  exit(): Promise<number | null> {
    return this.#exit;
  }

  /** Resolves with the first capture group of the first stdout line matching `re`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      let buf = '';
      const onData = (d: string): void => {
        buf += d;
        const m = re.exec(buf);
        if (m) {
          done();
          resolve(m[1] ?? m[0]);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name} was not ready within ${timeoutMs} ms: ${this.stderrTail}`));
      }, timeoutMs);
      const onExit = (code: number | null): void => {
        done();
        reject(new Error(`${this.name} exited (${code}) before it was ready: ${this.stderrTail}`));
      };
      const done = (): void => {
        clearTimeout(timer);
        this.proc.stdout!.off('data', onData);
        this.proc.off('exit', onExit);
      };
      this.proc.stdout!.on('data', onData);
      this.proc.once('exit', onExit);
    });
  }

  /** SIGTERM, then SIGKILL after the deadline; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.exited) return this.#exit;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_DEADLINE_MS);
    const code = await this.#exit;
    clearTimeout(timer);
    return code;
  }
}

/** Stops every child still running (used on SIGINT and on a failed run). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

/** Kills every child synchronously (process 'exit' handler: no awaiting there). */
export function killAllChildrenNow(): void {
  for (const c of live) c.proc.kill('SIGKILL');
}
