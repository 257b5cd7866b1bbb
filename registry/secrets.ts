import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// Device secrets are stored only as scrypt hashes: a stolen registry file does not give anyone
// a working device credential. Format: scrypt$N$r$p$salt(b64url)$hash(b64url), so the cost can
// change without invalidating existing hashes.
//
// Why N = 2048 and not the 16384 recommended for passwords: these secrets are 256 random bits
// that we generate, not something a person chose, so there is no dictionary for a slow hash to
// slow down; the cost only buys time against nothing. What it does cost is reconnect storms:
// at N = 16384 (~35 ms per check here) 10,000 stations reconnecting after a broker restart
// need ~6 minutes of CPU before the last one is in (bench/RESULTS.md); at 2048 (~4 ms) ~40 s.
const N = 2048
const R = 8
const P = 1
const KEYLEN = 32

function derive (secret: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/** A new random secret: 32 bytes, base64url (43 chars). Shown once, never stored in clear. */
export function generateSecret (): string {
  return randomBytes(32).toString('base64url')
}

export async function hashSecret (secret: string): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(secret, salt, { N, r: R, p: P })
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

export type VerifySecret = (secret: string, stored: string) => Promise<boolean>

let dummy: Promise<string> | undefined
/**
 * The hash of a secret nobody has, with the current parameters: a login for an id without a
 * usable credential is checked against it, so that it costs the same scrypt work as one for a
 * real id and the answer's timing does not tell which ids exist (or are revoked).
 */
export function dummySecretHash (): Promise<string> {
  dummy ??= hashSecret(generateSecret())
  return dummy
}

export async function verifySecret (secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) })
  return key.length === expected.length && timingSafeEqual(key, expected)
}
