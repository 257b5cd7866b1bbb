// What the registry commands share: argument parsing that turns mistakes into usage errors,
// the audit actor of whoever runs the CLI, one registry handle per command, and output.
// Exit codes: 0 done, 1 the registry refused (not found, conflict, invalid value), 2 usage.
import { userInfo } from 'node:os'
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util'
import type { Config } from '../../platform/config.ts'
import { createAdmin, type Admin } from '../../registry/admin.ts'
import { openConfiguredRegistry, RegistryError, type Registry } from '../../registry/open-registry.ts'
import type { StationScope } from '../../registry/schemas.ts'

/** A command line that does not fit the usage: exit 2 with the usage text. */
export class UsageError extends Error {}

/** parseArgs, with its own errors (unknown option, missing value) as UsageError. */
export function parse<O extends ParseArgsOptionsConfig> (args: string[], options: O, positionals = 0) {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true })
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals])}`)
    return parsed
  } catch (err) {
    if (err instanceof UsageError) throw err
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message)
    throw err
  }
}

/** The value of a required option or positional, or a UsageError naming it. */
export function required<T> (value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new UsageError(`${name} is required`)
  return value
}

export function num (v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new RegistryError('invalid', `--${name} must be a number, got ${JSON.stringify(v)}`)
  return n
}

/** `cli:<os user>`: the audit log names the person at the server's shell. */
export function cliActor (): string {
  let user: string | undefined
  try {
    user = userInfo().username
  } catch {
    // No passwd entry (some containers): fall back to the environment, then the uid.
    user = process.env.USER ?? process.env.LOGNAME ?? `uid-${process.getuid?.() ?? 'unknown'}`
  }
  return `cli:${user}`
}

/**
 * Runs one command against the registry with the audited admin service (the same one the
 * admin API uses) and maps failures to exit codes and messages on stderr.
 */
export async function runRegistryCommand (config: Config, usage: string, fn: (ctx: { registry: Registry, admin: Admin, actor: string }) => Promise<number> | number): Promise<number> {
  let registry: Registry | undefined
  try {
    registry = await openConfiguredRegistry(config)
    return await fn({ registry, admin: createAdmin(registry), actor: cliActor() })
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\n${usage}`)
      return 2
    }
    if (err instanceof RegistryError) {
      console.error(`error: ${err.message}`)
      return 1
    }
    throw err
  } finally {
    registry?.close()
  }
}

export function printJson (value: unknown): void {
  console.log(JSON.stringify(value, null, 2))
}

/** A table for people, or JSON for scripts (`--json`). */
export function printRows<T extends object> (rows: T[], json: boolean | undefined, pick: (row: T) => object = (r) => r): void {
  if (json) printJson(rows)
  else if (rows.length === 0) console.log('(none)')
  else console.table(rows.map(pick))
}

/** The station scope options of services and tokens: at most one of them. */
export const SCOPE = '--all-stations | --district NAME | --stations ID,ID,…'
export const SCOPE_OPTIONS = { 'all-stations': { type: 'boolean' }, district: { type: 'string' }, stations: { type: 'string' } } as const

// At most one scope option: they do not combine, and guessing which one wins would be worse.
export function scopeOf (v: { 'all-stations'?: boolean, district?: string, stations?: string }): StationScope | undefined {
  const given = [v['all-stations'] ? 'all' : null, v.district !== undefined ? 'district' : null, v.stations !== undefined ? 'stations' : null].filter(Boolean)
  if (given.length > 1) throw new UsageError(`one scope only: ${SCOPE}`)
  if (v['all-stations']) return { kind: 'all' }
  if (v.district !== undefined) return { kind: 'district', district: v.district }
  if (v.stations !== undefined) return { kind: 'stations', stations: v.stations.split(',').map((s) => s.trim()).filter(Boolean) }
  return undefined
}

export const scopeText = (scope: StationScope): string =>
  scope.kind === 'all' ? 'all' : scope.kind === 'district' ? `district ${scope.district}` : `stations ${scope.stations.join(',')}`

/**
 * A record with its one-time secret. For people: `field: value` lines, then the secret alone on
 * the last line as `secret: …`; with `--json`: the record and secret as one JSON object on one
 * line. Either survives text printed before it on stdout (npm's banner when run as
 * `npm run waystation` without --silent): `grep '^secret: '` or `tail -n 1 | jq -r .secret`.
 * The warning goes to stderr (`stored`: how the server keeps it, e.g. a webhook's signing key in clear).
 */
export function printWithSecret (record: object, secret: string, json: boolean | undefined, advice: string, stored = 'stored only as a hash'): void {
  if (json) {
    console.log(JSON.stringify({ ...record, secret }))
  } else {
    const text = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v))
    console.log([...Object.entries(record).map(([k, v]) => `${k}: ${text(v)}`), `secret: ${secret}`].join('\n'))
  }
  console.error(`The secret is shown once and ${stored}. ${advice}`)
}
