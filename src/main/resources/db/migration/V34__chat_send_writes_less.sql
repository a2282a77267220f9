-- Every chat message updates its conversation's row (last_seq, last_message_at) and files one
-- inbox entry per participant, so what those rows carry is paid on every send.
--
-- conversations_activity_idx ordered all conversations by their last message, but no statement
-- reads it (a user's conversations come from conversation_participants by user and are sorted
-- there: a few rows a user), and because it covers last_message_at it made each send's update of
-- the conversation a non-HOT update: a new entry in each of the table's three indexes a message.
-- Without it the update is HOT and touches no index.
drop index conversations_activity_idx;

-- inbox_entries.conversation_id repeats messages.conversation_id of the entry's message and no
-- statement reads it (an inbox read joins the message anyway), yet it cost each entry a
-- foreign-key check and an index entry. This release stops writing it. The column itself stays,
-- nullable, for one release: during a rolling upgrade the instances of the release before still
-- write it, and their sends must keep working until they are replaced
-- (ChatTests.aSendOfThePreviousReleaseStillWorks). The next release's migration drops it, and
-- that test with it.
alter table inbox_entries drop constraint inbox_entries_conversation_id_fkey;
drop index inbox_entries_conversation_id_idx;
alter table inbox_entries alter column conversation_id drop not null;
