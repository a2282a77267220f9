-- Read state: a participant has read its conversation up to this sequence number.
alter table conversation_participants add column last_read_seq bigint not null default 0;

-- Each user's inbox numbers the messages of all its conversations 1, 2, 3, ... in the
-- transaction that stores them, so an inbox subscriber can resume and detect gaps exactly as a
-- conversation subscriber does.
create table inboxes (
    user_id  bigint primary key references users (id),
    last_seq bigint not null default 0
);

create table inbox_entries (
    user_id         bigint not null references users (id),
    seq             bigint not null,
    message_id      bigint not null references messages (id),
    conversation_id bigint not null references conversations (id),
    primary key (user_id, seq)
);
create index inbox_entries_message_id_idx on inbox_entries (message_id);
create index inbox_entries_conversation_id_idx on inbox_entries (conversation_id);
