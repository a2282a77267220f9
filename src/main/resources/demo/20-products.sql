INSERT INTO products (seller_id, category, title, description, price_amount, price_currency, stock, created_at)
SELECT u.id, p.category, p.title, p.description, p.price, p.currency, p.stock, now() - p.age
FROM (VALUES
  ('alice@dedw3n.test', 'electronics', 'Noise-cancelling headphones', 'Over-ear, 30 h battery.', 19900, 'USD', 12, interval '10 days'),
  ('alice@dedw3n.test', 'electronics', 'Mechanical keyboard', 'Hot-swappable switches.', 8900, 'USD', 5, interval '9 days'),
  ('bob@dedw3n.test',   'electronics', 'USB-C charger 65 W', 'GaN, two ports.', 3900, 'USD', 40, interval '8 days'),
  ('bob@dedw3n.test',   'books', 'Designing Data-Intensive Applications', 'Paperback, like new.', 2500, 'USD', 2, interval '7 days'),
  ('carol@dedw3n.test', 'books', 'The Pragmatic Programmer', '20th anniversary edition.', 3100, 'USD', 3, interval '6 days'),
  ('carol@dedw3n.test', 'home', 'Ceramic pour-over set', 'Dripper, carafe and two cups.', 4500, 'EUR', 7, interval '5 days'),
  ('dave@dedw3n.test',  'home', 'Linen throw blanket', 'Stone washed, 130 x 170 cm.', 6000, 'EUR', 1, interval '4 days'),
  ('dave@dedw3n.test',  'fashion', 'Leather weekender bag', 'Full grain, handmade.', 24000, 'GBP', 2, interval '3 days'),
  ('erin@dedw3n.test',  'fashion', 'Merino beanie', 'One size.', 2800, 'GBP', 25, interval '2 days'),
  ('erin@dedw3n.test',  'electronics', 'E-reader', '6 inch, warm light.', 12900, 'USD', 4, interval '1 day')
) AS p(seller, category, title, description, price, currency, stock, age)
JOIN users u ON u.email = p.seller;

INSERT INTO reviews (product_id, author_id, rating, body, created_at)
SELECT pr.id, u.id, r.rating, r.body, now() - r.age
FROM (VALUES
  ('Noise-cancelling headphones', 'bob@dedw3n.test', 5, 'Silence on the train at last.', interval '9 days'),
  ('Noise-cancelling headphones', 'carol@dedw3n.test', 4, 'Great sound, a bit tight.', interval '8 days'),
  ('Noise-cancelling headphones', 'dave@dedw3n.test', 5, 'Worth every cent.', interval '7 days'),
  ('Noise-cancelling headphones', 'erin@dedw3n.test', 3, 'Good, but the case is bulky.', interval '6 days'),
  ('Mechanical keyboard', 'erin@dedw3n.test', 5, 'Typing is a joy.', interval '8 days'),
  ('USB-C charger 65 W', 'alice@dedw3n.test', 4, 'Charges my laptop and phone together.', interval '7 days'),
  ('Designing Data-Intensive Applications', 'carol@dedw3n.test', 5, 'The book on the subject.', interval '6 days'),
  ('Ceramic pour-over set', 'alice@dedw3n.test', 5, 'Beautiful glaze.', interval '4 days'),
  ('E-reader', 'bob@dedw3n.test', 4, 'Light and crisp.', interval '12 hours')
) AS r(title, author, rating, body, age)
JOIN products pr ON pr.title = r.title
JOIN users u ON u.email = r.author;

UPDATE products p SET review_count = s.n, rating_sum = s.total
FROM (SELECT product_id, count(*) AS n, sum(rating) AS total FROM reviews GROUP BY product_id) s
WHERE p.id = s.product_id;
