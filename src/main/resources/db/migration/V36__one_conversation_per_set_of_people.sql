-- startConversation answers the conversation its people already have, found by its participants;
-- two calls for the same people at the same moment (both people starting it, a double tap) both
-- found none and both inserted one, which split their chat in two. The sorted ids of a
-- conversation's participants, unique, make the second insert find the first's instead.
-- Participants never change after a conversation is created, so the copy cannot go stale.
alter table conversations add column participant_ids bigint[];

-- Existing conversations get theirs; where the race had already made two for the same people,
-- only the oldest (the one startConversation answers) does, and the others keep no key.
with sets as (
    select conversation_id as id, array_agg(user_id order by user_id) as ids
    from conversation_participants
    group by conversation_id
), oldest as (
    select distinct on (ids) id, ids from sets order by ids, id
)
update conversations c set participant_ids = o.ids from oldest o where o.id = c.id;

-- A send updates last_seq and last_message_at, not this column: its update stays HOT (V34).
create unique index conversations_participant_ids_key on conversations (participant_ids);
