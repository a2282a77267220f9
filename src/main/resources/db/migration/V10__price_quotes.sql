-- Crypto price quotes locked for a buyer's checkout: the payment flow charges exactly this rate
-- until expires_at. Times come from the application's clock (the same one that dates the quote).
create table price_quotes (
    id         bigint generated always as identity primary key,
    buyer_id   bigint      not null references users (id),
    symbol     text        not null,
    currency   char(3)     not null,
    -- fiat units per coin, exact as the provider sent it: numeric, never floating point
    price      numeric     not null check (price > 0),
    source     text        not null,
    freshness  text        not null check (freshness in ('FRESH', 'STALE', 'FALLBACK', 'EMERGENCY')),
    as_of      timestamptz not null,
    locked_at  timestamptz not null,
    expires_at timestamptz not null check (expires_at > locked_at)
);
create index price_quotes_buyer_id_idx on price_quotes (buyer_id);
