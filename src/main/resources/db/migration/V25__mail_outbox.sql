-- Mail to send, written in the transaction of what causes it (an order paid, a sign-up...), and
-- delivered by the mail feature's sender with retries. dedup_key makes a cause enqueue its mail
-- once; idempotency_key (a UUID) goes to Brevo so that a retried request sends one mail.
create table mail_outbox (
    id               bigint generated always as identity primary key,
    dedup_key        text        not null unique,
    idempotency_key  uuid        not null unique,
    recipient        text        not null,
    subject          text        not null,
    body             text        not null,
    status           text        not null default 'PENDING' check (status in ('PENDING', 'SENT', 'FAILED')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_error       text,
    -- brevo, or local (the development mailbox)
    delivered_by     text,
    provider_id      text,
    created_at       timestamptz not null default now(),
    sent_at          timestamptz
);
create index mail_outbox_due_idx on mail_outbox (next_attempt_at) where status = 'PENDING';
create index mail_outbox_recipient_idx on mail_outbox (recipient, id);
