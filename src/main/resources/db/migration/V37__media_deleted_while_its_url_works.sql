-- V31 deleted an object a second time, once its upload URL had expired, only when its row was
-- deleted while still PENDING. An upload completed and then deleted (deleteMedia, or a cascade from
-- its product, post, message or user) within the URL's 15 minutes could be PUT again through the
-- same URL: the create-only condition passes, since the object is gone, and the new object then
-- stayed in storage for good, referenced by no row and counted in nobody's usage. Every deleted row
-- whose URL still works is now deleted again when the URL has expired.
create or replace function media_objects_enqueue_deletion() returns trigger language plpgsql as $$
begin
    insert into media_deletions (bucket, object_name, recheck_at)
        values (old.bucket, old.object_name,
                case when old.upload_expires_at > now() then old.upload_expires_at end)
        on conflict do nothing;
    return old;
end;
$$;
