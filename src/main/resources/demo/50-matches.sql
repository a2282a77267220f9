-- Alice and Bob liked each other (a match); Carol liked Alice, who has not answered yet.
INSERT INTO profile_likes (liker_id, likee_id)
SELECT a.id, b.id FROM users a, users b
WHERE (a.email, b.email) IN (('alice@dedw3n.test', 'bob@dedw3n.test'),
                             ('bob@dedw3n.test', 'alice@dedw3n.test'),
                             ('carol@dedw3n.test', 'alice@dedw3n.test'));

INSERT INTO matches (user_a_id, user_b_id)
SELECT least(a.id, b.id), greatest(a.id, b.id) FROM users a, users b
WHERE a.email = 'alice@dedw3n.test' AND b.email = 'bob@dedw3n.test';
