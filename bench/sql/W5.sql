-- W5 place order, the raw-SQL ceiling: a buyer who sells nothing orders 3 distinct random
-- products, 1 to 3 units each, as the wrk script does. The minimal correct order is one statement,
-- so one round trip and its own transaction: lock the products in id order, decide on the locked
-- rows (every product exists, is not the buyer's, has the stock, one currency), and only then
-- insert the order, take the stock and insert the items; an order short of stock changes nothing.
-- It is the statement the server sends (order/internal/Orders.java, PLACE) without what the
-- workload does not use (an idempotency key, the overflow check of the total) and without the
-- answer's columns.
\set p1 random(1, :products)
\set p2 1 + (:p1 - 1 + random(1, :products / 3)) % :products
\set p3 1 + (:p1 - 1 + random(:products / 3 + 1, 2 * :products / 3)) % :products
\set buyer random(:buyers_from, :users)
\set q1 random(1, 3)
\set q2 random(1, 3)
\set q3 random(1, 3)
WITH wanted AS (
  SELECT * FROM unnest(ARRAY[:p1, :p2, :p3]::bigint[], ARRAY[:q1, :q2, :q3]::int[])
    AS w(product_id, quantity)
), locked AS MATERIALIZED (
  SELECT id, seller_id, price_amount, price_currency, stock FROM products
  WHERE id IN (:p1, :p2, :p3) ORDER BY id FOR NO KEY UPDATE
), lines AS MATERIALIZED (
  SELECT w.product_id, w.quantity, l.seller_id, l.price_amount, l.price_currency, l.stock
  FROM wanted w LEFT JOIN locked l ON l.id = w.product_id
), verdict AS (
  SELECT coalesce(bool_and(seller_id IS NOT NULL AND seller_id <> :buyer AND stock >= quantity), false)
         AND count(DISTINCT price_currency) = 1 AS ok,
         min(price_currency) AS currency, sum(price_amount * quantity) AS total
  FROM lines
), placed AS (
  INSERT INTO orders (buyer_id, total_amount, currency, expires_at)
  SELECT :buyer, total, currency, now() + interval '30 minutes' FROM verdict WHERE ok
  RETURNING id
), taken AS (
  UPDATE products p SET stock = p.stock - l.quantity FROM lines l, placed
  WHERE p.id = l.product_id
), items AS (
  INSERT INTO order_items (order_id, product_id, seller_id, quantity, unit_amount, currency)
  SELECT placed.id, l.product_id, l.seller_id, l.quantity, l.price_amount, l.price_currency
  FROM placed, lines l
)
SELECT count(*) FROM placed;
