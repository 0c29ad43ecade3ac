/**
 * Waiting with a bound: poll a check until it has an answer, say on stderr what we are waiting
 * for and for how long, and give up at the timeout. The clock is injectable and the default one
 * uses Date.now and setTimeout, so jest's fake timers drive it in tests.
 */

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface WaitOptions {
  /** Give up after this long. @default 600_000 (10 minutes) */
  readonly timeoutMs?: number;
  /** Time between checks. @default 5_000 */
  readonly intervalMs?: number;
  /** Time between progress lines. @default 15_000 */
  readonly progressEveryMs?: number;
  /** Where progress lines go. @default stderr */
  readonly progress?: (line: string) => void;
  /** @default systemClock */
  readonly clock?: Clock;
  /** Stops waiting early (an interrupt). */
  readonly signal?: AbortSignal;
}

export type WaitResult<T> =
  | { readonly status: 'done'; readonly value: T; readonly elapsedMs: number }
  | { readonly status: 'timeout'; readonly elapsedMs: number }
  | { readonly status: 'aborted'; readonly elapsedMs: number };

export const DEFAULT_TIMEOUT_MS = 600_000;
export const DEFAULT_INTERVAL_MS = 5_000;

export const stderrProgress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * Calls `check` until it returns something other than undefined. Errors from `check` end the
 * wait (the SDK has already retried throttling); a check that can tolerate an error returns
 * undefined instead.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<WaitResult<T>> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = Math.max(1, options.intervalMs ?? DEFAULT_INTERVAL_MS);
  const every = options.progressEveryMs ?? 15_000;
  const progress = options.progress ?? stderrProgress;
  const start = clock.now();
  let lastProgress = -Infinity;
  for (;;) {
    const elapsed = clock.now() - start;
    if (options.signal?.aborted) return { status: 'aborted', elapsedMs: elapsed };
    const value = await check();
    const after = clock.now() - start;
    if (value !== undefined) return { status: 'done', value, elapsedMs: after };
    if (options.signal?.aborted) return { status: 'aborted', elapsedMs: after };
    if (after >= timeoutMs) return { status: 'timeout', elapsedMs: after };
    if (after - lastProgress >= every) {
      progress(`waiting for ${what} (${seconds(after)} s of ${seconds(timeoutMs)} s)`);
      lastProgress = after;
    }
    await clock.sleep(Math.min(intervalMs, timeoutMs - after), options.signal);
  }
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** "850 ms", "48 s", "2 min 05 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
