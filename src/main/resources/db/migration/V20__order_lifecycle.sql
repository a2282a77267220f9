-- An order's lifecycle as an explicit state machine (order.OrderStatus). Orders placed before
-- payments existed were 'PLACED': they become PENDING_PAYMENT without an expiry, so nothing
-- cancels them by itself and their stock stays taken, as it was.
update orders set status = 'PENDING_PAYMENT' where status = 'PLACED';
alter table orders
    alter column status set default 'PENDING_PAYMENT',
    add constraint orders_status_check check (status in ('PENDING_PAYMENT', 'PAID', 'FULFILLED',
        'PAYMENT_FAILED', 'CANCELLED', 'REFUNDED', 'PARTIALLY_REFUNDED')),
    -- an unpaid order is cancelled, and its stock returned, after this (null: never)
    add column expires_at timestamptz,
    add column status_changed_at timestamptz not null default now();
-- the expiry sweep reads only unpaid orders that can expire
create index orders_unpaid_expiry_idx on orders (expires_at)
    where status in ('PENDING_PAYMENT', 'PAYMENT_FAILED') and expires_at is not null;
