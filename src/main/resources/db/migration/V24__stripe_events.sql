-- Every Stripe webhook event applied, by its id, written in the transaction of its effect: a
-- duplicate delivery (Stripe delivers at least once) finds its id and changes nothing.
create table stripe_events (
    id          text        primary key,
    type        text        not null,
    order_id    bigint,
    outcome     text        not null,
    received_at timestamptz not null default now()
);
