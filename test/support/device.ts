import mqtt, { type MqttClient } from 'mqtt'
import type { Channel, PayloadOf } from '../../contract/index.ts'
import { topicFor } from '../../contract/index.ts'

/** A real MQTT 3.1.1 client standing in for a station device. */
export async function connectDevice (url: string, deviceId: string, secret: string, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: deviceId,
    username: deviceId,
    password: secret,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra
  })
}

export function publishEvent<C extends Channel> (client: MqttClient, stationId: string, channel: C, payload: PayloadOf<C>) {
  return client.publishAsync(topicFor(stationId, channel), JSON.stringify(payload), { qos: 1 })
}

/** Resolves when the broker has closed the connection. */
export function closed (client: MqttClient): Promise<void> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) return resolve()
    client.once('close', () => resolve())
  })
}

/** Deterministic pseudonymous worker id `w_` + 16 hex digits. */
export const worker = (n: number): string => `w_${n.toString(16).padStart(16, '0')}`
