-- Refunds a seller asked for. A row is written (and the amount reserved) before Stripe is called,
-- with the Stripe idempotency key derived from the order and the seller's key, so a retry after a
-- timeout cannot refund twice.
create table refunds (
    id               bigint generated always as identity primary key,
    order_id         bigint      not null references payments (order_id),
    seller_id        bigint      not null,
    idempotency_key  text        not null,
    amount           bigint      not null check (amount > 0),
    stripe_refund_id text        unique,
    status           text        not null default 'pending',
    created_at       timestamptz not null default now(),
    unique (order_id, seller_id, idempotency_key)
);
