-- placeOrder's client-chosen idempotency key: a retry with the same key answers the order the
-- first attempt placed. Kept with the order (so for as long as the order exists, well beyond the
-- promised 24 hours), unique per buyer.
alter table orders add column idempotency_key text;
create unique index orders_buyer_idempotency_key_idx on orders (buyer_id, idempotency_key)
    where idempotency_key is not null;
