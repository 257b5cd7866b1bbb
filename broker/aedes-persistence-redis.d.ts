// aedes-persistence-redis ships no types. Aedes 1.x wants the promise-based persistence class
// (its package main exports a callback wrapper for Aedes 0.x).
declare module 'aedes-persistence-redis/asyncPersistence.js' {
  export type RedisPersistenceOptions = {
    host?: string
    port?: number
    password?: string
    username?: string
    db?: number
    family?: 4 | 6
    /** Offline QoS 1 messages delivered per CONNECT (default 1000). */
    maxSessionDelivery?: number
    /** Seconds an offline message is kept (0: for ever). */
    packetTTL?: (packet: unknown) => number
  }
  export default class AsyncRedisPersistence {
    constructor (opts?: RedisPersistenceOptions)
    setup (broker: unknown): Promise<void>
    destroy (): Promise<void>
  }
}
