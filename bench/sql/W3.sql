-- W3 conversation page, the raw-SQL ceiling: the 50 newest messages of a random conversation,
-- each with its sender, returned only if the caller (here the conversation's creator, so always
-- a participant) takes part in it, in one statement.
\set c random(1, :conversations)
SELECT m.id, m.seq, m.body, m.created_at, u.id, u.display_name
FROM (SELECT id, seq, body, created_at, sender_id FROM messages
      WHERE conversation_id = :c ORDER BY seq DESC LIMIT 51) m
JOIN users u ON u.id = m.sender_id
WHERE EXISTS (SELECT 1 FROM conversation_participants cp JOIN conversations c ON c.id = cp.conversation_id
              WHERE cp.conversation_id = :c AND cp.user_id = c.created_by);
