-- Projects own API keys; the drain secret and Vercel verification code are per project.
CREATE TABLE IF NOT EXISTS projects (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    drain_secret  text,
    vercel_verify text
);

-- Keys are stored as the SHA-256 (hex) of the plaintext, which is shown once at creation and never stored.
CREATE TABLE IF NOT EXISTS api_keys (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    key_hash        char(64) NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
    prefix          text NOT NULL,
    name            text,
    allowed_origins text[] NOT NULL DEFAULT '{}',
    rate_limit      integer CHECK (rate_limit > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,
    revoked_at      timestamptz,
    last_used_at    timestamptz
);

CREATE INDEX IF NOT EXISTS api_keys_project_id_idx ON api_keys (project_id);
