-- One payment per order: the Stripe PaymentIntent of its current attempt and the facts Stripe's
-- webhook events established. Facts only ever grow (succeeded stays true, amount_refunded only
-- rises), so events applied in any order reach the same state.
create table payments (
    order_id           bigint      primary key references orders (id),
    attempt            integer     not null default 1 check (attempt >= 1),
    payment_intent_id  text        unique,
    amount             bigint      not null check (amount >= 0),
    currency           char(3)     not null,
    -- what Stripe reported: requires_payment_method, processing, succeeded, canceled, ...
    stripe_status      text        not null default 'requires_payment_method',
    amount_received    bigint      not null default 0 check (amount_received >= 0),
    amount_refunded    bigint      not null default 0 check (amount_refunded >= 0),
    succeeded          boolean     not null default false,
    paid_at            timestamptz,
    last_failure       text,
    -- the crypto path: the locked quote this payment was charged at (price.price_quotes)
    quote_id           bigint,
    quote_symbol       text,
    quote_price        numeric,
    quote_crypto_amount numeric,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);
