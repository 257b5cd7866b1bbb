// The live view of a node that runs the broker and the API together (`waystation start`) in a
// cluster. Its own node's stored events come from ingest's hook, as without a cluster; the
// other nodes' come from what their brokers forward once stored, over the shared bus
// (cluster/mq-emitter.ts). Messages this node's broker published are skipped here: the hook
// already counted them (each forwarded packet carries the id of the broker that published it).
//
// At most once, like all cross-node delivery: while Redis is unreachable the other nodes' events
// do not arrive. The live view is rebuilt from InfluxDB after a gap (below), so a count missed
// meanwhile is put right; nothing is counted twice (the rebuild is a merge).
import type { Aedes, AedesPublishPacket } from 'aedes'
import { storedEventsOf } from '../api/live/mqtt-source.ts'
import type { AnyEvent } from '../contract/index.ts'
import type { Logger } from '../platform/logger.ts'

const TOPIC = 'stations/#'

export type OtherNodesOptions = {
  aedes: Aedes
  /** Connection to the bus (Redis) came back: events of the gap are in InfluxDB only. */
  onReconnect: (listener: () => void) => void
  onStored: (stationId: string, event: AnyEvent) => void
  resync: () => Promise<unknown>
  logger: Logger
}

export async function followOtherNodes (o: OtherNodesOptions) {
  const ownId = o.aedes.id
  function deliver (packet: AedesPublishPacket & { brokerId?: string }, done: () => void): void {
    if (packet.brokerId !== ownId) storedEventsOf(packet.topic, packet.payload as Buffer, o.onStored)
    done()
  }
  // Resolves once Redis confirmed the subscription: from then on nothing forwarded is missed.
  await new Promise<void>((resolve) => o.aedes.subscribe(TOPIC, deliver, () => resolve()))
  o.onReconnect(() => {
    o.logger.info('live view: cross-node delivery back; rebuilding from InfluxDB for the gap')
    void o.resync().catch(() => {})
  })
  return {
    close: () => new Promise<void>((resolve) => {
      if (o.aedes.closed) return resolve()
      o.aedes.unsubscribe(TOPIC, deliver, () => resolve())
    })
  }
}
