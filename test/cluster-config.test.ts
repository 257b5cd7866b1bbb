// CLUSTER=redis is refused with a clear message when it could not work: no Redis, or brokers that
// Aedes could not tell apart. Shared broker persistence is accepted since the nodes share Aedes'
// bus (mqemitter-redis): they hear each other's heartbeats.
import { expect, test } from 'vitest'
import { loadConfig } from '../platform/config.ts'

const base = { CLUSTER: 'redis', REDIS_URL: 'redis://127.0.0.1:6379', BROKER_ID: 'node-a' }

test('CLUSTER=redis: accepted with REDIS_URL and an explicit BROKER_ID, with either broker persistence', () => {
  expect(loadConfig(base)).toMatchObject({ CLUSTER: 'redis', BROKER_ID: 'node-a', CLUSTER_LEASE_TTL_MS: 15_000 })
  expect(loadConfig({ ...base, BROKER_PERSISTENCE: 'redis' })).toMatchObject({ CLUSTER: 'redis', BROKER_PERSISTENCE: 'redis' })
  expect(loadConfig({}).CLUSTER).toBe('off')
})

test('CLUSTER=redis: refused without REDIS_URL or without BROKER_ID', () => {
  expect(() => loadConfig({ ...base, REDIS_URL: '' })).toThrow(/REDIS_URL is required when CLUSTER=redis/)
  expect(() => loadConfig({ CLUSTER: 'redis', REDIS_URL: base.REDIS_URL })).toThrow(/BROKER_ID must be set/)
  expect(() => loadConfig({ ...base, CLUSTER: 'etcd' })).toThrow(/CLUSTER/)
})
