-- Schema 4: fewer index pages written per reminder (issue 8, docs/benchmark.md).
-- Applied inside one transaction together with PRAGMA user_version = 4: no BEGIN/COMMIT here.
--
-- Every index entry a reminder writes or moves costs a page in the write-ahead log, and entries
-- keyed by a hash land on a different page each time. These indexes are the same lookups with
-- keys that a delivery no longer changes, or without the rows nobody looks up by that key.

-- The cooldown looks customers up by account number only; with sent_at in the key, every
-- delivery moved the entry.
DROP INDEX notifications_customer_sent;
CREATE INDEX notifications_customer ON notifications (customer_id);

-- Retention: created_at never changes, and updated_at is never earlier, so the rows final for the
-- retention period are among those created before it (LedgerStore::applyRetention states both).
-- With updated_at in the key, every delivery moved the entry.
DROP INDEX notifications_with_account;
CREATE INDEX notifications_with_account ON notifications (created_at) WHERE customer_id NOT LIKE 'h:%';

-- The subjects looked up are those of people's requests and of the start records: an opt-out
-- before a send, a secret's last source. The cycle's own rows (one or more per cart, keyed by a
-- hash) are found through notifications.email_hash, or by a scan in an auditor's ad hoc query.
-- A query uses this index only when it repeats its condition: `actor <> 'cycle'`.
DROP INDEX audit_log_subject;
CREATE INDEX audit_log_requests_subject ON audit_log (subject) WHERE actor <> 'cycle';

-- The same rows as before, each send looking for an opt-out through the index above.
DROP VIEW sends_after_opt_out;
CREATE VIEW sends_after_opt_out AS
SELECT s.id, s.at, s.subject, s.detail, o.at AS opted_out_at
FROM audit_log s
JOIN audit_log o ON o.subject = s.subject AND o.actor <> 'cycle' AND o.action = 'opt_out' AND o.id < s.id
WHERE s.action = 'sent'
  AND NOT EXISTS (SELECT 1 FROM audit_log i
                  WHERE i.subject = s.subject AND i.actor <> 'cycle' AND i.action IN ('opt_in', 'opt_out_removed')
                    AND i.id > o.id AND i.id < s.id)
ORDER BY s.id;
