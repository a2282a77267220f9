-- The expiry sweep pages through due orders by (expires_at, id), its keyset cursor
-- (payment.internal.UnpaidOrderExpiry): the index carries the id so that each page starts where
-- the last one ended, instead of re-reading the orders before it.
drop index orders_unpaid_expiry_idx;
create index orders_unpaid_expiry_idx on orders (expires_at, id)
    where status in ('PENDING_PAYMENT', 'PAYMENT_FAILED') and expires_at is not null;
