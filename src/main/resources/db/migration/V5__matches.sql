create table profile_likes (
    liker_id   bigint      not null references users (id),
    likee_id   bigint      not null references users (id),
    created_at timestamptz not null default now(),
    primary key (liker_id, likee_id),
    check (liker_id <> likee_id)
);
create index profile_likes_likee_id_idx on profile_likes (likee_id);

-- One row per pair, stored with the smaller id first.
create table matches (
    id         bigint generated always as identity primary key,
    user_a_id  bigint      not null references users (id),
    user_b_id  bigint      not null references users (id),
    status     text        not null default 'ACTIVE',
    created_at timestamptz not null default now(),
    check (user_a_id < user_b_id),
    constraint matches_pair_key unique (user_a_id, user_b_id)
);
create index matches_user_a_feed_idx on matches (user_a_id, created_at desc, id desc);
create index matches_user_b_feed_idx on matches (user_b_id, created_at desc, id desc);
