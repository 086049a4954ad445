import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Secrets } from '../domain/shared/ports.js';

/** Read `SCEAU_MASTER_KEY` (base64 or hex, 32 bytes) or create `<dataDir>/master.key` (0600) on first start. */
export function loadMasterKey(options: { configured: string | undefined; dataDir: string }): Buffer {
  const decode = (text: string, origin: string): Buffer => {
    const t = text.trim();
    const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
    if (key.length !== 32) throw new Error(`${origin}: the master key must be 32 bytes (base64 or hex)`);
    return key;
  };
  if (options.configured) return decode(options.configured, 'SCEAU_MASTER_KEY');
  const file = path.join(options.dataDir, 'master.key');
  fs.mkdirSync(options.dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return decode(fs.readFileSync(file, 'utf8'), file);
}

/** UUIDv7: 48-bit ms timestamp + 74 random bits. Time-ordered, for internal primary keys only. */
export function uuidv7(now = Date.now()): string {
  const b = crypto.randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function sha256Hex(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('hex');
}

/** The Secrets port on node:crypto, with sub-keys derived from the master key by HKDF. */
export function createSecrets(masterKey: Buffer): Secrets {
  const derive = (info: string) => Buffer.from(crypto.hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
  const macKey = derive('sceau/mac/v1');
  const sealKey = derive('sceau/seal/v1');
  return {
    newId: () => uuidv7(),
    newPublicId: () => crypto.randomUUID(),
    newToken: () => crypto.randomBytes(32).toString('base64url'),
    newCode: () => crypto.randomInt(0, 1_000_000).toString().padStart(6, '0'),
    hashToken: sha256Hex,
    mac: (purpose, value) => crypto.createHmac('sha256', macKey).update(`${purpose}\0${value}`).digest('hex'),
    seal(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', sealKey, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
    },
    open(sealed) {
      if (!sealed.startsWith('v1.')) throw new Error('unknown sealed format');
      const raw = Buffer.from(sealed.slice(3), 'base64url');
      const decipher = crypto.createDecipheriv('aes-256-gcm', sealKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
