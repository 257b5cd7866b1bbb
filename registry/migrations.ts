import type { DatabaseSync } from 'node:sqlite'

// Schema migrations, applied in order. PRAGMA user_version records how many have run, so a
// registry file created by an older release is brought up to date on open. Never edit a
// released migration: append a new one. They are SQLite DDL; PostgreSQL runs the same ones
// translated (registry/db/postgres-ddl.ts, registry/db/migrate-sql.ts): keep to the subset that
// translates (STRICT tables of INTEGER, REAL, TEXT; AUTOINCREMENT ids; CHECK; indexes, also
// partial ones) or add a postgres override for the migration there.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE stations (
     id          TEXT PRIMARY KEY,
     name        TEXT NOT NULL,
     address     TEXT NOT NULL DEFAULT '',
     lat         REAL,
     lon         REAL,
     timezone    TEXT NOT NULL DEFAULT 'Asia/Shanghai',
     capacity    INTEGER NOT NULL DEFAULT 10,
     created_at  TEXT NOT NULL
   ) STRICT;
   CREATE TABLE devices (
     id           TEXT PRIMARY KEY,
     station_id   TEXT NOT NULL REFERENCES stations(id),
     secret_hash  TEXT NOT NULL,
     created_at   TEXT NOT NULL,
     revoked_at   TEXT
   ) STRICT;
   CREATE INDEX devices_station ON devices(station_id);`,
  // 2: device presence, written by the broker (connect, disconnect, last seen) and read by the
  // API, which may run in another process.
  `CREATE TABLE device_presence (
     device_id        TEXT PRIMARY KEY REFERENCES devices(id),
     broker_id        TEXT NOT NULL,
     connected        INTEGER NOT NULL,
     last_seen_at     TEXT NOT NULL,
     connected_at     TEXT,
     disconnected_at  TEXT,
     disconnect_reason TEXT
   ) STRICT;`,
  // 3: station details and status, device kinds and rotation, API tokens, audit log, and the
  // change feed the broker polls to drop revoked credentials at once.
  `ALTER TABLE stations ADD COLUMN district TEXT NOT NULL DEFAULT '';
   ALTER TABLE stations ADD COLUMN area_m2 REAL;
   ALTER TABLE stations ADD COLUMN opening_hours TEXT NOT NULL DEFAULT '"24h"';
   ALTER TABLE stations ADD COLUMN amenities TEXT NOT NULL DEFAULT '[]';
   ALTER TABLE stations ADD COLUMN status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'retired'));
   ALTER TABLE stations ADD COLUMN updated_at TEXT;
   ALTER TABLE devices ADD COLUMN kind TEXT NOT NULL DEFAULT 'hub' CHECK (kind IN ('door', 'sensors', 'shelf', 'hub'));
   ALTER TABLE devices ADD COLUMN rotated_at TEXT;
   CREATE TABLE api_tokens (
     id           TEXT PRIMARY KEY,
     name         TEXT NOT NULL,
     role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
     token_hash   TEXT NOT NULL UNIQUE,
     created_at   TEXT NOT NULL,
     created_by   TEXT NOT NULL,
     expires_at   TEXT,
     last_used_at TEXT,
     revoked_at   TEXT
   ) STRICT;
   CREATE TABLE audit_log (
     id      INTEGER PRIMARY KEY AUTOINCREMENT,
     at      TEXT NOT NULL,
     actor   TEXT NOT NULL,
     action  TEXT NOT NULL,
     target  TEXT NOT NULL,
     before  TEXT,
     after   TEXT
   ) STRICT;
   CREATE INDEX audit_log_target ON audit_log(target);
   CREATE TABLE credential_changes (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     at         TEXT NOT NULL,
     station_id TEXT NOT NULL,
     device_id  TEXT,
     change     TEXT NOT NULL
   ) STRICT;`,
  // 4: service clients (dashboards, alerting, operator consoles): MQTT credentials with a scope
  // of stations instead of one station. They share the broker's username space with devices,
  // so the triggers keep the two sets of ids disjoint even when two processes insert at once.
  // A service's credential changes go into the same feed with service_id set and station_id ''
  // (a broker of the previous release reads that as a station that does not exist).
  `CREATE TABLE services (
     id          TEXT PRIMARY KEY,
     name        TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     scope       TEXT NOT NULL,
     permission  TEXT NOT NULL CHECK (permission IN ('subscribe', 'subscribe+commands')),
     status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
     created_at  TEXT NOT NULL,
     updated_at  TEXT,
     rotated_at  TEXT,
     revoked_at  TEXT
   ) STRICT;
   CREATE TRIGGER services_id_not_a_device BEFORE INSERT ON services
     WHEN EXISTS (SELECT 1 FROM devices WHERE id = NEW.id)
     BEGIN SELECT RAISE(ABORT, 'id in use by a device'); END;
   CREATE TRIGGER devices_id_not_a_service BEFORE INSERT ON devices
     WHEN EXISTS (SELECT 1 FROM services WHERE id = NEW.id)
     BEGIN SELECT RAISE(ABORT, 'id in use by a service'); END;
   ALTER TABLE credential_changes ADD COLUMN service_id TEXT;`,
  // 6: API tokens get a station scope like service clients: a community's staff see only their
  // stations, a district union its district. Existing tokens keep seeing everything.
  `ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '{"kind":"all"}';`,
  // 7: browser sessions of the dashboard, each opened with an API token (registry/session-store.ts).
  // Only the sha256 of the session id is stored. A session that ends (sign-out, revoked token)
  // keeps its row, unusable, until it would have expired, so that a late request with the old
  // cookie is told why (signed out, token revoked) rather than just "no session".
  `CREATE TABLE api_sessions (
     id_hash      TEXT PRIMARY KEY,
     token_id     TEXT NOT NULL REFERENCES api_tokens(id),
     csrf_token   TEXT NOT NULL,
     created_at   TEXT NOT NULL,
     expires_at   TEXT NOT NULL,
     last_seen_at TEXT NOT NULL,
     ended_at     TEXT,
     end_reason   TEXT CHECK (end_reason IN ('signed_out', 'token_revoked'))
   ) STRICT;
   CREATE INDEX api_sessions_token ON api_sessions(token_id);
   CREATE INDEX api_sessions_expiry ON api_sessions(expires_at);`,
  // 8: alerts (docs/alerts.md). One open alert per station + rule + subject, enforced by the
  // partial unique index, so a rule evaluated twice cannot open a duplicate. Every state change
  // writes its transition in the same transaction; the notifier reads alert_transitions in id
  // order as its outbox. Settings are overrides (fleet < district < station) of the built-in
  // defaults; silences hold notifications, not evaluation.
  `CREATE TABLE alerts (
     id               INTEGER PRIMARY KEY AUTOINCREMENT,
     station_id       TEXT NOT NULL,
     district         TEXT NOT NULL,
     rule             TEXT NOT NULL,
     subject          TEXT NOT NULL DEFAULT '',
     severity         TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
     state            TEXT NOT NULL CHECK (state IN ('pending', 'firing', 'acknowledged', 'resolved')),
     summary          TEXT NOT NULL,
     value            REAL,
     threshold        REAL,
     pending_since    TEXT NOT NULL,
     fired_at         TEXT,
     acknowledged_at  TEXT,
     acknowledged_by  TEXT,
     clearing_since   TEXT,
     resolved_at      TEXT,
     resolved_by      TEXT,
     escalation_level INTEGER NOT NULL DEFAULT 0,
     updated_at       TEXT NOT NULL
   ) STRICT;
   CREATE UNIQUE INDEX alerts_one_open ON alerts(station_id, rule, subject) WHERE state <> 'resolved';
   CREATE INDEX alerts_station ON alerts(station_id, pending_since);
   CREATE INDEX alerts_district ON alerts(district, pending_since);
   CREATE INDEX alerts_open_state ON alerts(state) WHERE state <> 'resolved';
   CREATE TABLE alert_transitions (
     id               INTEGER PRIMARY KEY AUTOINCREMENT,
     alert_id         INTEGER NOT NULL REFERENCES alerts(id),
     at               TEXT NOT NULL,
     kind             TEXT NOT NULL CHECK (kind IN ('pending', 'cancelled', 'fired', 'acknowledged', 'escalated', 'resolved')),
     from_state       TEXT,
     to_state         TEXT NOT NULL,
     actor            TEXT NOT NULL,
     note             TEXT,
     station_id       TEXT NOT NULL,
     district         TEXT NOT NULL,
     rule             TEXT NOT NULL,
     subject          TEXT NOT NULL,
     severity         TEXT NOT NULL,
     escalation_level INTEGER NOT NULL DEFAULT 0,
     target           TEXT,
     notify           INTEGER NOT NULL CHECK (notify IN (0, 1))
   ) STRICT;
   CREATE INDEX alert_transitions_alert ON alert_transitions(alert_id, id);
   CREATE TABLE alert_settings (
     scope      TEXT NOT NULL CHECK (scope IN ('fleet', 'district', 'station')),
     scope_id   TEXT NOT NULL,
     rule       TEXT NOT NULL,
     settings   TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     updated_by TEXT NOT NULL,
     PRIMARY KEY (scope, scope_id, rule)
   ) STRICT;
   CREATE TABLE alert_silences (
     id         INTEGER PRIMARY KEY AUTOINCREMENT,
     scope      TEXT NOT NULL CHECK (scope IN ('station', 'district')),
     scope_id   TEXT NOT NULL,
     rule       TEXT,
     starts_at  TEXT NOT NULL,
     ends_at    TEXT NOT NULL,
     reason     TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at TEXT NOT NULL,
     ended_at   TEXT,
     ended_by   TEXT
   ) STRICT;
   CREATE INDEX alert_silences_end ON alert_silences(ends_at);
   CREATE TABLE alert_hourly_entries (
     station_id TEXT NOT NULL,
     hour       INTEGER NOT NULL,
     entries    INTEGER NOT NULL,
     PRIMARY KEY (station_id, hour)
   ) STRICT;`,
  // 9: alert notifications (docs/alerts.md "Notifications"): webhooks, the notifier's durable
  // cursor over alert_transitions, the queue where transitions wait (group wait, silences,
  // flapping) and the notifications, each written with its body and Idempotency-Key before
  // the first attempt to send it.
  `CREATE TABLE webhooks (
     id          INTEGER PRIMARY KEY AUTOINCREMENT,
     name        TEXT NOT NULL,
     url         TEXT NOT NULL,
     scope       TEXT NOT NULL CHECK (scope IN ('all', 'district', 'station')),
     scope_id    TEXT NOT NULL DEFAULT '',
     all_alerts  INTEGER NOT NULL CHECK (all_alerts IN (0, 1)),
     targets     TEXT NOT NULL DEFAULT '[]',
     secret      TEXT NOT NULL,
     enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
     created_at  TEXT NOT NULL,
     updated_at  TEXT,
     rotated_at  TEXT,
     deleted_at  TEXT
   ) STRICT;
   CREATE TABLE notifier_cursor (
     name    TEXT PRIMARY KEY,
     last_id INTEGER NOT NULL
   ) STRICT;
   CREATE TABLE notify_queue (
     transition_id INTEGER PRIMARY KEY REFERENCES alert_transitions(id),
     alert_id      INTEGER NOT NULL,
     kind          TEXT NOT NULL,
     group_key     TEXT NOT NULL,
     flap_key      TEXT NOT NULL,
     at            TEXT NOT NULL,
     state         TEXT NOT NULL CHECK (state IN ('queued', 'dispatched', 'dropped')),
     reason        TEXT,
     flapping      INTEGER NOT NULL DEFAULT 0,
     decided_at    TEXT
   ) STRICT;
   CREATE INDEX notify_queue_queued ON notify_queue(group_key, at) WHERE state = 'queued';
   CREATE INDEX notify_queue_alert ON notify_queue(alert_id, state);
   CREATE INDEX notify_queue_flap ON notify_queue(flap_key, at);
   CREATE TABLE notifications (
     id              INTEGER PRIMARY KEY AUTOINCREMENT,
     webhook_id      INTEGER NOT NULL REFERENCES webhooks(id),
     idempotency_key TEXT NOT NULL,
     transition_ids  TEXT NOT NULL,
     kind            TEXT NOT NULL,
     district        TEXT NOT NULL,
     body            TEXT NOT NULL,
     state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'given_up')),
     attempts        INTEGER NOT NULL DEFAULT 0,
     created_at      TEXT NOT NULL,
     next_attempt_at TEXT NOT NULL,
     last_attempt_at TEXT,
     last_status     INTEGER,
     last_error      TEXT,
     sent_at         TEXT,
     given_up_at     TEXT,
     UNIQUE (webhook_id, idempotency_key)
   ) STRICT;
   CREATE INDEX notifications_due ON notifications(next_attempt_at) WHERE state = 'pending';
   CREATE INDEX notifications_webhook ON notifications(webhook_id, id);`,
  // 10: supplies (supplies/supply-store.ts): each station's catalog of free consumables, the
  // deliveries it gets on a schedule, restocks (logged by a person, or a sensor jump nobody
  // logged: kind 'sensor'; one later explained by a logged restock is superseded, never counted
  // twice), hand counts for stations without shelf sensors, and daily weather for the forecast.
  `CREATE TABLE supply_items (
     station_id  TEXT NOT NULL REFERENCES stations(id),
     item        TEXT NOT NULL,
     name_zh     TEXT NOT NULL,
     name_en     TEXT NOT NULL,
     unit        TEXT NOT NULL,
     capacity    INTEGER NOT NULL,
     threshold   INTEGER NOT NULL,
     weather     TEXT NOT NULL CHECK (weather IN ('none', 'rain', 'heat', 'cold')),
     price_cents INTEGER,
     updated_at  TEXT NOT NULL,
     PRIMARY KEY (station_id, item)
   ) STRICT;
   CREATE TABLE supply_deliveries (
     id          INTEGER PRIMARY KEY AUTOINCREMENT,
     station_id  TEXT NOT NULL REFERENCES stations(id),
     item        TEXT NOT NULL,
     quantity    INTEGER NOT NULL,
     supplier    TEXT NOT NULL,
     source      TEXT NOT NULL CHECK (source IN ('purchase', 'donation')),
     days        TEXT NOT NULL,
     at          TEXT NOT NULL,
     created_at  TEXT NOT NULL
   ) STRICT;
   CREATE INDEX supply_deliveries_station ON supply_deliveries(station_id);
   CREATE TABLE supply_restocks (
     id            INTEGER PRIMARY KEY AUTOINCREMENT,
     station_id    TEXT NOT NULL REFERENCES stations(id),
     item          TEXT NOT NULL,
     quantity      INTEGER NOT NULL,
     source        TEXT NOT NULL CHECK (source IN ('purchase', 'donation', 'unknown')),
     donor         TEXT,
     by            TEXT NOT NULL,
     at            TEXT NOT NULL,
     kind          TEXT NOT NULL CHECK (kind IN ('logged', 'sensor')),
     superseded_by INTEGER REFERENCES supply_restocks(id),
     created_at    TEXT NOT NULL
   ) STRICT;
   CREATE INDEX supply_restocks_station_at ON supply_restocks(station_id, at);
   CREATE UNIQUE INDEX supply_restocks_sensor ON supply_restocks(station_id, item, at) WHERE kind = 'sensor';
   CREATE TABLE supply_counts (
     id          INTEGER PRIMARY KEY AUTOINCREMENT,
     station_id  TEXT NOT NULL REFERENCES stations(id),
     item        TEXT NOT NULL,
     quantity    INTEGER NOT NULL,
     by          TEXT NOT NULL,
     at          TEXT NOT NULL
   ) STRICT;
   CREATE INDEX supply_counts_station_at ON supply_counts(station_id, at);
   CREATE TABLE supply_weather (
     district TEXT NOT NULL,
     date     TEXT NOT NULL,
     max_c    REAL NOT NULL,
     rain_mm  REAL NOT NULL,
     PRIMARY KEY (district, date)
   ) STRICT;`,
  // 11: the datum of a station's lat/lon (registry/schemas.ts Datum): WGS-84 for every existing
  // station, as positions were taken to be until now.
  `ALTER TABLE stations ADD COLUMN datum TEXT NOT NULL DEFAULT 'wgs84' CHECK (datum IN ('wgs84', 'gcj02'));`,
  // 12: a counter per table that the stores bump in the same transaction as their writes
  // ('stations': registry/station-store.ts), so pollers that need one table (the fleet cache,
  // the rollup job's station check) re-read it only when it changed, not on every presence
  // flush. A counter, not max(updated_at): the nodes' clocks may disagree. No row yet = 0.
  `CREATE TABLE registry_versions (
     name     TEXT PRIMARY KEY,
     version  INTEGER NOT NULL
   ) STRICT;`
]

/** Refuses a registry migrated by a newer release (both dialects say it the same way). */
export function newerSchemaError (current: number): Error {
  return new Error(`registry schema version ${current} is newer than this release knows (${MIGRATIONS.length}); upgrade Waystation`)
}

export function migrate (db: DatabaseSync): void {
  const row = db.prepare('PRAGMA user_version').get() as { user_version: number }
  const current = row.user_version
  if (current > MIGRATIONS.length) throw newerSchemaError(current)
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.exec('BEGIN')
    try {
      db.exec(MIGRATIONS[v]!)
      db.exec(`PRAGMA user_version = ${v + 1}`)
      db.exec('COMMIT')
    } catch (err) {
      db.exec('ROLLBACK')
      throw err
    }
  }
}
