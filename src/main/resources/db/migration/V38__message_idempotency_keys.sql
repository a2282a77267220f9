-- sendMessage's client-chosen idempotency key: a send retried with the same key (its answer lost
-- on a phone's flaky network, the app resending what it queued offline) answers the message the
-- first attempt stored instead of storing and delivering it twice. Kept with the message, unique
-- per conversation and sender. Sends without a key, and those of the release before during a
-- rolling upgrade, leave it null, which the partial index does not hold: they cost nothing more.
--
-- Building the index holds a SHARE lock on messages while it reads the whole table, and sends wait
-- for it meanwhile. On a large table, do both steps by hand first, without blocking sends (adding
-- a nullable column only changes the catalog):
--   alter table messages add column if not exists idempotency_key text;
--   create unique index concurrently messages_idempotency_key_idx on messages
--       (conversation_id, sender_id, idempotency_key) where idempotency_key is not null;
-- and this migration then finds both. A concurrent build that failed leaves an invalid index of
-- that name (pg_index.indisvalid false), which "if not exists" would take for the real one: drop
-- it and build it again first. (Not CONCURRENTLY here: that waits for the transactions open when
-- it starts to end, Flyway's own lock transaction among them, which ends after it: tried, it hung.)
alter table messages add column if not exists idempotency_key text;

create unique index if not exists messages_idempotency_key_idx
    on messages (conversation_id, sender_id, idempotency_key) where idempotency_key is not null;
