// Device and service secrets as the registry stores them (registry/secrets.ts,
// registry/credential-key.ts): v2 hashes under a key kept outside the registry, old scrypt
// hashes still accepted and replaced at their next successful login, the key loaded from
// CREDENTIAL_KEY or a 0600 file and never written to the registry or the log.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, test } from 'vitest'
import { loadConfig, registryOptions } from '../platform/config.ts'
import { createLogger } from '../platform/logger.ts'
import { openRegistry } from '../registry/open-registry.ts'
import { legacyScryptHash } from '../registry/secrets.ts'

const tmp = () => mkdtempSync(join(tmpdir(), 'ws-cred-'))
const hashOf = (path: string, table: 'devices' | 'services', id: string) => {
  const db = new DatabaseSync(path, { readOnly: true })
  const row = db.prepare(`SELECT secret_hash FROM ${table} WHERE id = ?`).get(id) as { secret_hash: string }
  db.close()
  return row.secret_hash
}
/** What an older version left: the secret stored as a scrypt hash. */
function setLegacy (path: string, table: 'devices' | 'services', id: string, hash: string) {
  const db = new DatabaseSync(path)
  db.prepare(`UPDATE ${table} SET secret_hash = ? WHERE id = ?`).run(hash, id)
  db.close()
}

describe('credential hashes', () => {
  test('an old scrypt hash still logs in and is replaced by a v2 hash on success only; devices and services', async () => {
    const path = join(tmp(), 'registry.sqlite')
    const r = openRegistry(path)
    await r.addStation({ id: 'lg-1', name: 'Legacy' })
    const { secret } = await r.addDevice('lg-1', 'lg-1-door', 'door')
    const service = await r.services.add({ id: 'lg-board', name: 'Board', scope: { kind: 'all' } })
    setLegacy(path, 'devices', 'lg-1-door', await legacyScryptHash(secret))
    setLegacy(path, 'services', 'lg-board', await legacyScryptHash(service.secret))

    // A wrong secret changes nothing.
    expect(await r.authenticatePrincipal('lg-1-door', `${secret}x`)).toBeNull()
    expect(hashOf(path, 'devices', 'lg-1-door')).toMatch(/^scrypt\$2048\$8\$1\$/)

    const login = await r.authenticatePrincipal('lg-1-door', secret)
    expect(login).toMatchObject({ principal: 'device', deviceId: 'lg-1-door' })
    const upgraded = hashOf(path, 'devices', 'lg-1-door')
    expect(upgraded).toMatch(new RegExp(`^v2\\$${r.secrets.keyId}\\$[A-Za-z0-9_-]{43}$`))
    expect(login!.secretHash).toBe(upgraded)
    // The same secret keeps working, now against the new hash; a wrong one is still refused.
    expect(await r.authenticatePrincipal('lg-1-door', secret)).toMatchObject({ deviceId: 'lg-1-door' })
    expect(await r.authenticatePrincipal('lg-1-door', `${secret}x`)).toBeNull()
    expect(hashOf(path, 'devices', 'lg-1-door')).toBe(upgraded)
    // No credential change is recorded: an upgrade must not drop the device's connection.
    expect(await r.changesSince(0)).toEqual([])

    expect(await r.authenticatePrincipal('lg-board', service.secret)).toMatchObject({ principal: 'service', serviceId: 'lg-board' })
    expect(hashOf(path, 'services', 'lg-board')).toMatch(/^v2\$/)
    r.close()
  })

  test('an upgrade never undoes a rotation that happened while the old hash was being checked', async () => {
    const path = join(tmp(), 'registry.sqlite')
    const r = openRegistry(path)
    await r.addStation({ id: 'rc-1', name: 'Race' })
    const { secret } = await r.addDevice('rc-1', 'rc-1-door', 'door')
    setLegacy(path, 'devices', 'rc-1-door', await legacyScryptHash(secret))
    let rotated = ''
    const login = await r.authenticatePrincipal('rc-1-door', secret, async (s, stored) => {
      const ok = await r.secrets.verify(s, stored)
      rotated = (await r.devices.rotate('rc-1-door')).secret // an admin, during the scrypt check
      return ok
    })
    expect(login).not.toBeNull() // it matched the hash it read; the feed drops the connection
    expect(await r.changesSince(0)).toEqual([expect.objectContaining({ device_id: 'rc-1-door', change: 'rotated' })])
    expect(await r.authenticatePrincipal('rc-1-door', secret)).toBeNull()
    expect(await r.authenticatePrincipal('rc-1-door', rotated)).toMatchObject({ deviceId: 'rc-1-door' })
    r.close()
  })

  test('the key: a 0600 file beside the registry by default, reused, never in the registry; another key is named, not taken for a bad secret', async () => {
    const dir = tmp()
    const path = join(dir, 'registry.sqlite')
    const r = openRegistry(path)
    await r.addStation({ id: 'k-1', name: 'Key' })
    const { secret } = await r.addDevice('k-1', 'k-1-door', 'door')
    expect(r.credentialKeyInfo).toMatchObject({ source: join(dir, 'credential.key'), created: true })
    expect(statSync(join(dir, 'credential.key')).mode & 0o777).toBe(0o600)
    const keyText = readFileSync(join(dir, 'credential.key'), 'utf8').trim()
    r.close()

    // Reopened (another process, the CLI): same key, the secret verifies.
    const again = openRegistry(path)
    expect(again.credentialKeyInfo).toMatchObject({ created: false })
    expect(await again.authenticatePrincipal('k-1-door', secret)).toMatchObject({ deviceId: 'k-1-door' })
    again.close()
    // Neither the key nor the secret is anywhere in the registry file.
    const file = readFileSync(path)
    expect(file.includes(Buffer.from(keyText, 'base64'))).toBe(false)
    expect(file.includes(keyText)).toBe(false)
    expect(file.includes(secret)).toBe(false)

    // With another key the hash cannot be checked: an error that names both keys.
    const other = openRegistry(path, { credentialKey: Buffer.alloc(32, 7).toString('base64') })
    await expect(other.authenticatePrincipal('k-1-door', secret)).rejects.toThrow(/credential key .* but this process has key/)
    other.close()

    // CREDENTIAL_KEY itself, through the config (the file is then not read).
    const config = loadConfig({ REGISTRY_PATH: path, CREDENTIAL_KEY: keyText })
    const fromEnv = openRegistry(config.REGISTRY_PATH, registryOptions(config))
    expect(fromEnv.credentialKeyInfo.source).toBe('CREDENTIAL_KEY')
    expect(await fromEnv.authenticatePrincipal('k-1-door', secret)).toMatchObject({ deviceId: 'k-1-door' })
    fromEnv.close()

    // A key file others can read is refused, like ssh does; so is one that is not a key.
    chmodSync(join(dir, 'credential.key'), 0o644)
    expect(() => openRegistry(path)).toThrow(/readable by other users .*chmod 600/)
    chmodSync(join(dir, 'credential.key'), 0o600)
    writeFileSync(join(dir, 'short.key'), 'c2hvcnQ=\n', { mode: 0o600 })
    expect(() => openRegistry(path, { credentialKeyFile: join(dir, 'short.key') })).toThrow(/at least 32 bytes/)
  })

  test('config: CREDENTIAL_KEY validated, CREDENTIAL_KEY_FILE defaults beside the registry; the key is never logged', () => {
    expect(() => loadConfig({ CREDENTIAL_KEY: 'too-short' })).toThrow(/CREDENTIAL_KEY: base64 of at least 32 bytes/)
    expect(loadConfig({ DATA_DIR: '/srv/ws' }).CREDENTIAL_KEY_FILE).toBe('/srv/ws/credential.key')
    expect(loadConfig({ REGISTRY_PATH: '/var/lib/ws/reg.sqlite' }).CREDENTIAL_KEY_FILE).toBe('/var/lib/ws/credential.key')
    expect(loadConfig({ CREDENTIAL_KEY_FILE: '/run/secrets/ws-key' }).CREDENTIAL_KEY_FILE).toBe('/run/secrets/ws-key')

    const key = Buffer.alloc(32, 9).toString('base64')
    const lines: string[] = []
    const logger = createLogger('info', { destination: { write: (l: string) => { lines.push(l) } }, pretty: false })
    const config = loadConfig({ CREDENTIAL_KEY: key })
    logger.info({ config }, 'config')
    logger.info({ CREDENTIAL_KEY: key, opts: registryOptions(config) }, 'options')
    expect(lines.join('')).not.toContain(key)
    expect(lines.join('')).toContain('[redacted]')
  })
})
