-- Partners: API clients that may only send registered operations (persisted queries), each with a
-- cost budget of its own. Created and managed by the operator command (java -jar ... partners).
CREATE TABLE partners (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  -- ids (SHA-256 of the body) of the manifest's operations this partner may call
  allowed_operations text[] NOT NULL DEFAULT '{}',
  cost_capacity bigint NOT NULL CHECK (cost_capacity > 0),
  cost_refill_per_second bigint NOT NULL CHECK (cost_refill_per_second > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A partner's API keys: only their SHA-256 is kept (a key is 32 random bytes, so a plain hash is
-- enough: there is nothing to guess). At most two are live at once, for rotation.
CREATE TABLE partner_keys (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
  key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
  -- the key's first characters, to tell keys apart when listing or revoking them
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE INDEX partner_keys_live ON partner_keys (partner_id) WHERE revoked_at IS NULL;
