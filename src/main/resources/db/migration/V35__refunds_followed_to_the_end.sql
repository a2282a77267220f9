-- Refunds are followed until Stripe settles them (refund.created, refund.updated, refund.failed,
-- charge.refund.updated): a refund counts as refunded once Stripe reports it succeeded, and one
-- that fails or is cancelled, even after succeeding, frees its amount again.
--
-- A refund made outside the API (Stripe's Dashboard) gets a row of its own, without a seller,
-- keyed by its Stripe id.
alter table refunds
    alter column seller_id drop not null,
    add column failure_reason text,
    add column updated_at timestamptz not null default now();

-- Until now a refund's row kept the status Stripe answered at its creation, and the payment's
-- amount_refunded took the highest amount_refunded a charge.refunded reported, which counted
-- pending refunds as refunded. Those refunds' later events were ignored and will not come again:
-- they keep counting as they did (succeeded), and an event that does report their end still
-- applies (a failure takes them back).
update refunds set status = 'succeeded', updated_at = now()
where status in ('pending', 'requires_action') and stripe_refund_id is not null;
-- Ours whose creation Stripe never answered: the first refund check looks them up at Stripe.
update refunds set updated_at = timestamptz '2000-01-01 00:00:00+00'
where status in ('pending', 'requires_action') and stripe_refund_id is null;

-- From now on amount_refunded is the sum of the order's succeeded refunds. What the old figure
-- holds beyond our rows came from refunds made in the Dashboard: it becomes one succeeded row per
-- order, without a Stripe id, so that no refund is forgotten. (Those refunds' ids are not known
-- here: a later event about one of them is taken as a refund of its own; the README says so.)
insert into refunds (order_id, seller_id, idempotency_key, amount, status)
select p.order_id, null, 'outside-the-api-before-v35', p.amount_refunded - coalesce(r.known, 0),
       'succeeded'
from payments p
left join (select order_id, sum(amount) as known from refunds
           where status in ('pending', 'requires_action', 'succeeded') group by order_id) r
    on r.order_id = p.order_id
where p.amount_refunded > coalesce(r.known, 0);

update payments p
set amount_refunded = coalesce(s.succeeded, 0), updated_at = now()
from payments q
left join (select order_id, sum(amount) as succeeded from refunds
           where status = 'succeeded' group by order_id) s on s.order_id = q.order_id
where q.order_id = p.order_id and p.amount_refunded <> coalesce(s.succeeded, 0);

-- the statuses Stripe gives a refund, and failed for one Stripe refused to create
alter table refunds add constraint refunds_status_check
    check (status in ('pending', 'requires_action', 'succeeded', 'failed', 'canceled'));

-- the refund check (RefundCheck) reads the refunds still in flight, by how long they have waited
create index refunds_in_flight_idx on refunds (updated_at)
    where status in ('pending', 'requires_action');
