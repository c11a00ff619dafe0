// Account-side test wiring: a vault with a fresh key, service deps, and inputs carrying canary secrets.
import { randomBytes } from 'node:crypto';
import type { AccountDeps, NewAccount } from '../../src/accounts/accounts-service.ts';
import type { Db } from '../../src/db/pool.ts';
import { createVault, type Vault } from '../../src/vault/vault.ts';
import { canary, canaryTotpSecret } from './canary.ts';
import { defaultWarmingPolicy } from '../../src/warming/warming-policy.ts';

export const keyLine = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

export function vaultWith(...lines: string[]): Vault {
  return createVault({ keys: lines.join(','), keyFile: undefined });
}

export function accountDeps(db: Db, vault: Vault = vaultWith(keyLine('k1')), actor = 'tester'): AccountDeps {
  return { db, vault, actor, warmingPolicy: defaultWarmingPolicy };
}

let n = 0;
export const username = (prefix = 'acct'): string => `${prefix}_${process.pid}_${++n}`;

export function newAccount(overrides: Partial<NewAccount> = {}): NewAccount {
  return {
    platform: 'tiktok',
    username: username(),
    secrets: {
      email: `${canary('email')}@example.com`,
      password: canary('password'),
      totp_secret: canaryTotpSecret(),
      proxy_credentials: `user:${canary('proxy')}@proxy.example:8080`,
    },
    ...overrides,
  };
}
