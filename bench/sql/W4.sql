-- W4 social timeline, the raw-SQL ceiling: the 20 newest posts with author, like and comment
-- counts and the 2 newest comments of each with their authors, in one statement.
SELECT p.id, p.body, p.created_at, p.like_count, p.comment_count, pa.id, pa.display_name,
       c.id, c.body, ca.id, ca.display_name
FROM (SELECT id, body, created_at, like_count, comment_count, author_id FROM posts
      ORDER BY created_at DESC, id DESC LIMIT 21) p
JOIN users pa ON pa.id = p.author_id
LEFT JOIN LATERAL (SELECT id, body, author_id FROM comments WHERE post_id = p.id
                   ORDER BY created_at DESC, id DESC LIMIT 2) c ON true
LEFT JOIN users ca ON ca.id = c.author_id;
