// The live view of a node that runs the broker and the API together (`waystation start`) in a
// cluster. Its own node's stored events come from ingest's hook, as without a cluster; the
// other nodes' come from the cluster's stored feed (cluster/stored-feed.ts), the Redis stream
// every node already writes its stored events to, in batches, for the leased jobs. Entries this
// node wrote are skipped: the hook already counted them.
//
// It used to subscribe to `stations/#` on the brokers' bus (cluster/mq-emitter.ts), which made
// every node forward every stored message through Redis, one PUBLISH each, whether an MQTT
// subscriber wanted it or not (issue 15). The feed costs one XADD per node per 50 ms and keeps
// entries: after Redis was unreachable the reader continues from its cursor, so nothing of the
// gap is lost (while the stream still holds it, see MAX_LEN there), and the live view's periodic
// re-read of InfluxDB (api/live/live-service.ts) puts right what a longer gap missed.
import type { Redis } from 'ioredis'
import type { AnyEvent } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'
import { createFeedReader } from './stored-feed.ts'

export type OtherNodesOptions = {
  /** A connection of this node's own (XREAD BLOCK holds it); closed by close(). */
  redis: Redis
  /** The feed writer's name of this node (cluster/start-cluster.ts `holder`): skipped. */
  self: string
  onStored: (stationId: string, event: AnyEvent) => void
  logger: Logger
}

export async function followOtherNodes (o: OtherNodesOptions) {
  const reader = createFeedReader({ redis: o.redis, logger: o.logger, skipNode: o.self })
  reader.onStored(o.onStored)
  // Resolves once the reader has its starting point: from then on nothing stored is missed.
  await reader.start()
  return {
    async close (): Promise<void> {
      await reader.close()
      o.redis.disconnect()
    }
  }
}
