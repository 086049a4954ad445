import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EnvSchema, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  it('works with an empty environment: SQLite in ./data, port 3000, French, worker on', () => {
    const c = loadConfig({});
    expect(c.http.port).toBe(3000);
    expect(c.baseUrl.toString()).toBe('http://localhost:3000/');
    expect(c.db).toEqual({ dialect: 'sqlite', file: path.resolve('./data/sceau.db') });
    expect(c.defaultLocale).toBe('fr');
    expect(c.isSecure).toBe(false);
    expect(c.startWorker).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads PostgreSQL, https and a proxy list', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/sceau', BASE_URL: 'https://certs.example.org', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' });
    expect(c.db).toEqual({ dialect: 'postgres', url: 'postgres://u:p@127.0.0.1:5432/sceau' });
    expect(c.isSecure).toBe(true);
    expect(c.http.trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', BASE_URL: 'ftp://x', DEFAULT_LOCALE: 'de', TRUST_PROXY: 'true' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'BASE_URL', 'DEFAULT_LOCALE', 'TRUST_PROXY']) expect(issues).toContain(name);
  });

  it('documents every variable in .env.example', () => {
    const example = fs.readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    for (const name of Object.keys(EnvSchema.shape)) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});
