-- Schema 9: staged carts in columns, their lines in a table of their own (issue 14).
-- Applied inside one transaction together with PRAGMA user_version = 9: no BEGIN/COMMIT here.
--
-- Until now each staged cart was one JSON text, written and read with a codec of its own; JSON
-- is now read and written by one library only, and a ledger is read with sqlite3 by auditors:
-- columns say what they hold. Staged rows only live while a cycle runs, so the old tables are
-- dropped, not converted: a cycle still running when this applies is already stopped and reads
-- its window again. The tables stay as migration 0006 made them fast: `candidates` has no
-- index but its key and is only appended to; `candidate_lines` is keyed by (cycle, candidate),
-- which staging appends in increasing order; `chosen` is written in customer order.
DROP TABLE candidates;
DROP TABLE chosen;

CREATE TABLE candidates (
    id           INTEGER PRIMARY KEY,
    cycle_id     INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    cart_id      TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    modified_at  TEXT NOT NULL,
    cart_type    INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    total_amount TEXT NOT NULL
);

-- The lines of a staged cart, kept until the cycle ends (they name no customer).
CREATE TABLE candidate_lines (
    cycle_id     INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    candidate_id INTEGER NOT NULL,
    line_no      INTEGER NOT NULL,
    line_id      TEXT NOT NULL,
    product_id   INTEGER NOT NULL,
    item_id      TEXT NOT NULL,
    quantity     TEXT NOT NULL,
    price        TEXT NOT NULL,
    PRIMARY KEY (cycle_id, candidate_id, line_no)
) WITHOUT ROWID;

-- One cart per customer and cycle, written in customer order; its lines are its candidate's.
CREATE TABLE chosen (
    cycle_id     INTEGER NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
    customer_id  TEXT NOT NULL,
    candidate_id INTEGER NOT NULL,
    cart_id      TEXT NOT NULL,
    modified_at  TEXT NOT NULL,
    cart_type    INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    total_amount TEXT NOT NULL
);
CREATE UNIQUE INDEX chosen_by_customer ON chosen (cycle_id, customer_id);
