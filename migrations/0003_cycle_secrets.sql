-- Schema 3: whether a cycle ran on sealed copies of its secrets (issue 5, offline tolerance).
-- Applied inside one transaction together with PRAGMA user_version = 3: no BEGIN/COMMIT here.

-- 'live' when every secret value in use came from its source; 'sealed' when at least one was
-- the sealed local copy of a Key Vault secret because Key Vault could not be reached. NULL for
-- cycles before this version and for a cycle whose process stopped before it was recorded.
ALTER TABLE cycles ADD COLUMN secrets_state TEXT CHECK (secrets_state IN ('live', 'sealed'));
