/** Issuer key generation (Ed25519 Multikeys, secret sealed with the master key) and the CSPRNG for status indexes. */
import crypto from 'node:crypto';
import type { IssuerKeys, RandomSource } from '../domain/credentials/ports.js';
import type { Secrets } from '../domain/shared/ports.js';
import { generateEd25519 } from './multikey.js';

export function createIssuerKeys(secrets: Pick<Secrets, 'seal'>): IssuerKeys {
  return {
    async generate() {
      const { publicKeyMultibase, secretKeyMultibase } = generateEd25519();
      return { publicKeyMultibase, secretKeySealed: secrets.seal(secretKeyMultibase) };
    },
  };
}

export const cryptoRandom: RandomSource = {
  int: (maxExclusive) => crypto.randomInt(maxExclusive),
};
