import { randomBytes } from 'node:crypto'
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { credentialKey, type CredentialKey } from './secrets.ts'

// The key of the registry's credential hashes (registry/secrets.ts) is kept out of the registry
// itself, so that a copy of the registry (a backup, a dump, a replica) does not allow checking
// guesses against its hashes. Where it comes from, first found:
//   1. CREDENTIAL_KEY: the key itself, base64 of at least 32 bytes (`openssl rand -base64 32`),
//      e.g. from a secret manager;
//   2. the file CREDENTIAL_KEY_FILE, default `credential.key` beside the registry (DATA_DIR
//      unless REGISTRY_PATH moves it), created with a random key (mode 0600) when missing.
// Losing the key invalidates every device and service secret issued under it (they must be
// rotated); that is why the default writes it next to the registry, where backups find it.

/** At least 32 bytes in base64 or base64url; null if it is not. */
export function decodeCredentialKey (text: string): Buffer | null {
  const t = text.trim()
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return null
  const key = Buffer.from(t, 'base64')
  return key.length >= 32 ? key : null
}

export const defaultCredentialKeyFile = (registryPath: string) => join(dirname(registryPath), 'credential.key')

function readKeyFile (file: string): CredentialKey {
  const mode = statSync(file).mode & 0o777
  // Like ssh with a private key: a key others can read is no longer the server's alone.
  if ((mode & 0o077) !== 0) throw new Error(`credential key file ${file} is readable by other users (mode ${mode.toString(8)}): chmod 600 ${file}`)
  const key = decodeCredentialKey(readFileSync(file, 'utf8'))
  if (!key) throw new Error(`credential key file ${file}: expected base64 of at least 32 bytes (as \`openssl rand -base64 32\` prints)`)
  return credentialKey(key)
}

/**
 * The credential key from the configuration (see above). `created` is true when the file was
 * made now: the caller says so in its log (never the key itself).
 */
export function loadCredentialKey (opts: { key?: string, file: string }): { key: CredentialKey, source: string, created: boolean } {
  if (opts.key !== undefined) {
    const key = decodeCredentialKey(opts.key)
    if (!key) throw new Error('CREDENTIAL_KEY: expected base64 of at least 32 bytes (as `openssl rand -base64 32` prints)')
    return { key: credentialKey(key), source: 'CREDENTIAL_KEY', created: false }
  }
  try {
    return { key: readKeyFile(opts.file), source: opts.file, created: false }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  // Written whole under a temporary name, then linked into place: link() fails if the file
  // exists, so two processes starting at once (a CLI and the server) end up with one key,
  // and neither ever reads a half-written file.
  mkdirSync(dirname(opts.file), { recursive: true })
  const tmp = `${opts.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  chmodSync(tmp, 0o600) // whatever the umask
  let created = true
  try {
    linkSync(tmp, opts.file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    created = false
  } finally {
    unlinkSync(tmp)
  }
  return { key: readKeyFile(opts.file), source: opts.file, created }
}
