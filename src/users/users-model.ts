// People: who signs in, with which role, and which niches they are limited to.
import type { OneOf } from '../errors.ts';
import type { Role } from '../auth/roles.ts';

export interface NicheRef {
  id: string;
  slug: string;
  name: string;
}

export interface User {
  id: string;
  name: string;
  role: Role;
  /** The niches the user is limited to, or null: every niche. */
  niches: NicheRef[] | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  passwordChangedAt: Date;
  lastSignInAt: Date | null;
}

/** Names people sign in with: as token names, letters, digits and . _ @ -, unique case-insensitively. */
export const USER_NAME = /^[A-Za-z0-9_.@-]{1,100}$/;

/** Why a session ended (sessions.ended_reason). */
export const sessionEndReasons = [
  'signed_out',
  'user_disabled',
  'password_changed',
  'token_revoked',
] as const;
export type SessionEndReason = OneOf<typeof sessionEndReasons>;
