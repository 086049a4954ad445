import argon2 from 'argon2';
import type { PasswordHasher } from '../domain/accounts/ports.js';

/** OWASP's argon2id profile: m = 19 MiB, t = 2, p = 1. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Caps concurrent hashes so memory stays ≤ concurrency × 19 MiB (security check L4). */
class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/**
 * The npm binding serialises parameters as m,p,t; the reference implementation (and libsodium, PHP, Python)
 * writes m,t,p. We store the canonical order so hashes move between stacks; verify() accepts both.
 */
export function canonicalPhc(hash: string): string {
  return hash.replace(/\$m=(\d+),p=(\d+),t=(\d+)\$/, '$m=$1,t=$3,p=$2$');
}

export async function createPasswordHasher(options: { concurrency: number }): Promise<PasswordHasher> {
  const gate = new Semaphore(options.concurrency);
  // A real hash of a random string: verifying against it costs exactly what a real verify costs.
  const dummyHash = await argon2.hash(`dummy-${process.pid}-${Date.now()}`, ARGON2_OPTIONS);
  return {
    hash: (password) => gate.run(async () => canonicalPhc(await argon2.hash(password, ARGON2_OPTIONS))),
    verify: (hash, password) => gate.run(() => argon2.verify(hash, password).catch(() => false)),
    verifyDummy: async (password) => {
      await gate.run(() => argon2.verify(dummyHash, password).catch(() => false));
    },
  };
}
