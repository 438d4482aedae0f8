-- Schema 2: opt-outs, purge, retention and the hash-chained audit trail (docs/auditing.md).
-- Applied inside one transaction together with PRAGMA user_version = 2: no BEGIN/COMMIT here.

-- The keyed hash of the address a reminder went to (HMAC with the installation's key). It stays
-- when retention or a purge removes the address, so a purge can still find every notification
-- of that address, and auditors can still count them.
ALTER TABLE notifications ADD COLUMN email_hash TEXT;
CREATE INDEX notifications_email_hash ON notifications (email_hash) WHERE email_hash IS NOT NULL;
-- Retention visits only the rows still holding an account number ('h:' marks its keyed hash):
-- once anonymised a row leaves this index, so it stays as small as the retention period.
CREATE INDEX notifications_with_account ON notifications (updated_at) WHERE customer_id NOT LIKE 'h:%';

-- The audit log again, with AUTOINCREMENT: sqlite_sequence then remembers the highest id ever
-- written, so removing the newest rows is detected too (an INTEGER PRIMARY KEY alone would
-- reuse their ids). Rows already written keep their ids.
CREATE TABLE audit_log_chained (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,           -- cycle, cli:<os user>, admin-api:<client address>, start
    action    TEXT NOT NULL,
    subject   TEXT,                    -- email:<keyed hash>, customer:<keyed hash>, a secret name, ...
    detail    TEXT,
    prev_hash TEXT,                    -- the hash of the row before; NULL for the first row
    hash      TEXT NOT NULL            -- SHA-256 over prev_hash and this row's fields (docs/auditing.md)
);
INSERT INTO audit_log_chained (id, at, actor, action, subject, detail, prev_hash, hash)
SELECT id, at, actor, action, subject, detail, prev_hash, hash FROM audit_log ORDER BY id;
-- DROP TABLE fires no DELETE trigger; the append-only triggers go with the old table.
DROP TABLE audit_log;
ALTER TABLE audit_log_chained RENAME TO audit_log;
CREATE INDEX audit_log_subject ON audit_log (subject);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Views for auditors (docs/auditing.md has example queries).

-- The audit log without its hash columns, newest last.
CREATE VIEW audit_trail AS
SELECT id, at, actor, action, subject, detail
FROM audit_log
ORDER BY id;

-- Opt-outs, opt-ins, purges and the provider's deletions: who asked, when, for which hash.
CREATE VIEW privacy_requests AS
SELECT id, at, actor, action, subject, detail
FROM audit_log
WHERE action IN ('opt_out', 'opt_out_removed', 'opt_in', 'consent_withdrawn', 'purge', 'provider_forget')
ORDER BY id;

-- What the daemon did, per UTC day and action (sent, failed, deferred, skipped, withdrawn, ...).
CREATE VIEW audit_actions_per_day AS
SELECT substr(at, 1, 10) AS day, action, count(*) AS count
FROM audit_log
GROUP BY day, action
ORDER BY day, action;

-- Every start with the SHA-256 of its effective configuration; a new hash is a changed configuration.
CREATE VIEW configuration_history AS
SELECT id, at, subject AS configuration_hash, detail,
       CASE WHEN subject IS NOT (SELECT p.subject FROM audit_log p
                                 WHERE p.action = 'config' AND p.id < a.id ORDER BY p.id DESC LIMIT 1)
            THEN 1 ELSE 0 END AS changed
FROM audit_log a
WHERE action = 'config'
ORDER BY id;

-- Which source served each secret, each time that changed (values are never recorded).
CREATE VIEW secret_source_changes AS
SELECT id, at, subject AS secret_name, detail
FROM audit_log
WHERE action = 'secret_source'
ORDER BY id;

-- Sends after an opt-out of the same address: must stay empty.
CREATE VIEW sends_after_opt_out AS
SELECT s.id, s.at, s.subject, s.detail, o.at AS opted_out_at
FROM audit_log s
JOIN audit_log o ON o.subject = s.subject AND o.action = 'opt_out' AND o.id < s.id
WHERE s.action = 'sent'
  AND NOT EXISTS (SELECT 1 FROM audit_log i
                  WHERE i.subject = s.subject AND i.action IN ('opt_in', 'opt_out_removed')
                    AND i.id > o.id AND i.id < s.id)
ORDER BY s.id;

-- The personal data the ledger holds now, and how old the oldest is (retention check).
CREATE VIEW personal_data_held AS
SELECT (SELECT count(*) FROM outbox) AS outbox_rows,
       (SELECT min(created_at) FROM outbox) AS oldest_outbox_row,
       (SELECT count(*) FROM notifications WHERE customer_id <> '' AND customer_id NOT LIKE 'h:%')
           AS notifications_with_account,
       (SELECT min(updated_at) FROM notifications
        WHERE customer_id <> '' AND customer_id NOT LIKE 'h:%' AND status <> 'pending')
           AS oldest_final_notification_with_account;
