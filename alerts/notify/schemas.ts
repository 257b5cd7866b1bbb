import { z } from 'zod'

// Webhooks and notifications (docs/alerts.md "Notifications"). A webhook receives the alerts
// of its scope (every station, a district or one station): fired, acknowledged and resolved
// when `allAlerts`, and the escalations whose target is in `targets` (e.g. `district-oncall`).

export const WebhookScope = z.enum(['all', 'district', 'station'])
export type WebhookScope = z.infer<typeof WebhookScope>

// http(s) only: a file:, data: or javascript: URL is not a receiver.
const WebhookUrl = z.url({ protocol: /^https?$/ }).max(2000)
  .describe('http(s) URL the notifications are POSTed to')

const Target = z.string().trim().min(1).max(100)

export const NewWebhook = z.strictObject({
  name: z.string().trim().min(1).max(200),
  url: WebhookUrl,
  scope: WebhookScope.default('all'),
  scopeId: z.string().trim().max(100).default('').describe('district or station id; empty for scope all'),
  allAlerts: z.boolean().default(true).describe('fired, acknowledged and resolved of every alert in scope'),
  targets: z.array(Target).max(20).default([]).describe('escalation targets this webhook stands for (rule settings `escalation[].target`)'),
  enabled: z.boolean().default(true)
})
export type NewWebhook = z.infer<typeof NewWebhook>

export const WebhookPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  url: WebhookUrl.optional(),
  scope: WebhookScope.optional(),
  scopeId: z.string().trim().max(100).optional(),
  allAlerts: z.boolean().optional(),
  targets: z.array(Target).max(20).optional(),
  enabled: z.boolean().optional()
})
export type WebhookPatch = z.infer<typeof WebhookPatch>

export const Webhook = z.object({
  id: z.int(),
  name: z.string(),
  url: z.string(),
  scope: WebhookScope,
  scopeId: z.string(),
  allAlerts: z.boolean(),
  targets: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
  rotatedAt: z.string().nullable(),
  deletedAt: z.string().nullable()
})
export type Webhook = z.infer<typeof Webhook>

export const NOTIFICATION_STATES = ['pending', 'sent', 'given_up'] as const
export const NotificationState = z.enum(NOTIFICATION_STATES)
export type NotificationState = z.infer<typeof NotificationState>

export const Notification = z.object({
  id: z.int(),
  webhookId: z.int(),
  idempotencyKey: z.string(),
  transitionIds: z.array(z.int()),
  kind: z.string(),
  district: z.string(),
  state: NotificationState,
  attempts: z.int(),
  createdAt: z.string(),
  nextAttemptAt: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  lastStatus: z.int().nullable(),
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
  givenUpAt: z.string().nullable()
})
export type Notification = z.infer<typeof Notification>

export const NotificationQuery = z.strictObject({
  state: NotificationState.optional(),
  webhook: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().min(1).optional()
})
export type NotificationQuery = z.infer<typeof NotificationQuery>
