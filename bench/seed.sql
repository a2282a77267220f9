-- The reference data set of ../shared/bench/WORKLOAD.md, loaded into the project's own schema
-- (Flyway's tables must exist: start the server once first).
--
--   PGOPTIONS='-c bench.scale=0.1' psql -v ON_ERROR_STOP=1 -f bench/seed.sql "$DATABASE_URL"
--   java -cp postgresql.jar bench/Seed.java jdbc:postgresql://... 0.1      (needs only a JDK)
--
-- bench.scale: 1.0 = the full set (20,000 users, 100,000 products, 500,000 reviews, ...), from 0.01 up.
-- Everything in the database is replaced.
--
-- Deterministic: no random(); every value is a function of the row's number through
-- hashint8extended(), the stable 64-bit hash PostgreSQL's hash partitioning relies on, so the same
-- scale gives the same rows on every PostgreSQL version and every run. Ids are the row numbers.
-- Bulk: one INSERT ... SELECT generate_series per table. Counters that the application keeps
-- (products.review_count / rating_sum, posts.like_count / comment_count, conversations.last_seq /
-- last_message_at) are computed from the same functions as the rows they count, and checked at
-- the end.
--
-- Shape choices the driver relies on:
--   * users 1 .. 80 % sell; the top fifth never sells, so an order by one of them is never for
--     their own product (placeOrder refuses that). Seeded orders and W5 buyers come from there.
--   * every price is in USD, so any three products make a valid order (one currency per order).
--   * every seeded user signs in with the password 'bench-password' (one BCrypt hash, made once).
--
-- A line starting with \echo is a progress message: psql prints it, Seed.java prints it with the
-- elapsed time and runs the statements between two such lines as one batch.

\set ON_ERROR_STOP on
\echo seed: checking the scale and the schema
SET client_min_messages = warning;
SET synchronous_commit = off;
SET maintenance_work_mem = '256MB';
SET work_mem = '64MB';
SET TIME ZONE 'UTC';

DROP TABLE IF EXISTS pg_temp.bench_size;
CREATE TEMP TABLE bench_size AS
SELECT s AS scale,
       round(20000 * s)::int AS users,
       round(16000 * s)::int AS sellers,
       round(100000 * s)::int AS products,
       round(50000 * s)::int AS orders,
       round(100000 * s)::int AS posts,
       round(50000 * s)::int AS matches,
       round(25000 * s)::int AS conversations
FROM (SELECT current_setting('bench.scale', true)::numeric AS s) x;

DO $$
DECLARE s numeric := (SELECT scale FROM bench_size);
BEGIN
  IF s IS NULL OR s < 0.01 OR s > 10 THEN
    RAISE EXCEPTION 'bench.scale must be between 0.01 and 10 (1.0 = full size), not %', s;
  END IF;
  IF to_regclass('public.messages') IS NULL THEN
    RAISE EXCEPTION 'the schema is missing: start the server once so that Flyway creates it';
  END IF;
END $$;

CREATE OR REPLACE FUNCTION pg_temp.seeded_tables() RETURNS oid[] LANGUAGE sql STABLE
  AS $f$SELECT ARRAY['users', 'products', 'reviews', 'orders', 'order_items', 'posts', 'comments',
                    'post_likes', 'profile_likes', 'matches', 'conversations',
                    'conversation_participants', 'messages']::regclass[]::oid[]$f$;

-- A non-negative 64-bit hash of (row number, column salt): the only source of variety.
CREATE OR REPLACE FUNCTION pg_temp.h(k bigint, salt int) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT hashint8extended(k, salt) & 9223372036854775807';
-- A fixed instant minus up to `days` days: timestamps do not depend on when the seed ran.
-- STABLE, not IMMUTABLE, like the timestamptz arithmetic inside, or PostgreSQL will not inline it
-- (and a call that is not inlined costs fifty times more).
CREATE OR REPLACE FUNCTION pg_temp.at(k bigint, salt int, days int) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $f$SELECT timestamptz '2026-01-01 00:00:00+00'
              - make_interval(secs => pg_temp.h(k, salt) % (days * 86400))$f$;
CREATE OR REPLACE FUNCTION pg_temp.sentence(k bigint, salt int) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $f$SELECT (ARRAY[
    'Arrived two days early and works exactly as described; the packaging was careful and complete.',
    'Solid build quality for the price. I would buy it again, though the manual could be clearer.',
    'Not quite what the photos suggested, but the seller answered quickly and sorted it out for me.',
    'Lovely finish and a pleasant weight in the hand. It has become part of my everyday routine now.',
    'Does the job. Setup took a few minutes longer than expected because one screw was missing.',
    'Exceeded my expectations in every way; the colour is richer than on screen and it feels sturdy.',
    'Good value overall. Delivery was slow, but the item itself is well made and looks very nice.',
    'Bought this as a gift and it was a hit. The seller even added a handwritten note, a nice touch.',
    'Works fine most days, though it gets warm after an hour of use. Keep that in mind before buying.',
    'Five stars for the seller, four for the product: sturdy and simple, with a slightly loud motor.',
    'I compared three similar listings and this one had the best materials for a fair, honest price.',
    'The size runs small, so order one up. Otherwise comfortable, well stitched and true to colour.',
    'Second time I have ordered from this shop; consistent quality and quick replies to my questions.',
    'Exactly what I needed for the weekend trip. Light, compact, and it survived the rain without issue.',
    'It arrived with a small scratch, but a replacement was shipped the same day without any fuss.',
    'Clean design and clear instructions. My kids figured it out before I had finished my coffee.',
    'A bit pricey, yet it feels like it will last for years, which makes the cost easier to accept.',
    'Battery life is better than advertised; I charge it once a week and forget about it otherwise.',
    'Smells new and a little strong at first, which fades after a day. Otherwise perfect for the home.',
    'Would recommend to friends. The only downside is the cable, which is shorter than I would like.'
  ])[1 + pg_temp.h(k, salt) % 20]$f$;

CREATE OR REPLACE FUNCTION pg_temp.product_seller(p bigint, sellers int) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1 + pg_temp.h(p, 1) % sellers';
CREATE OR REPLACE FUNCTION pg_temp.product_created(p bigint) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE AS 'SELECT pg_temp.at(p, 2, 365)';
CREATE OR REPLACE FUNCTION pg_temp.product_price(p bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 100 + pg_temp.h(p, 3) % 99901';
-- 3..7 reviews per product, 5 on average (500,000 at scale 1): every product has the 3 that W1
-- shows, so a W1 page touches WORKLOAD.md's 150 reviews. (It was 0..10, and a page held about
-- 123: 3 products in 11 had fewer than 3, a lighter page than the peers' seed, whose reviews are
-- scattered at random, about 141 a page.)
CREATE OR REPLACE FUNCTION pg_temp.review_count(p bigint) RETURNS int
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT (3 + pg_temp.h(p, 4) % 5)::int';
CREATE OR REPLACE FUNCTION pg_temp.review_rating(p bigint, k int) RETURNS smallint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT (ARRAY[1, 2, 3, 3, 4, 4, 4, 5, 5, 5])[1 + pg_temp.h(p * 16 + k, 5) % 10]::smallint';

CREATE OR REPLACE FUNCTION pg_temp.post_created(q bigint) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE AS 'SELECT pg_temp.at(q, 30, 365)';
-- 0..20 likes per post (10 on average), 0..6 comments (3 on average)
CREATE OR REPLACE FUNCTION pg_temp.post_likes(q bigint) RETURNS int
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT (pg_temp.h(q, 31) % 21)::int';
CREATE OR REPLACE FUNCTION pg_temp.post_comments(q bigint) RETURNS int
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT (pg_temp.h(q, 32) % 7)::int';

-- 2 participants, 3 or 4 in one conversation of ten; 0..40 messages (20 on average)
CREATE OR REPLACE FUNCTION pg_temp.conversation_size(c bigint) RETURNS int
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT 2 + CASE WHEN pg_temp.h(c, 50) % 10 = 0 THEN 1 + (pg_temp.h(c, 51) % 2)::int ELSE 0 END';
-- participant k (0-based) of a conversation: distinct users because k * step < users
CREATE OR REPLACE FUNCTION pg_temp.participant(c bigint, k int, users int) RETURNS bigint
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS 'SELECT 1 + (pg_temp.h(c, 52) % users + k * (1 + pg_temp.h(c, 53) % ((users - 1) / 4))) % users';
CREATE OR REPLACE FUNCTION pg_temp.conversation_created(c bigint) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE AS 'SELECT pg_temp.at(c, 54, 365)';
CREATE OR REPLACE FUNCTION pg_temp.message_count(c bigint) RETURNS int
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT (pg_temp.h(c, 55) % 41)::int';
CREATE OR REPLACE FUNCTION pg_temp.message_at(c bigint, seq int) RETURNS timestamptz
  LANGUAGE sql STABLE PARALLEL SAFE
  AS $f$SELECT pg_temp.conversation_created(c)
              + make_interval(mins => seq, secs => pg_temp.h(c * 64 + seq, 57) % 60)$f$;

-- All of the load is one transaction: should anything fail, the tables, their indexes and their
-- constraints are exactly as before.
BEGIN;

\echo seed: emptying every table, setting secondary indexes and foreign keys aside
-- Index maintenance and foreign-key triggers row by row cost several times the load itself; the
-- definitions are saved, dropped, and recreated from the catalog after the load (the foreign
-- keys then validate every row at once). Primary keys and unique constraints stay in place.
CREATE TEMP TABLE bench_ddl ON COMMIT DROP AS
SELECT 1 AS step, format('DROP INDEX %s', i.indexrelid::regclass) AS drop_sql,
       pg_get_indexdef(i.indexrelid) AS create_sql
FROM pg_index i
WHERE i.indrelid = ANY (pg_temp.seeded_tables())
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
UNION ALL
SELECT 2, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid))
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conrelid = ANY (pg_temp.seeded_tables());

DO $$
DECLARE d record;
BEGIN
  FOR d IN SELECT drop_sql FROM bench_ddl ORDER BY step DESC LOOP EXECUTE d.drop_sql; END LOOP;
END $$;

TRUNCATE users, products, reviews, orders, order_items, posts, comments, post_likes,
         profile_likes, matches, conversations, conversation_participants, messages
         RESTART IDENTITY CASCADE;
COMMENT ON TABLE users IS NULL;

\echo seed: users
INSERT INTO users (id, email, display_name, password_hash, created_at) OVERRIDING SYSTEM VALUE
SELECT u,
       'user' || u || '@bench.dedw3n.test',
       (ARRAY['Ada','Ben','Chloe','Dmitri','Esther','Farid','Grace','Hugo','Ines','Jonas',
              'Kemi','Liam','Maya','Noah','Olga','Pavel','Quinn','Rosa','Sami','Tara',
              'Uma','Victor','Wen','Xavier','Yara','Zoe','Amir','Bea','Carlos','Dana'])
         [1 + pg_temp.h(u, 60) % 30]
       || ' ' ||
       (ARRAY['Okafor','Smith','Nguyen','Garcia','Kowalski','Haddad','Ivanova','Tanaka','Silva',
              'Moreau','Jensen','Rossi','Kim','Mensah','Novak','Schmidt','Costa','Larsen',
              'Patel','Walsh'])[1 + pg_temp.h(u, 61) % 20],
       -- BCrypt (cost 10) of 'bench-password', made once with Spring Security's encoder
       '{bcrypt}$2a$10$Xk95PtOqtkgMguDOqnK0.eM/EP9KmnHkzMjIWKENdIn2aQe0AJBT2',
       pg_temp.at(u, 62, 730)
FROM bench_size, generate_series(1, users) u;

\echo seed: products
INSERT INTO products (id, seller_id, category, title, description, price_amount, price_currency,
                      stock, review_count, rating_sum, created_at, updated_at) OVERRIDING SYSTEM VALUE
SELECT p,
       pg_temp.product_seller(p, sellers),
       (ARRAY['electronics','books','home','fashion','toys','garden','sports','beauty','music',
              'games','art','crafts','kitchen','office','pets','baby','tools','automotive',
              'outdoors','jewelry','watches','shoes','bags','health','grocery','wine','coffee',
              'tea','bikes','camping','photography','computers','phones','audio','furniture',
              'lighting','bedding','bath','stationery','collectibles','vintage','comics',
              'movies','software','fitness','yoga','travel','party','seasonal','handmade'])
         [1 + pg_temp.h(p, 6) % 50],
       (ARRAY['Compact','Classic','Handmade','Vintage','Wireless','Organic','Premium','Travel',
              'Everyday','Deluxe','Minimal','Rugged','Smart','Eco','Pocket','Studio'])
         [1 + pg_temp.h(p, 7) % 16]
       || ' ' ||
       (ARRAY['lamp','kettle','backpack','speaker','notebook','jacket','chair','puzzle','watch',
              'camera','mug','blanket','charger','planter','scarf','headphones','knife','tent',
              'bottle','wallet'])[1 + pg_temp.h(p, 8) % 20]
       || ' ' || p,
       pg_temp.sentence(p, 9),
       pg_temp.product_price(p),
       'USD',
       (50 + pg_temp.h(p, 10) % 951)::int,
       pg_temp.review_count(p),
       (SELECT coalesce(sum(pg_temp.review_rating(p, k)), 0)
          FROM generate_series(1, pg_temp.review_count(p)) k),
       pg_temp.product_created(p),
       pg_temp.product_created(p)
FROM bench_size, generate_series(1, products) p;

\echo seed: reviews
-- authors: the seller's position plus k steps, k = 1..10 and 10 steps < users, so distinct
-- (unique per product) and never the seller
INSERT INTO reviews (product_id, author_id, rating, body, created_at)
SELECT p,
       1 + (pg_temp.product_seller(p, sellers) - 1
            + k * (1 + pg_temp.h(p, 11) % ((users - 1) / 10))) % users,
       pg_temp.review_rating(p, k),
       pg_temp.sentence(p * 16 + k, 12),
       pg_temp.product_created(p) + make_interval(secs => pg_temp.h(p * 16 + k, 13) % (30 * 86400))
FROM bench_size, generate_series(1, products) p,
     LATERAL generate_series(1, pg_temp.review_count(p)) k;

\echo seed: orders
-- buyers from the top fifth of users (never sellers); 1..5 distinct products, 1..3 of each;
-- a year of history, so shipped (FULFILLED: orders.status is checked since V20)
INSERT INTO orders (id, buyer_id, status, total_amount, currency, created_at) OVERRIDING SYSTEM VALUE
SELECT o,
       sellers + 1 + pg_temp.h(o, 20) % (users - sellers),
       'FULFILLED',
       (SELECT sum((1 + pg_temp.h(o * 8 + k, 24) % 3)
                   * pg_temp.product_price(1 + (pg_temp.h(o, 22) % products
                                                + k * (1 + pg_temp.h(o, 23) % ((products - 1) / 5))) % products))
          FROM generate_series(0, (pg_temp.h(o, 21) % 5)::int) k),
       'USD',
       pg_temp.at(o, 25, 365)
FROM bench_size, generate_series(1, orders) o;

\echo seed: order items
INSERT INTO order_items (order_id, product_id, seller_id, quantity, unit_amount, currency)
SELECT o, i.product, pg_temp.product_seller(i.product, sellers),
       (1 + pg_temp.h(o * 8 + k, 24) % 3)::int, pg_temp.product_price(i.product), 'USD'
FROM bench_size, generate_series(1, orders) o,
     LATERAL generate_series(0, (pg_temp.h(o, 21) % 5)::int) k,
     LATERAL (SELECT 1 + (pg_temp.h(o, 22) % products
                          + k * (1 + pg_temp.h(o, 23) % ((products - 1) / 5))) % products AS product) i;

\echo seed: posts
INSERT INTO posts (id, author_id, body, like_count, comment_count, created_at) OVERRIDING SYSTEM VALUE
SELECT q, 1 + pg_temp.h(q, 33) % users, pg_temp.sentence(q, 34),
       pg_temp.post_likes(q), pg_temp.post_comments(q), pg_temp.post_created(q)
FROM bench_size, generate_series(1, posts) q;

\echo seed: comments
INSERT INTO comments (post_id, author_id, body, created_at)
SELECT q, 1 + pg_temp.h(q * 8 + k, 35) % users, pg_temp.sentence(q * 8 + k, 36),
       pg_temp.post_created(q) + make_interval(secs => pg_temp.h(q * 8 + k, 37) % (7 * 86400))
FROM bench_size, generate_series(1, posts) q, LATERAL generate_series(1, pg_temp.post_comments(q)) k;

\echo seed: post likes
-- k steps from a start, 20 steps < users: distinct likers per post
INSERT INTO post_likes (post_id, user_id, created_at)
SELECT q,
       1 + (pg_temp.h(q, 38) % users + k * (1 + pg_temp.h(q, 39) % ((users - 1) / 20))) % users,
       pg_temp.post_created(q) + make_interval(secs => pg_temp.h(q * 32 + k, 40) % (7 * 86400))
FROM bench_size, generate_series(1, posts) q, LATERAL generate_series(0, pg_temp.post_likes(q) - 1) k;

\echo seed: matches and the profile likes behind them
-- pair (a, a + d) with d = 1, 38, 75 for the 1st, 2nd, 3rd round over the users: d < users / 2,
-- so no pair comes twice; stored smaller id first
INSERT INTO matches (user_a_id, user_b_id, status, created_at)
SELECT 1 + least(a, b), 1 + greatest(a, b),
       CASE WHEN pg_temp.h(m, 41) % 10 = 0 THEN 'UNMATCHED' ELSE 'ACTIVE' END,
       pg_temp.at(m, 42, 365)
FROM bench_size, generate_series(0, matches - 1) m,
     LATERAL (SELECT m % users AS a, (m % users + 1 + 37 * (m / users)) % users AS b) pair;

INSERT INTO profile_likes (liker_id, likee_id, created_at)
SELECT user_a_id, user_b_id, created_at - interval '1 day' FROM matches
UNION ALL
SELECT user_b_id, user_a_id, created_at FROM matches;

\echo seed: conversations and participants
INSERT INTO conversations (id, created_by, created_at, last_message_at, last_seq) OVERRIDING SYSTEM VALUE
SELECT c, pg_temp.participant(c, 0, users), pg_temp.conversation_created(c),
       CASE WHEN pg_temp.message_count(c) = 0 THEN pg_temp.conversation_created(c)
            ELSE pg_temp.message_at(c, pg_temp.message_count(c)) END,
       pg_temp.message_count(c)
FROM bench_size, generate_series(1, conversations) c;

INSERT INTO conversation_participants (conversation_id, user_id, joined_at)
SELECT c, pg_temp.participant(c, k, users), pg_temp.conversation_created(c)
FROM bench_size, generate_series(1, conversations) c,
     LATERAL generate_series(0, pg_temp.conversation_size(c) - 1) k;

-- each set of people's key (V36), as startConversation writes it; the oldest of a repeated set
WITH sets AS (
  SELECT conversation_id AS id, array_agg(user_id ORDER BY user_id) AS ids
  FROM conversation_participants GROUP BY conversation_id
), oldest AS (SELECT DISTINCT ON (ids) id, ids FROM sets ORDER BY ids, id)
UPDATE conversations c SET participant_ids = o.ids FROM oldest o WHERE o.id = c.id;

\echo seed: messages
INSERT INTO messages (conversation_id, seq, sender_id, body, created_at)
SELECT c, j,
       pg_temp.participant(c, (pg_temp.h(c * 64 + j, 56) % pg_temp.conversation_size(c))::int, users),
       pg_temp.sentence(c * 64 + j, 58),
       pg_temp.message_at(c, j)
FROM bench_size, generate_series(1, conversations) c, LATERAL generate_series(1, pg_temp.message_count(c)) j;

\echo seed: rebuilding the secondary indexes and checking the foreign keys
DO $$
DECLARE d record;
BEGIN
  FOR d IN SELECT create_sql FROM bench_ddl ORDER BY step LOOP EXECUTE d.create_sql; END LOOP;
END $$;

\echo seed: identity sequences
-- rows above were given explicit ids: the next id the application takes follows them
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['users', 'products', 'orders', 'posts', 'conversations'] LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, ''id''), greatest(1, (SELECT max(id) FROM %I)))', t, t);
  END LOOP;
END $$;

\echo seed: checking counters and row counts
DO $$
DECLARE bad bigint;
BEGIN
  SELECT count(*) INTO bad FROM products p
    LEFT JOIN (SELECT product_id, count(*) n, sum(rating) s FROM reviews GROUP BY product_id) r
      ON r.product_id = p.id
   WHERE p.review_count <> coalesce(r.n, 0) OR p.rating_sum <> coalesce(r.s, 0);
  IF bad > 0 THEN RAISE EXCEPTION 'seed: % products with wrong review counters', bad; END IF;
  SELECT count(*) INTO bad FROM posts p
    LEFT JOIN (SELECT post_id, count(*) n FROM post_likes GROUP BY post_id) l ON l.post_id = p.id
    LEFT JOIN (SELECT post_id, count(*) n FROM comments GROUP BY post_id) c ON c.post_id = p.id
   WHERE p.like_count <> coalesce(l.n, 0) OR p.comment_count <> coalesce(c.n, 0);
  IF bad > 0 THEN RAISE EXCEPTION 'seed: % posts with wrong counters', bad; END IF;
  SELECT count(*) INTO bad FROM conversations c
    LEFT JOIN (SELECT conversation_id, max(seq) s, max(created_at) t, count(*) n FROM messages
               GROUP BY conversation_id) m ON m.conversation_id = c.id
   WHERE c.last_seq <> coalesce(m.s, 0) OR coalesce(m.n, 0) <> c.last_seq
      OR (m.t IS NOT NULL AND c.last_message_at <> m.t);
  IF bad > 0 THEN RAISE EXCEPTION 'seed: % conversations with wrong last_seq', bad; END IF;
  SELECT count(*) INTO bad FROM orders o
    LEFT JOIN (SELECT order_id, sum(quantity * unit_amount) t FROM order_items GROUP BY order_id) i
      ON i.order_id = o.id
   WHERE i.t IS DISTINCT FROM o.total_amount;
  IF bad > 0 THEN RAISE EXCEPTION 'seed: % orders whose total is not their items', bad; END IF;
END $$;

COMMIT;

\echo seed: vacuum and analyze (visibility map and planner statistics)
VACUUM (ANALYZE) users, products, reviews, orders, order_items, posts, comments, post_likes,
       profile_likes, matches, conversations, conversation_participants, messages;

\echo seed: row counts
SELECT 'users' AS "table", count(*) AS "rows" FROM users
UNION ALL SELECT 'products', count(*) FROM products
UNION ALL SELECT 'reviews', count(*) FROM reviews
UNION ALL SELECT 'orders', count(*) FROM orders
UNION ALL SELECT 'order_items', count(*) FROM order_items
UNION ALL SELECT 'posts', count(*) FROM posts
UNION ALL SELECT 'comments', count(*) FROM comments
UNION ALL SELECT 'post_likes', count(*) FROM post_likes
UNION ALL SELECT 'matches', count(*) FROM matches
UNION ALL SELECT 'conversations', count(*) FROM conversations
UNION ALL SELECT 'participants', count(*) FROM conversation_participants
UNION ALL SELECT 'messages', count(*) FROM messages;

\echo seed: done
-- the driver reads this marker to know which version of the data set and which scale are loaded
-- (and that the seed completed); bench.sh's SEED_VERSION names the version it needs
DO $$ BEGIN
  EXECUTE format('COMMENT ON TABLE users IS %L',
                 'dedw3n-bench-seed v2 scale=' || (SELECT scale FROM bench_size));
END $$;
