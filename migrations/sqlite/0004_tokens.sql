-- API tokens. Only the SHA-256 of each secret is kept: the secret is shown once, when the
-- token is created, and a stolen database cannot be replayed against the API. Same tables
-- and columns as ../postgres/0004_tokens.sql.

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    secret_sha256 TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('organizer', 'auditor')),
    -- An organizer sees the campaigns whose `organization` is this; an auditor sees all.
    organization  TEXT,
    label         TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    CHECK ((role = 'organizer') = (organization IS NOT NULL))
) STRICT;
