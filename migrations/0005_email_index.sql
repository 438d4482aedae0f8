-- Schema 5: the notifications of an address, found through a table written once per cycle
-- (issue 8, docs/benchmark.md). Applied inside one transaction together with
-- PRAGMA user_version = 5: no BEGIN/COMMIT here.
--
-- The index on notifications.email_hash took each reminder's entry at a random place among all
-- the others: about one page through the write-ahead log per reminder, the largest single write
-- of a cycle. email_index holds the same pairs, added in hash order at the end of each cycle
-- (LedgerStore::indexEmailHashes), so that each of its pages is written at most once a cycle.
-- The rows after email_index_state.last_notification_id are not in it yet: a lookup reads them
-- from notifications, where they are the newest rows (PrivacyStore's purge does both).
CREATE TABLE email_index (
    email_hash      TEXT NOT NULL,
    notification_id INTEGER NOT NULL,     -- notifications.id; notifications are never deleted
    PRIMARY KEY (email_hash, notification_id)
) WITHOUT ROWID;

CREATE TABLE email_index_state (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    last_notification_id INTEGER NOT NULL -- the newest notification email_index covers
);

INSERT INTO email_index (email_hash, notification_id)
SELECT email_hash, id FROM notifications WHERE email_hash IS NOT NULL ORDER BY email_hash, id;
INSERT INTO email_index_state (id, last_notification_id) SELECT 1, coalesce(max(id), 0) FROM notifications;
DROP INDEX notifications_email_hash;
