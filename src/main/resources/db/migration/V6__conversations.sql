-- last_seq numbers each conversation's messages 1, 2, 3, ... in the transaction that stores them.
create table conversations (
    id              bigint generated always as identity primary key,
    created_by      bigint      not null references users (id),
    created_at      timestamptz not null default now(),
    last_message_at timestamptz not null default now(),
    last_seq        bigint      not null default 0
);
create index conversations_created_by_idx on conversations (created_by);
create index conversations_activity_idx on conversations (last_message_at desc, id desc);

create table conversation_participants (
    conversation_id bigint      not null references conversations (id),
    user_id         bigint      not null references users (id),
    joined_at       timestamptz not null default now(),
    primary key (conversation_id, user_id)
);
create index conversation_participants_user_id_idx on conversation_participants (user_id);

create table messages (
    id              bigint generated always as identity primary key,
    conversation_id bigint      not null references conversations (id),
    seq             bigint      not null,
    sender_id       bigint      not null references users (id),
    body            text        not null,
    created_at      timestamptz not null default now(),
    constraint messages_conversation_seq_key unique (conversation_id, seq)
);
create index messages_sender_id_idx on messages (sender_id);
