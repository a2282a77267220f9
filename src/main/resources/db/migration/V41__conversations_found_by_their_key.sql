-- startConversation now finds the conversation of a set of people by participant_ids alone, one
-- probe of its unique key (V36), where it read every conversation of one of them with its
-- participants: for an account in many conversations each call cost as many. A conversation with
-- no key would no longer be found, and its people would get a second one: the instances of the
-- release before V36, still serving during that upgrade, created theirs without it. Those get
-- their key here, the oldest of each set where there are several, as V36 did; the duplicates
-- that the race before V36 made keep none (startConversation answered the oldest before too).
-- Only the keyless rows are read and locked; sends of other conversations do not wait.
with sets as (
    select p.conversation_id as id, array_agg(p.user_id order by p.user_id) as ids
    from conversations c
    join conversation_participants p on p.conversation_id = c.id
    where c.participant_ids is null
    group by p.conversation_id
), oldest as (
    select distinct on (ids) id, ids
    from sets
    where not exists (select 1 from conversations k where k.participant_ids = sets.ids)
    order by ids, id
)
update conversations c set participant_ids = o.ids from oldest o where o.id = c.id;
