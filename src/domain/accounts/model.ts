import { type Locale } from '../shared/model.js';

export interface User {
  id: string;
  displayName: string;
  locale: Locale;
  passwordHash: string | null;
  isPlatformAdmin: boolean;
  createdAt: Date;
}

export interface UserEmail {
  id: string;
  userId: string;
  email: string;
  isPrimary: boolean;
  verifiedAt: Date | null;
  createdAt: Date;
}

export interface Session {
  idHash: string;
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  reauthenticatedAt: Date;
}

export type CodePurpose = 'signup' | 'add_email';

export interface EmailCode {
  id: string;
  purpose: CodePurpose;
  email: string;
  userId: string | null;
  codeHash: string;
  attempts: number;
  payload: Record<string, unknown> | null;
  expiresAt: Date;
  consumedAt: Date | null;
}

export interface Throttle {
  key: string;
  failures: number;
  windowStartedAt: Date;
  blockedUntil: Date | null;
}
