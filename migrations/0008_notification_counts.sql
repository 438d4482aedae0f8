-- Schema 8: the counts of /metrics kept as notifications are written (issue 14).
-- Applied inside one transaction together with PRAGMA user_version = 8: no BEGIN/COMMIT here.
--
-- /metrics counted reminders by provider and status, and skips by reason, over the whole history
-- at every scrape. The ledger now moves these counts in the transactions that change a
-- notification's status (src/ledger/LedgerInternals.h, NotificationCounts), a few rows per
-- transaction, so a scrape reads a few rows. A skip's reason is part of the key; other statuses
-- keep a provider's words in `reason`, which are no label. Pending reminders are counted without
-- their provider: they have none until an attempt, and the count of what waits is what matters.

CREATE TABLE notification_counts (
    status   TEXT NOT NULL,
    provider TEXT NOT NULL,                -- '' for pending reminders and skips
    reason   TEXT NOT NULL,                -- the skip reason for 'skipped', '' otherwise
    count    INTEGER NOT NULL,
    PRIMARY KEY (status, provider, reason)
) WITHOUT ROWID;

INSERT INTO notification_counts (status, provider, reason, count)
SELECT status,
       CASE WHEN status IN ('pending', 'skipped') THEN '' ELSE coalesce(provider, '') END,
       CASE WHEN status = 'skipped' THEN coalesce(reason, '') ELSE '' END,
       count(*)
FROM notifications
GROUP BY 1, 2, 3;
