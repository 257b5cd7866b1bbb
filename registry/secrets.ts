import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

// Device and service secrets are stored only as hashes: a stolen registry does not give anyone
// a working credential. Two formats, told apart by their first field:
//
//   v2$<key id>$<mac>                HMAC-SHA-256(credential key, secret), base64url. Current.
//   scrypt$N$r$p$<salt>$<hash>       what earlier versions wrote (N = 2048, r = 8, p = 1).
//
// Why a keyed fast hash is enough (docs/security.md "Credential hashes"): the secrets are 256
// random bits that the registry generates, never something a person chose, so there is no
// dictionary for a slow hash to slow down: guessing one is 2^255 tries on average whatever each
// try costs. What scrypt did cost was reconnect storms (~4 ms of CPU per login: 10,000
// stations ~34 s after a restart); an HMAC is ~2 µs. The key lives outside the registry
// (registry/credential-key.ts), so a copy of the registry alone does not even allow checking a
// guess. A scrypt hash still verifies, and is replaced by a v2 hash at its next successful
// login (registry/open-registry.ts, authenticatePrincipal).

/** The server-side key of v2 hashes, and its id (stored in each hash, so a wrong key is named). */
export type CredentialKey = { id: string, key: Buffer }

export function credentialKey (key: Buffer): CredentialKey {
  if (key.length < 32) throw new Error('a credential key must have at least 32 bytes')
  // An HMAC of a constant under the key: it tells keys apart (48 bits) and says nothing about
  // the key to someone who does not have it.
  const id = createHmac('sha256', key).update('waystation credential key id').digest().subarray(0, 6).toString('base64url')
  return { id, key }
}

/** A new random secret: 32 bytes, base64url (43 chars). Shown once, never stored in clear. */
export function generateSecret (): string {
  return randomBytes(32).toString('base64url')
}

export type VerifySecret = (secret: string, stored: string) => Promise<boolean>

const LEGACY = { N: 2048, r: 8, p: 1 }
const KEYLEN = 32

function derive (secret: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEYLEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)))
  })
}

/**
 * A scrypt hash as versions before v2 stored them. Only for tests and benchmarks that need a
 * registry as an older version left it; the registry itself writes v2 hashes.
 */
export async function legacyScryptHash (secret: string, cost: ScryptOptions & { N: number, r: number, p: number } = LEGACY): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(secret, salt, cost)
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`
}

async function verifyScrypt (secret: string, parts: string[]): Promise<boolean> {
  if (parts.length !== 6) return false
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(secret, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) })
  return key.length === expected.length && timingSafeEqual(key, expected)
}

/** What a stored hash costs to check, without its salt or value: `v2$<key id>` or `scrypt$N$r$p`. */
export function hashScheme (stored: string): string {
  const parts = stored.split('$')
  return parts[0] === 'v2' ? parts.slice(0, 2).join('$') : parts.slice(0, 4).join('$')
}

/** Hashing and checking secrets with one credential key. */
export function createSecretHasher (ck: CredentialKey) {
  const mac = (secret: string) => createHmac('sha256', ck.key).update(secret, 'utf8').digest()
  const hash = (secret: string): string => `v2$${ck.id}$${mac(secret).toString('base64url')}`
  // The hash of a secret nobody has: a login for an id without a usable credential is checked
  // against it, so it costs the same as one for a real id and its timing does not tell which
  // ids exist (or are revoked).
  const dummy = hash(generateSecret())

  async function verify (secret: string, stored: string): Promise<boolean> {
    const parts = stored.split('$')
    if (parts[0] === 'scrypt') return verifyScrypt(secret, parts)
    if (parts[0] !== 'v2' || parts.length !== 3) return false
    if (parts[1] !== ck.id) {
      // Not a wrong secret but a wrong server configuration: every login would fail and lock
      // addresses out. Thrown, so the broker logs it and answers "unavailable", not "bad secret".
      throw new Error(`credential hash made with credential key ${parts[1]}, but this process has key ${ck.id}: set CREDENTIAL_KEY or CREDENTIAL_KEY_FILE to the key the registry was issued with`)
    }
    const expected = Buffer.from(parts[2]!, 'base64url')
    const actual = mac(secret)
    // Constant time in the contents: the lengths are public (32 bytes in every v2 hash).
    return expected.length === actual.length && timingSafeEqual(actual, expected)
  }

  return {
    keyId: ck.id,
    /** The stored form of a new secret. Synchronous: an HMAC takes microseconds. */
    hash,
    verify: verify as VerifySecret,
    dummy,
    /** False for a hash in an older format (scrypt), which is replaced at its next successful login. */
    isCurrent: (stored: string) => stored.startsWith(`v2$${ck.id}$`)
  }
}

export type SecretHasher = ReturnType<typeof createSecretHasher>
