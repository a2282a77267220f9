-- Bytes each user holds in storage (pending uploads included, as they reserve their size), kept by
-- a trigger on media_objects so that a cascade counts too. requestUpload adds its row and reads the
-- sum in one transaction: the usage row's lock makes a user's concurrent uploads take turns, so two
-- of them cannot both slip under the quota.
create table media_usage (
    user_id bigint primary key references users (id) on delete cascade,
    bytes   bigint not null default 0 check (bytes >= 0)
);

create function media_objects_track_usage() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into media_usage (user_id, bytes) values (new.uploader_id, new.byte_size)
            on conflict (user_id) do update set bytes = media_usage.bytes + excluded.bytes;
        return new;
    end if;
    -- the user's own row may already be gone when the user is being deleted
    update media_usage set bytes = bytes - old.byte_size where user_id = old.uploader_id;
    return old;
end;
$$;

create trigger media_objects_usage after insert or delete on media_objects
    for each row execute function media_objects_track_usage();
