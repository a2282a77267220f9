INSERT INTO posts (author_id, body, created_at)
SELECT u.id, p.body, now() - p.age
FROM (VALUES
  ('alice@dedw3n.test', 'Just listed my old headphones, barely used!', interval '5 days'),
  ('bob@dedw3n.test', 'Anyone else going to the design meetup on Friday?', interval '4 days'),
  ('carol@dedw3n.test', 'Morning coffee with the new pour-over set.', interval '3 days'),
  ('dave@dedw3n.test', 'Looking for book recommendations on distributed systems.', interval '2 days'),
  ('erin@dedw3n.test', 'Knitting season has started.', interval '1 day')
) AS p(author, body, age)
JOIN users u ON u.email = p.author;

INSERT INTO comments (post_id, author_id, body, created_at)
SELECT po.id, u.id, c.body, po.created_at + c.after
FROM (VALUES
  ('Looking for book recommendations on distributed systems.', 'bob@dedw3n.test', 'DDIA, without a doubt.', interval '1 hour'),
  ('Looking for book recommendations on distributed systems.', 'carol@dedw3n.test', 'Seconding DDIA.', interval '2 hours'),
  ('Looking for book recommendations on distributed systems.', 'alice@dedw3n.test', 'I have a copy for sale :)', interval '3 hours'),
  ('Morning coffee with the new pour-over set.', 'erin@dedw3n.test', 'Looks lovely!', interval '1 hour'),
  ('Anyone else going to the design meetup on Friday?', 'alice@dedw3n.test', 'I will be there.', interval '30 minutes')
) AS c(post, author, body, after)
JOIN posts po ON po.body = c.post
JOIN users u ON u.email = c.author;

INSERT INTO post_likes (post_id, user_id)
SELECT po.id, u.id FROM posts po CROSS JOIN users u
WHERE u.id <> po.author_id AND (po.id + u.id) % 2 = 0;

UPDATE posts p SET
  like_count = (SELECT count(*) FROM post_likes l WHERE l.post_id = p.id),
  comment_count = (SELECT count(*) FROM comments c WHERE c.post_id = p.id);
