WITH c AS (
  INSERT INTO conversations (created_by, created_at, last_message_at, last_seq, participant_ids)
  SELECT id, now() - interval '1 day', now() - interval '20 hours', 3,
         (SELECT array_agg(id ORDER BY id) FROM users WHERE email IN ('alice@dedw3n.test', 'bob@dedw3n.test'))
  FROM users WHERE email = 'alice@dedw3n.test'
  RETURNING id
)
INSERT INTO conversation_participants (conversation_id, user_id)
SELECT c.id, u.id FROM c, users u WHERE u.email IN ('alice@dedw3n.test', 'bob@dedw3n.test');

INSERT INTO messages (conversation_id, seq, sender_id, body, created_at)
SELECT cp.conversation_id, m.seq, u.id, m.body, now() - m.age
FROM (VALUES
  (1, 'alice@dedw3n.test', 'Hi Bob! We matched :)', interval '22 hours'),
  (2, 'bob@dedw3n.test', 'Hi Alice! Going to the meetup on Friday?', interval '21 hours'),
  (3, 'alice@dedw3n.test', 'Yes, see you there.', interval '20 hours')
) AS m(seq, sender, body, age)
JOIN users u ON u.email = m.sender
JOIN conversation_participants cp ON cp.user_id = u.id;
