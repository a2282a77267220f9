-- Media (images, videos, attachments) kept in object storage: one row per object the server named
-- for an upload. A row is PENDING from requestUpload until completeUpload checks the object and
-- attaches it to exactly one owner, which its purpose decides. The owners are foreign keys with
-- ON DELETE CASCADE, so deleting a product, post, message or user removes its media rows in the
-- same transaction, whatever module deletes it (the objects themselves: V31).
create table media_objects (
    id              uuid        primary key,
    uploader_id     bigint      not null references users (id) on delete cascade,
    purpose         text        not null
        check (purpose in ('PRODUCT_IMAGE', 'POST_MEDIA', 'PROFILE_PHOTO', 'MESSAGE_ATTACHMENT')),
    status          text        not null default 'PENDING' check (status in ('PENDING', 'ATTACHED')),
    bucket          text        not null,
    object_name     text        not null,
    content_type    text        not null,
    byte_size       bigint      not null check (byte_size > 0),
    width           integer,
    height          integer,
    product_id      bigint      references products (id) on delete cascade,
    post_id         bigint      references posts (id) on delete cascade,
    message_id      bigint      references messages (id) on delete cascade,
    profile_user_id bigint      references users (id) on delete cascade,
    created_at      timestamptz not null default now(),
    -- until when the signed upload URL works: the object may appear until then (V31)
    upload_expires_at timestamptz not null,
    attached_at     timestamptz,
    constraint media_objects_object_key unique (bucket, object_name),
    -- exactly the owner column of its purpose is set
    constraint media_objects_owner_check check (
        (purpose = 'PRODUCT_IMAGE') = (product_id is not null)
        and (purpose = 'POST_MEDIA') = (post_id is not null)
        and (purpose = 'MESSAGE_ATTACHMENT') = (message_id is not null)
        and (purpose = 'PROFILE_PHOTO') = (profile_user_id is not null))
);
-- one index per owner, for the batch loads of Product.images, Post.media, Message.attachments and
-- User.photos and for the cascades
create index media_objects_product_idx on media_objects (product_id, attached_at, id) where product_id is not null;
create index media_objects_post_idx on media_objects (post_id, attached_at, id) where post_id is not null;
create index media_objects_message_idx on media_objects (message_id, attached_at, id) where message_id is not null;
create index media_objects_profile_idx on media_objects (profile_user_id, attached_at, id) where profile_user_id is not null;
create index media_objects_uploader_idx on media_objects (uploader_id);
-- the orphan sweep: pending rows by age
create index media_objects_pending_idx on media_objects (created_at) where status = 'PENDING';
