-- E-mail verification and password reset. Only a token's SHA-256 is stored: the database alone
-- (a backup, a replica) cannot verify an address or reset a password. Single use: used_at.
alter table users add column email_verified_at timestamptz;
create table account_tokens (
    token_hash  bytea       primary key,
    user_id     bigint      not null references users (id),
    purpose     text        not null check (purpose in ('VERIFY_EMAIL', 'RESET_PASSWORD')),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    created_at  timestamptz not null default now()
);
create index account_tokens_user_idx on account_tokens (user_id, purpose);
