import { z } from 'zod'
import { DeviceId } from './ids.ts'

// Every message carries who sent it, when the device says it happened and the device's own
// sequence number. (device, ts, seq) identifies an event: a retransmission carries the same
// triple and therefore lands on the same InfluxDB point instead of counting twice.
export const MAX_SEQ = 2 ** 32 - 1
// 2020-01-01 .. 2100-01-01: rejects devices with an unset RTC (1970) and unit mix-ups
// (seconds or microseconds instead of milliseconds).
export const MIN_TS = Date.UTC(2020, 0, 1)
export const MAX_TS = Date.UTC(2100, 0, 1)

export const envelope = {
  device: DeviceId,
  ts: z.int().min(MIN_TS, 'ts must be Unix epoch milliseconds after 2020-01-01').max(MAX_TS, 'ts must be Unix epoch milliseconds before 2100-01-01'),
  seq: z.int().min(0).max(MAX_SEQ)
}

export const Envelope = z.object(envelope)
export type Envelope = z.infer<typeof Envelope>
