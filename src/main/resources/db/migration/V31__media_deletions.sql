-- Objects to delete from storage. A trigger files every deleted media row here in the deleting
-- transaction (a cascade from a product, post, message or user included), so the object is
-- deleted only once that transaction has committed (a worker reads committed rows only) and is
-- never forgotten: a row stays until the store confirms the deletion, retried with a growing delay.
-- A row deleted while still pending, with its upload URL still working (deleteMedia right after
-- requestUpload, a rejected upload), has recheck_at set to the URL's expiry: the object is deleted
-- at once and again after that, so an upload that arrives in between does not stay behind.
create table media_deletions (
    bucket          text        not null,
    object_name     text        not null,
    enqueued_at     timestamptz not null default now(),
    attempts        integer     not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error      text,
    recheck_at      timestamptz,
    primary key (bucket, object_name)
);
create index media_deletions_due_idx on media_deletions (next_attempt_at);

create function media_objects_enqueue_deletion() returns trigger language plpgsql as $$
begin
    insert into media_deletions (bucket, object_name, recheck_at)
        values (old.bucket, old.object_name,
                case when old.status = 'PENDING' and old.upload_expires_at > now()
                     then old.upload_expires_at end)
        on conflict do nothing;
    return old;
end;
$$;

create trigger media_objects_deleted after delete on media_objects
    for each row execute function media_objects_enqueue_deletion();
