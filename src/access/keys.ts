/**
 * Agent API keys: `seam_ak_` + 32 base62 characters of randomness (~190 bits) + a 6-character
 * CRC32 checksum, so a typo or a truncated key is told apart from a guess without a database
 * round trip, and secret scanners can recognise the prefix. Only sha256(key) is stored: the key has
 * enough entropy that a slow hash adds nothing.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Queryable } from '../store/types.ts';

export const KEY_PREFIX = 'seam_ak_';
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);
const TOKEN_BODY = /^[0-9A-Za-z]+$/;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A scope is `verb:object`, e.g. `read:accounts`, `propose:set-credit-limit`, `pii:email`, `events:read`. */
export const Scope = z
  .string()
  .regex(/^[a-z]+:[a-z0-9*][a-z0-9_.*-]*$/, 'a scope looks like read:accounts or propose:set-credit-limit');

function base62(bytes: Buffer, length: number): string {
  let n = BigInt('0x' + bytes.toString('hex'));
  let out = '';
  while (out.length < length) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(s: string): number {
  let c = 0xffffffff;
  for (const b of Buffer.from(s)) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc32(body));
  return base62(b, CHECKSUM_LENGTH);
}

/** A secret token: `prefix` + 32 base62 characters (~190 bits) + 6-character checksum. */
export function generateToken(prefix: string): string {
  const body = base62(randomBytes(24), BODY_LENGTH);
  return prefix + body + checksum(body);
}

/** Shape and checksum of a token with this prefix; says nothing about whether it exists. */
export function isWellFormedToken(token: string, prefix: string): boolean {
  if (!token.startsWith(prefix) || token.length !== prefix.length + BODY_LENGTH + CHECKSUM_LENGTH)
    return false;
  const rest = token.slice(prefix.length);
  if (!TOKEN_BODY.test(rest)) return false;
  return checksum(rest.slice(0, BODY_LENGTH)) === rest.slice(BODY_LENGTH);
}

export function generateKey(): string {
  return generateToken(KEY_PREFIX);
}

/** Shape and checksum only; says nothing about whether the key exists. */
export function isWellFormedKey(key: string): boolean {
  return KEY_PATTERN.test(key) && isWellFormedToken(key, KEY_PREFIX);
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface DbApiKey {
  id: string;
  name: string;
  display_prefix: string;
  key_hash: string;
  scopes: string[];
  expires_at: Date | null;
  revoked_at: Date | null;
  rate_limit_per_minute: number | null;
  created_at: Date;
  created_by: string;
  last_used_at: Date | null;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  rateLimitPerMinute: number | null;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
}

export function keyInfo(r: DbApiKey): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    prefix: r.display_prefix,
    scopes: r.scopes,
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    rateLimitPerMinute: r.rate_limit_per_minute,
    createdAt: r.created_at.toISOString(),
    createdBy: r.created_by,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

export const CreateKeyInput = z.object({
  name: z.string().min(1).max(100),
  scopes: z.array(Scope).max(100).default([]),
  expiresAt: z.coerce.date().optional(),
  rateLimitPerMinute: z.number().int().positive().max(1_000_000).optional(),
});
export type CreateKeyInput = z.input<typeof CreateKeyInput>;

/** Create a key; the returned `key` is the only time the secret exists outside the caller's hands. */
export async function createKey(
  db: Queryable,
  input: CreateKeyInput,
  createdBy: string,
): Promise<{ key: string; info: ApiKeyInfo }> {
  const parsed = CreateKeyInput.parse(input);
  const key = generateKey();
  const r = await db.query<DbApiKey>(
    `INSERT INTO api_keys (id, name, display_prefix, key_hash, scopes, expires_at, rate_limit_per_minute, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
    [
      randomUUID(),
      parsed.name,
      key.slice(0, KEY_PREFIX.length + 6),
      hashKey(key),
      parsed.scopes,
      parsed.expiresAt ?? null,
      parsed.rateLimitPerMinute ?? null,
      createdBy,
    ],
  );
  return { key, info: keyInfo(r.rows[0]!) };
}

/** The key row for a presented key, if it exists (valid or not: the caller decides). */
export async function findKey(db: Queryable, key: string): Promise<DbApiKey | undefined> {
  const r = await db.query<DbApiKey>('SELECT * FROM api_keys WHERE key_hash = $1', [hashKey(key)]);
  return r.rows[0];
}
