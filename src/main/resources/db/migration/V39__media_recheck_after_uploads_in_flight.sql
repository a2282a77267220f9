-- V37 deleted an object once more at the moment its upload URL expired. A signed URL is checked when
-- a PUT starts, so an upload that started before then may still be arriving (a large video over a
-- slow mobile link): it created the object after the second deletion, and the object stayed in
-- storage for good, referenced by no row and counted in nobody's usage. The upload's recorded
-- expiry is also a little earlier than the URL's own, which is signed after the row's commit. The
-- second deletion now comes an hour after the URL's expiry (a 200 MiB upload at 0.5 Mbit/s), and
-- is queued for every row deleted within that hour; the ones queued before this migration move
-- too (a second deletion already due cannot be told from a first one, and keeps its time).
create or replace function media_objects_enqueue_deletion() returns trigger language plpgsql as $$
begin
    insert into media_deletions (bucket, object_name, recheck_at)
        values (old.bucket, old.object_name,
                case when old.upload_expires_at + interval '1 hour' > now()
                     then old.upload_expires_at + interval '1 hour' end)
        on conflict do nothing;
    return old;
end;
$$;

update media_deletions set recheck_at = recheck_at + interval '1 hour' where recheck_at is not null;
