-- Schema 6: carts staged in the order they arrive, chosen in customer order (issue 8).
-- Applied inside one transaction together with PRAGMA user_version = 6: no BEGIN/COMMIT here.
--
-- Carts arrive in ModifiedDateTime order, which is no order at all for their ids and customers:
-- the two indexes of `candidates` took every staged cart at a random place, about two pages
-- through the write-ahead log per cart once a cycle stages tens of thousands. Now `candidates`
-- has no index and is only appended to; LedgerStore::resolveSuperseded reads it once, sorted
-- by customer, and appends one cart per customer to `chosen`, which the decisions then read in
-- that same order. Staged rows only live during a cycle: those of a cycle still running are
-- dropped, and that cycle, already stopped, reads its window again next time.
DROP TABLE candidates;
CREATE TABLE candidates (
    cycle_id    INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    cart_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    cart_json   TEXT NOT NULL
);

-- One cart per customer and cycle, written in customer order.
CREATE TABLE chosen (
    cycle_id    INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    cart_json   TEXT NOT NULL
);
CREATE UNIQUE INDEX chosen_by_customer ON chosen (cycle_id, customer_id);
