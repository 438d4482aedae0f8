-- Schema 7: what is on its way to a provider is recorded before it leaves (DESIGN §11, issue 13).
-- Applied inside one transaction together with PRAGMA user_version = 7, with foreign keys not
-- yet enforced (the runner checks them before it commits): no BEGIN/COMMIT here.
--
-- Before a request leaves, one row of deliveries_in_flight names its reminders (one write per
-- request, however many reminders it carries); the answers remove it, in the transaction that
-- records them. A row still there at a start belongs to a process that stopped: its reminders
-- are sent again when the provider keeps one copy of a repeat (Emarsys, the outbox), or become
-- 'uncertain' (SMTP): they may or may not have gone out, and are not sent again unless
-- notify.resendUncertain = true. SQLite cannot change a CHECK constraint in place: the table of
-- notifications is rebuilt for the new status, rows, ids, indexes and views as they were.

DROP VIEW reminders_per_day;
DROP VIEW skips_by_reason;
DROP VIEW cart_history;
DROP VIEW cycle_summary;
DROP VIEW personal_data_held;

CREATE TABLE notifications_7 (
    id          INTEGER PRIMARY KEY,
    oun         TEXT NOT NULL,
    cart_id     TEXT NOT NULL,
    modified_at TEXT NOT NULL,             -- '' for carts without a ModifiedDateTime
    stage       INTEGER NOT NULL DEFAULT 1,
    trigger_id  TEXT NOT NULL,             -- '' for skipped carts, which are never sent
    cycle_id    INTEGER REFERENCES cycles (id),
    customer_id TEXT NOT NULL DEFAULT '',  -- '' for anonymous carts; 'h:<keyed hash>' after retention or a purge
    status      TEXT NOT NULL
                CHECK (status IN ('pending', 'sent', 'failed', 'uncertain', 'skipped')),
    reason      TEXT,                      -- skip reason, or the provider's last words
    provider    TEXT,                      -- who was last handed the reminder
    attempts    INTEGER NOT NULL DEFAULT 0, -- answers recorded, a retry's included
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    sent_at     TEXT,
    email_hash  TEXT,
    UNIQUE (oun, cart_id, modified_at, stage)
);
INSERT INTO notifications_7 (id, oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id, status,
                             reason, provider, attempts, created_at, updated_at, sent_at, email_hash)
SELECT id, oun, cart_id, modified_at, stage, trigger_id, cycle_id, customer_id, status,
       reason, provider, attempts, created_at, updated_at, sent_at, email_hash
FROM notifications ORDER BY id;
-- Foreign keys are off during migrations: outbox rows keep their notifications.
DROP TABLE notifications;
ALTER TABLE notifications_7 RENAME TO notifications;
CREATE INDEX notifications_customer ON notifications (customer_id);
CREATE INDEX notifications_with_account ON notifications (created_at) WHERE customer_id NOT LIKE 'h:%';

-- Requests on their way: written before one leaves, removed with its answers.
CREATE TABLE deliveries_in_flight (
    id               INTEGER PRIMARY KEY,
    provider         TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    notification_ids TEXT NOT NULL         -- JSON array of notifications.id
);

-- Each cycle's count of reminders whose outcome became uncertain (summary line, /metrics).
ALTER TABLE cycles ADD COLUMN reminders_uncertain INTEGER NOT NULL DEFAULT 0;

-- The views of schemas 1 and 2, unchanged but for the uncertain count.
CREATE VIEW reminders_per_day AS
SELECT substr(coalesce(sent_at, created_at), 1, 10) AS day,
       provider,
       status,
       count(*) AS count
FROM notifications
WHERE status <> 'skipped'
GROUP BY day, provider, status
ORDER BY day, provider, status;

CREATE VIEW skips_by_reason AS
SELECT reason, count(*) AS count
FROM notifications
WHERE status = 'skipped'
GROUP BY reason
ORDER BY count DESC, reason;

CREATE VIEW cart_history AS
SELECT cart_id, modified_at, status, reason, provider, trigger_id, created_at, sent_at, cycle_id
FROM notifications
ORDER BY cart_id, modified_at, stage;

CREATE VIEW cycle_summary AS
SELECT c.id,
       c.oun,
       c.status,
       c.started_at,
       c.ended_at,
       round((julianday(c.ended_at) - julianday(c.started_at)) * 86400.0, 3) AS duration_seconds,
       c.window_from,
       c.window_to,
       c.carts_seen,
       c.reminders_queued,
       c.reminders_sent,
       c.reminders_failed,
       c.reminders_pending,
       c.reminders_uncertain,
       c.skipped,
       (SELECT count(*) FROM notifications n WHERE n.cycle_id = c.id AND n.status <> 'skipped')
           AS ledger_reminders,
       (SELECT count(*) FROM notifications n WHERE n.cycle_id = c.id AND n.status = 'skipped')
           AS ledger_skips,
       c.error
FROM cycles c
ORDER BY c.id;

CREATE VIEW personal_data_held AS
SELECT (SELECT count(*) FROM outbox) AS outbox_rows,
       (SELECT min(created_at) FROM outbox) AS oldest_outbox_row,
       (SELECT count(*) FROM notifications WHERE customer_id <> '' AND customer_id NOT LIKE 'h:%')
           AS notifications_with_account,
       (SELECT min(updated_at) FROM notifications
        WHERE customer_id <> '' AND customer_id NOT LIKE 'h:%' AND status <> 'pending')
           AS oldest_final_notification_with_account;

-- Reminders that may or may not have reached the customer: for each, the provider that had it,
-- when, and the audit row that says why the outcome is unknown. The customer is the keyed hash
-- of the address (abandoned-cartd --audit-subject=EMAIL gives it for one address).
CREATE VIEW uncertain_reminders AS
SELECT n.id AS notification_id, n.cart_id, n.modified_at, n.stage, n.trigger_id, n.provider, n.attempts,
       n.updated_at AS uncertain_since, n.cycle_id,
       CASE WHEN n.email_hash IS NULL THEN NULL ELSE 'email:' || n.email_hash END AS subject,
       n.reason
FROM notifications n
WHERE n.status = 'uncertain'
ORDER BY n.id;

-- The reminders on their way to a provider now, or when the process stopped: a start takes them
-- as DESIGN §11 says (sent again, or uncertain).
CREATE VIEW reminders_sending AS
SELECT n.id AS notification_id, n.cart_id, n.trigger_id, d.provider, d.started_at AS sending_since,
       d.id AS request
FROM deliveries_in_flight d, json_each(d.notification_ids) j
JOIN notifications n ON n.id = j.value
WHERE n.status = 'pending'
ORDER BY d.id, n.id;
