/** Helpers shared by the job queue tests. */
import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `check` every 50 ms until it holds; throws naming `label` once `timeoutMs` has passed. */
export async function waitFor(label: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${label}`);
    await sleep(50);
  }
}

/** A promise with its resolve function, to gate or signal from inside a handler. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
