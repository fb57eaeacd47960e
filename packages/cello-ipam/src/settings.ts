/**
 * Node settings: written by the pool keeper (from the cluster config), read by
 * the CNI on every ADD inside the allocation transaction. Stored as JSON
 * values under their key; a missing key means the default.
 */
import type { Db } from './db.ts';
import { UsageError } from '@cello/cli-kit';
import { DEFAULT_SETTINGS, type Settings } from './types.ts';

const CHOICES: { [K in keyof Settings]?: readonly string[] } = {
  networkMode: ['shared', 'exclusive'],
  ipFamily: ['ipv4', 'ipv6', 'dual'],
  datapath: ['auto', 'ipvlan', 'veth'],
};

const MAX_COOLDOWN_SEC = 86_400;

/** Check one setting; throws naming the key. Numbers may come as text (from the CLI). */
export function validateSetting<K extends keyof Settings>(key: string, value: unknown): Settings[K] {
  if (!(key in DEFAULT_SETTINGS)) {
    throw new UsageError(`unknown setting "${key}": known settings are ${Object.keys(DEFAULT_SETTINGS).join(', ')}`);
  }
  if (key === 'ipCooldownSec') {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > MAX_COOLDOWN_SEC) {
      throw new UsageError(`setting ipCooldownSec must be a number of seconds from 0 to ${MAX_COOLDOWN_SEC}, got ${JSON.stringify(value)}`);
    }
    return n as Settings[K];
  }
  const choices = CHOICES[key as keyof Settings]!;
  if (typeof value !== 'string' || !choices.includes(value)) {
    throw new UsageError(`setting ${key} must be one of ${choices.join('|')}, got ${JSON.stringify(value)}`);
  }
  return value as Settings[K];
}

export function readSettings(db: Db): Settings {
  const rows = db.all<{ key: string; value: string }>('SELECT key, value FROM settings');
  const out: Settings = { ...DEFAULT_SETTINGS };
  for (const { key, value } of rows) {
    if (key in DEFAULT_SETTINGS) (out as unknown as Record<string, unknown>)[key] = JSON.parse(value);
  }
  return out;
}

/** Validate every given key first, then write them in one transaction. */
export function writeSettings(db: Db, changes: Partial<Record<keyof Settings, unknown>>): Settings {
  const valid = Object.entries(changes).map(([k, v]) => [k, validateSetting(k, v)] as const);
  return db.write(() => {
    for (const [key, value] of valid) {
      db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, JSON.stringify(value)]);
    }
    return readSettings(db);
  });
}
