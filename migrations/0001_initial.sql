-- Schema 1: the ledger of abandoned-cartd (DESIGN §8).
-- Every timestamp is UTC ISO 8601 text with 7 fractional digits and 'Z'
-- (2026-11-25T14:03:11.1234567Z), so text order is time order and sqlite3 shows it readably.
-- Applied by the binary inside one transaction together with PRAGMA user_version = 1:
-- no BEGIN/COMMIT here.

-- Where the next cycle's window starts, per channel (operating unit number).
CREATE TABLE window_state (
    oun          TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE cycles (
    id                INTEGER PRIMARY KEY,
    oun               TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    ended_at          TEXT,
    status            TEXT NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'completed', 'failed', 'interrupted')),
    window_from       TEXT NOT NULL,
    window_to         TEXT NOT NULL,
    carts_seen        INTEGER NOT NULL DEFAULT 0,
    reminders_queued  INTEGER NOT NULL DEFAULT 0,
    reminders_sent    INTEGER NOT NULL DEFAULT 0,
    reminders_failed  INTEGER NOT NULL DEFAULT 0,
    reminders_pending INTEGER NOT NULL DEFAULT 0,
    skipped           INTEGER NOT NULL DEFAULT 0,
    error             TEXT
);

-- One row per (channel, cart, modification, stage): the UNIQUE key is what makes a second
-- cycle over the same window harmless. No personal data here: addresses live in outbox.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    oun         TEXT NOT NULL,
    cart_id     TEXT NOT NULL,
    modified_at TEXT NOT NULL,             -- '' for carts without a ModifiedDateTime
    stage       INTEGER NOT NULL DEFAULT 1,
    trigger_id  TEXT NOT NULL,             -- '' for skipped carts, which are never sent
    cycle_id    INTEGER REFERENCES cycles (id),
    customer_id TEXT NOT NULL DEFAULT '',  -- '' for anonymous carts
    status      TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    reason      TEXT,                      -- skip reason, or the provider's last error
    provider    TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    sent_at     TEXT,
    UNIQUE (oun, cart_id, modified_at, stage)
);
-- The per-customer cooldown looks up the last send of a customer.
CREATE INDEX notifications_customer_sent ON notifications (customer_id, sent_at);

-- What a pending send needs, personal data included; the row goes once the send is final.
CREATE TABLE outbox (
    notification_id INTEGER PRIMARY KEY REFERENCES notifications (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    payload         TEXT NOT NULL,         -- the Emarsys "data" object, JSON
    created_at      TEXT NOT NULL
);

-- Carts of one cycle staged for the choice of one cart per customer.
CREATE TABLE candidates (
    cycle_id    INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    cart_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    cart_json   TEXT NOT NULL,
    PRIMARY KEY (cycle_id, cart_id)
);
CREATE INDEX candidates_by_customer ON candidates (cycle_id, customer_id, modified_at, cart_id);

-- Customers refer to addresses only by a keyed hash (HMAC with the installation's key).
CREATE TABLE opt_outs (
    email_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    actor      TEXT NOT NULL
);

CREATE TABLE consents (
    email_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    actor      TEXT NOT NULL
);

-- Hash-chained and append-only: it must survive purges, so it never holds an address or a
-- name in the clear.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    detail    TEXT,
    prev_hash TEXT,                        -- NULL for the first entry
    hash      TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Views for auditors (sqlite3 ledger.db 'SELECT * FROM skips_by_reason').

-- Reminders (skips excluded: see skips_by_reason) by the UTC day they were sent, or queued
-- while not sent.
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

-- The cycles as they reported themselves, next to what the ledger holds for each.
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
       c.skipped,
       (SELECT count(*) FROM notifications n WHERE n.cycle_id = c.id AND n.status <> 'skipped')
           AS ledger_reminders,
       (SELECT count(*) FROM notifications n WHERE n.cycle_id = c.id AND n.status = 'skipped')
           AS ledger_skips,
       c.error
FROM cycles c
ORDER BY c.id;
