import { resolve } from 'node:path'
import { z } from 'zod'
import { ServiceId } from '../contract/ids.ts'
import { decodeCredentialKey, defaultCredentialKeyFile } from '../registry/credential-key.ts'
import { Datum } from '../registry/schemas.ts'

const port = z.coerce.number().int().min(0).max(65535)
const positive = z.coerce.number().int().positive()
const url = z.string().url()

// InfluxDB durations as retention policies take them (1.x refuses less than 1h; minutes and
// seconds are of no use for keeping days of events). Go durations top out at ~292 years.
const RETENTION_PATTERN = /^(?:INF|inf|[1-9][0-9]{0,6}[hdw])$/
const RETENTION_MESSAGE = 'RAW_RETENTION: a duration like 72h, 400d or 52w (at least 1h, at most 100 years), or INF'
const UNIT_MS = { h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const MAX_RETENTION_MS = 36_500 * UNIT_MS.d

/** A RAW_RETENTION value in milliseconds; null for INF (kept forever). */
export function retentionMs (value: string): number | null {
  if (value.toUpperCase() === 'INF') return null
  return Number(value.slice(0, -1)) * UNIT_MS[value.slice(-1) as keyof typeof UNIT_MS]
}

// A tile URL template: http(s), {z}, {x} and {y} each present, {s} optional, no other braces
// (a typo such as {Z} would otherwise be requested literally from the tile server).
export function isTileTemplate (v: string): boolean {
  if (!['{z}', '{x}', '{y}'].every((p) => v.includes(p))) return false
  const filled = v.replaceAll('{s}', 'a').replaceAll('{z}', '0').replaceAll('{x}', '0').replaceAll('{y}', '0')
  if (/[{}]/.test(filled)) return false
  try {
    const u = new URL(filled)
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === ''
  } catch {
    return false
  }
}

// WHATWG URL refuses an empty host after credentials (postgres://user@/db?host=/socket/dir, the
// unix-socket form pg accepts): parse such a URL with a placeholder host, which is never used.
const SOCKET_HOST = 'unix-socket.invalid'
function parsePostgresUrl (v: string): URL | null {
  try {
    const u = new URL(v.replace(/^(postgres(?:ql)?:\/\/(?:[^/@]*@)?)(?=[/?])/, `$1${SOCKET_HOST}`))
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return null
    if (u.hostname === SOCKET_HOST && !u.searchParams.has('host')) return null
    return u.pathname.length > 1 ? u : null
  } catch {
    return null
  }
}

/** A URL pg can connect with: postgres(ql)://, a host (or ?host=/socket/dir) and a database. */
export const isPostgresUrl = (v: string): boolean => parsePostgresUrl(v) !== null

/** Where the registry lives, for logs: the PostgreSQL URL without its password, or the SQLite file. */
export function registryLocation (c: Pick<Config, 'REGISTRY_URL' | 'REGISTRY_PATH'>): string {
  if (!c.REGISTRY_URL) return c.REGISTRY_PATH
  const u = parsePostgresUrl(c.REGISTRY_URL)!
  if (u.password) u.password = 'redacted'
  return u.toString().replace(SOCKET_HOST, '')
}

// Every setting comes from the environment, parsed once here. `.env.example` documents them.
export const ConfigSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.data'),
  REGISTRY_PATH: z.string().min(1).optional(),
  // The registry in PostgreSQL instead of the SQLite file (docs/scaling.md "Registry on
  // PostgreSQL"): postgres://user:password@host:port/database. Secret: never logged.
  REGISTRY_URL: z.string().refine(isPostgresUrl, 'REGISTRY_URL: postgres://user:password@host:port/database (or postgresql://…)').optional(),
  // Key of the device and service secret hashes (HMAC-SHA-256; docs/security.md "Credential
  // hashes"), kept out of the registry: base64 of at least 32 bytes (`openssl rand -base64 32`).
  // Unset: read from CREDENTIAL_KEY_FILE, default credential.key beside the registry, which is
  // created (mode 0600) when missing. Never logged.
  CREDENTIAL_KEY: z.string().refine((v) => decodeCredentialKey(v) !== null, 'CREDENTIAL_KEY: base64 of at least 32 bytes, as `openssl rand -base64 32` prints').optional(),
  CREDENTIAL_KEY_FILE: z.string().min(1).optional(),

  INFLUX_URL: url.default('http://127.0.0.1:8086'),
  INFLUX_DB: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'INFLUX_DB: letters, digits and _ only').default('waystation'),
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  // How long InfluxDB keeps raw events (the database's default retention policy): a whole number
  // and h, d or w, at least 1h, or INF. Rollups have their own policy, kept forever, so reports
  // over years do not depend on it. Why INF is the default: docs/security.md.
  RAW_RETENTION: z.string().regex(RETENTION_PATTERN, RETENTION_MESSAGE).refine((v) => !RETENTION_PATTERN.test(v) || (retentionMs(v) ?? 0) <= MAX_RETENTION_MS, RETENTION_MESSAGE)
    .transform((v) => v.toUpperCase() === 'INF' ? 'INF' : v).default('INF'),

  MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  // Plain TCP listener; "off" for TLS-only deployments.
  MQTT_PORT: z.union([z.literal('off'), port]).default(1883),
  // TLS listener: all three of port, certificate and key, or none.
  MQTT_TLS_PORT: port.optional(),
  MQTT_TLS_CERT: z.string().min(1).optional(),
  MQTT_TLS_KEY: z.string().min(1).optional(),
  MQTT_TLS_CA: z.string().min(1).optional(),
  // MQTT over WebSocket (path /mqtt); unset: off.
  MQTT_WS_PORT: port.optional(),
  // Largest MQTT packet accepted; a bigger one closes the connection before it is buffered.
  MQTT_MAX_PACKET_BYTES: positive.default(512 * 1024),
  MQTT_MAX_CONNECTIONS: positive.default(20_000),
  MQTT_MAX_CLIENT_ID_LENGTH: positive.max(65535).default(64),
  // MQTT over a Unix domain socket (for a TLS terminator or gateway on the same host); unset: off.
  MQTT_SOCKET_PATH: z.string().min(1).optional(),
  // Behind a TCP proxy (HAProxy send-proxy-v2, nginx proxy_protocol): every connection of the
  // plain TCP and Unix-socket listeners must start with a PROXY v1/v2 header, which gives the
  // client's address to the per-address limits and the logs. Only when the proxy is the sole
  // way in: the header is believed (broker/proxy-protocol.ts).
  MQTT_PROXY_PROTOCOL: z.enum(['off', 'on']).default('off'),
  // A client that does not read what the broker sends (PUBACKs) is not read either once this
  // much is unsent (at least the socket's own buffer, 64 KiB), and is disconnected when it stays
  // so for MQTT_UNSENT_TIMEOUT_MS.
  MQTT_MAX_UNSENT_BYTES: positive.default(64 * 1024),
  MQTT_UNSENT_TIMEOUT_MS: positive.default(30_000),
  // Per source address: connection attempts per window, and failed-login lockout.
  MQTT_CONNECTS_PER_WINDOW: positive.default(600),
  MQTT_CONNECT_WINDOW_MS: positive.default(10_000),
  MQTT_AUTH_MAX_FAILURES: positive.default(20),
  MQTT_AUTH_FAILURE_WINDOW_MS: positive.default(60_000),
  MQTT_AUTH_LOCKOUT_MS: positive.default(60_000),
  // How often the broker checks for revoked or rotated credentials and suspended stations.
  CREDENTIAL_POLL_MS: positive.default(1_000),
  BROKER_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default('waystation-1'),
  // Aedes' heartbeat between brokers sharing a persistence: one not heard for 3 heartbeats is
  // dead, and its clients' stored wills are published every 4.
  BROKER_HEARTBEAT_MS: positive.min(100).default(60_000),
  // Sessions, offline queues, retained messages: in memory, or in Redis (survive restarts).
  BROKER_PERSISTENCE: z.enum(['memory', 'redis']).default('memory'),
  REDIS_URL: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'REDIS_URL: redis://[user:password@]host:port[/db]').optional(),
  // Cluster coordination (docs/cluster.md): `redis` runs the rollup job, the alert evaluator and
  // the notifier once per cluster under leases in REDIS_URL, fed with every node's stored events,
  // and shares Aedes' message bus between nodes (cross-node delivery, client take-over).
  CLUSTER: z.enum(['off', 'redis']).default('off'),
  // A lease holder that dies is replaced after at most this long.
  CLUSTER_LEASE_TTL_MS: positive.min(300).default(15_000),
  // How often devices' last-seen times are written to the registry.
  PRESENCE_FLUSH_MS: positive.default(5_000),
  // A station with no message or keep-alive from any device for this long counts as offline.
  STATION_OFFLINE_AFTER_S: positive.default(300),
  // The API's cache of fleet answers of complete months (api/fleet-cache/; ~35 MB per month
  // with 20,000 stations): its bound in MB, 0 = no cache. FLEET_CACHE_WARM=off: no background
  // computation of the last complete month's answers after start and after a change.
  FLEET_CACHE_MB: z.coerce.number().int().min(0).max(65_536).default(128),
  FLEET_CACHE_WARM: z.enum(['on', 'off']).default('on'),
  // Alert rule evaluation (docs/alerts.md) in the process that runs ingest; how often the
  // time-based conditions (offline, pending periods, hold-offs, escalation) are evaluated.
  ALERTS_TICK_MS: positive.default(1_000),
  // `off`: this process runs no rule evaluation (no alert opens, fires or resolves; the notifier
  // still sends what is recorded). What evaluation costs per stored event: bench/alerts-cost.ts.
  ALERTS_EVALUATION: z.enum(['on', 'off']).default('on'),
  // Alert notifications (webhooks; docs/alerts.md "Notifications"), sent by the process that
  // evaluates alerts. Group wait: how long the first transition of a group (same district, rule
  // and kind) waits for others, so a district-wide outage is one notification (Alertmanager's
  // group_wait is 30 s too); 0 sends each transition at once.
  NOTIFY_GROUP_WAIT_S: z.coerce.number().int().min(0).max(3600).default(30),
  // A notification not delivered this long after it was created is given up (API, metrics, log).
  NOTIFY_GIVE_UP_AFTER_S: positive.default(24 * 3600),
  // Retry back-off after a network error or 5xx: base * 2^(attempt-1), capped, with jitter.
  NOTIFY_RETRY_BASE_MS: positive.default(2_000),
  NOTIFY_RETRY_MAX_MS: positive.default(10 * 60_000),
  NOTIFY_TIMEOUT_MS: positive.default(10_000),
  // Flap control: a station's rule (and subject) that fires more often than this in an hour
  // notifies once, then holds its notifications until it settles.
  NOTIFY_FLAP_MAX_PER_HOUR: positive.default(4),
  NOTIFY_TICK_MS: positive.default(500),
  // The dashboard's public address, for links in notifications (https://ops.example.org).
  PUBLIC_URL: url.optional(),
  // Where a stand-alone API process finds the broker for /health.
  BROKER_URL: z.string().regex(/^mqtts?:\/\/[^/]+$/, 'BROKER_URL: mqtt://host:port').default('mqtt://127.0.0.1:1883'),

  // Live view (GET /live, /live/stream; docs/dashboard.md). An API process without the broker
  // follows stored events as this MQTT service client (`waystation services add --all-stations`)
  // at BROKER_URL; without one it re-reads InfluxDB every 30 s.
  LIVE_MQTT_SERVICE_ID: ServiceId.optional(),
  LIVE_MQTT_SERVICE_SECRET: z.string().min(1).optional(),
  // Comment line on open event streams, so proxies keep them and clients see they are alive.
  LIVE_HEARTBEAT_S: positive.max(3600).default(15),

  // Dashboard map tiles (docs/dashboard.md "Map tiles"). Unset: no tiles, the map needs no
  // internet. WEB_MAP_TILE_DATUM is the datum the tiles are drawn in (gcj02 for AMap and other
  // maps of mainland China); markers are converted to it. The attribution is shown on the map.
  WEB_MAP_TILE_URL: z.string().refine(isTileTemplate, 'WEB_MAP_TILE_URL: an http(s) URL template with {z}, {x} and {y} (and optionally {s}), e.g. https://tile.example.org/{z}/{x}/{y}.png').optional(),
  WEB_MAP_TILE_SUBDOMAINS: z.string().transform((s) => s.split(',').map((d) => d.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9-]{1,32}$/, 'WEB_MAP_TILE_SUBDOMAINS: comma-separated host labels such as a,b,c or 1,2,3,4')).min(1)).default(['a', 'b', 'c']),
  WEB_MAP_TILE_DATUM: Datum.default('wgs84'),
  WEB_MAP_TILE_ATTRIBUTION: z.string().max(300).default(''),
  WEB_MAP_TILE_MAX_ZOOM: z.coerce.number().int().min(0).max(22).default(18),

  // /metrics for a broker-only process (with the API in the process, the API serves it).
  METRICS_PORT: port.optional(),

  API_HOST: z.string().min(1).default('0.0.0.0'),
  API_PORT: port.default(3000),
  // HTTP API protection; the same defaults as api/auth/security-options.ts.
  API_RATE_LIMIT_MAX: positive.default(300),
  API_RATE_LIMIT_WINDOW_MS: positive.default(60_000),
  API_BODY_LIMIT: positive.default(1024 * 1024),
  API_IMPORT_BODY_LIMIT: positive.default(8 * 1024 * 1024),
  API_CORS_ORIGINS: z.string().transform((s) => s.split(',').map((o) => o.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?$/, 'API_CORS_ORIGINS: comma-separated origins like https://dash.example.org'))).default([]),
  // false | true | comma-separated proxy addresses/CIDRs (Fastify's trustProxy).
  API_TRUST_PROXY: z.string().regex(/^(?:true|false|[0-9A-Fa-f.:/, ]+)$/, 'API_TRUST_PROXY: true, false or proxy addresses/CIDRs')
    .transform((v) => (v === 'true' ? true : v === 'false' ? false : v)).default(false),
  // Dashboard sign-in (POST /session): attempts per window and client address; and how long a
  // browser session lasts without a request (a duration like 30m, 12h, 7d; capped at the token's expiry).
  API_SIGN_IN_RATE_LIMIT_MAX: positive.default(30),
  SESSION_TTL: z.string().regex(/^[1-9][0-9]{0,5}[mhd]$/, 'SESSION_TTL: a duration like 30m, 12h or 7d')
    .transform((v) => Number(v.slice(0, -1)) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[v.slice(-1) as 'm' | 'h' | 'd'])
    .pipe(z.number().max(365 * 86_400_000, 'SESSION_TTL: at most 365d')).default(12 * 3_600_000),
  // /metrics without a token, for a Prometheus scraper on a trusted network.
  METRICS_PUBLIC: z.enum(['true', 'false']).transform((v) => v === 'true').default(false),

  INGEST_BATCH_MAX_POINTS: positive.default(5000),
  INGEST_BATCH_MAX_BYTES: positive.default(4 * 1024 * 1024),
  INGEST_MAX_IN_FLIGHT: positive.max(16).default(2),
  INGEST_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(10),
  INGEST_MAX_PENDING_POINTS: positive.default(200_000),
  INGEST_MAX_PENDING_BYTES: positive.default(64 * 1024 * 1024),
  INGEST_MAX_PENDING_PER_CLIENT: positive.default(2_000),
  INGEST_WRITE_TIMEOUT_MS: positive.default(15_000),
  INGEST_RETRY_MAX_DELAY_MS: positive.default(30_000),

  SHUTDOWN_GRACE_MS: positive.default(15_000)
})

export type Config = z.infer<typeof ConfigSchema> & { REGISTRY_PATH: string, CREDENTIAL_KEY_FILE: string }

/** How the registry finds its credential key (registry/credential-key.ts). */
export const registryOptions = (c: Config) => ({ credentialKey: c.CREDENTIAL_KEY, credentialKeyFile: c.CREDENTIAL_KEY_FILE })

export class ConfigError extends Error {}

export function loadConfig (env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "unset" (the usual reading of `FOO=` in .env files).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = ConfigSchema.safeParse(cleaned)
  if (!parsed.success) {
    throw new ConfigError(`Invalid configuration:\n${z.prettifyError(parsed.error)}`)
  }
  const c = parsed.data
  const tls = [c.MQTT_TLS_PORT, c.MQTT_TLS_CERT, c.MQTT_TLS_KEY].filter((v) => v !== undefined).length
  if (tls !== 0 && tls !== 3) {
    throw new ConfigError('Invalid configuration:\n✖ MQTT_TLS_PORT, MQTT_TLS_CERT and MQTT_TLS_KEY go together\n  → at MQTT_TLS_PORT')
  }
  if (c.MQTT_PORT === 'off' && tls === 0 && c.MQTT_WS_PORT === undefined && c.MQTT_SOCKET_PATH === undefined) {
    throw new ConfigError('Invalid configuration:\n✖ MQTT_PORT=off needs MQTT_TLS_PORT, MQTT_WS_PORT or MQTT_SOCKET_PATH\n  → at MQTT_PORT')
  }
  if ((c.LIVE_MQTT_SERVICE_ID === undefined) !== (c.LIVE_MQTT_SERVICE_SECRET === undefined)) {
    throw new ConfigError('Invalid configuration:\n✖ LIVE_MQTT_SERVICE_ID and LIVE_MQTT_SERVICE_SECRET go together\n  → at LIVE_MQTT_SERVICE_ID')
  }
  if (c.BROKER_PERSISTENCE === 'redis' && !c.REDIS_URL) {
    throw new ConfigError('Invalid configuration:\n✖ REDIS_URL is required when BROKER_PERSISTENCE=redis\n  → at REDIS_URL')
  }
  if (c.CLUSTER === 'redis') {
    if (!c.REDIS_URL) throw new ConfigError('Invalid configuration:\n✖ REDIS_URL is required when CLUSTER=redis\n  → at REDIS_URL')
    // Aedes tells brokers apart by id (heartbeats, wills): a shared default would merge them.
    if (cleaned.BROKER_ID === undefined) throw new ConfigError('Invalid configuration:\n✖ BROKER_ID must be set (unique per node, the same across its restarts) when CLUSTER=redis\n  → at BROKER_ID')
  }
  if (c.REGISTRY_URL && c.REGISTRY_PATH) {
    throw new ConfigError('Invalid configuration:\n✖ REGISTRY_URL (PostgreSQL) and REGISTRY_PATH (SQLite file): set one of them\n  → at REGISTRY_URL')
  }
  const registryPath = resolve(c.REGISTRY_PATH ?? `${c.DATA_DIR}/registry.sqlite`)
  return { ...c, DATA_DIR: resolve(c.DATA_DIR), REGISTRY_PATH: registryPath, CREDENTIAL_KEY_FILE: resolve(c.CREDENTIAL_KEY_FILE ?? defaultCredentialKeyFile(registryPath)) }
}
