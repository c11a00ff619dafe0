// The tone each status word is drawn in (badges, stats, meters), one table per closed set: the sets come from
// the server (domain.ts, and the API's own enums), so a state added there fails `tsc -p web` until its table
// says how to draw it.
import type { AccountState, DeviceStatus, ProductionStatus, Severity } from './domain.ts';
import type { Connection, Distribution, DistributionStatus } from './types.ts';

/** The CSS tones: styles.css draws .tone-good, -warn, -bad and -info; neutral is the plain look. */
export type Tone = 'good' | 'warn' | 'bad' | 'info' | 'neutral';

export type Tones<W extends string> = Readonly<Record<W, Tone>>;

export const accountStateTone: Tones<AccountState> = {
  created: 'neutral',
  warming_p1: 'info',
  warming_p2: 'info',
  warming_p3: 'info',
  active: 'good',
  resting: 'neutral',
  cooldown: 'warn',
  flagged: 'warn',
  restricted: 'warn',
  shadowbanned: 'warn',
  suspended: 'bad',
  banned: 'bad',
};

export const deviceStatusTone: Tones<DeviceStatus> = {
  active: 'good',
  maintenance: 'warn',
  failed: 'bad',
  disconnected: 'bad',
};

export const severityTone: Tones<Severity> = {
  info: 'neutral',
  warning: 'warn',
  error: 'bad',
  critical: 'bad',
};

export const productionStatusTone: Tones<ProductionStatus> = {
  scripting: 'info',
  generating: 'info',
  assembling: 'info',
  distributing: 'info',
  complete: 'good',
  failed: 'bad',
};

export const distributionStatusTone: Tones<DistributionStatus> = {
  pending: 'info',
  posted: 'good',
  failed: 'bad',
  removed: 'bad',
};

export const calendarStateTone: Tones<Distribution['state']> = {
  awaiting_review: 'warn',
  scheduled: 'info',
  posted: 'good',
  failed: 'bad',
  removed: 'bad',
  rejected: 'neutral',
  cancelled: 'neutral',
};

/** A word's tone in a table, for words the API sends as plain strings (neutral when not in the set). */
export function toneOf<W extends string>(tones: Tones<W>, word: string): Tone {
  return isWordOf(tones, word) ? tones[word] : 'neutral';
}

const isWordOf = <W extends string>(tones: Tones<W>, word: string): word is W => Object.hasOwn(tones, word);

export const connectionStatusTone: Tones<Connection['status']> = {
  connected: 'good',
  reauth_needed: 'bad',
  revoked: 'bad',
};

/** A post's stage at the platform while an official connector publishes it. */
export const publishStageTone: Tones<NonNullable<Distribution['processing']>['stage']> = {
  initialising: 'info',
  uploading: 'info',
  processing: 'info',
  publishing: 'info',
  published: 'good',
  failed: 'bad',
};
