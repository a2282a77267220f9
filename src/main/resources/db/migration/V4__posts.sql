-- like_count and comment_count are kept by the transactions that like and comment, so the
-- timeline reads them without counting.
create table posts (
    id            bigint generated always as identity primary key,
    author_id     bigint      not null references users (id),
    body          text        not null,
    like_count    integer     not null default 0 check (like_count >= 0),
    comment_count integer     not null default 0 check (comment_count >= 0),
    created_at    timestamptz not null default now()
);
create index posts_feed_idx on posts (created_at desc, id desc);
create index posts_author_id_idx on posts (author_id);

create table comments (
    id         bigint generated always as identity primary key,
    post_id    bigint      not null references posts (id),
    author_id  bigint      not null references users (id),
    body       text        not null,
    created_at timestamptz not null default now()
);
create index comments_post_feed_idx on comments (post_id, created_at desc, id desc);
create index comments_author_id_idx on comments (author_id);

create table post_likes (
    post_id    bigint      not null references posts (id),
    user_id    bigint      not null references users (id),
    created_at timestamptz not null default now(),
    primary key (post_id, user_id)
);
create index post_likes_user_id_idx on post_likes (user_id);
