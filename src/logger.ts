import pino, { type Logger } from 'pino';
import type { LogLevelName } from './config.js';

/** Query parameters whose values never reach a log line (tokens in links, codes). */
const SECRET_PARAMS = /((?:[?&]|%3F|%26)(?:token|code|key|password|pin|t)(?:=|%3D))[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/** The one pino instance; children per module. Secrets and personal data are redacted (P3). */
export function createLogger(options: { level: LogLevelName; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          '*.password',
          '*.email',
          '*.token',
          '*.code',
          '*.seed',
          '*.privateKey',
          '*.credentialSubject',
          '*.passwordHash',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method: string; url: string; id: string; ip?: string }) => ({ id: req.id, method: req.method, url: redactUrl(req.url), ip: req.ip }),
      },
    },
    options.destination,
  );
}

export type { Logger };
