WITH o AS (
  INSERT INTO orders (buyer_id, total_amount, currency, created_at)
  SELECT id, 2 * 3900, 'USD', now() - interval '2 days' FROM users WHERE email = 'alice@dedw3n.test'
  RETURNING id
)
INSERT INTO order_items (order_id, product_id, seller_id, quantity, unit_amount, currency)
SELECT o.id, p.id, p.seller_id, 2, p.price_amount, p.price_currency
FROM o, products p WHERE p.title = 'USB-C charger 65 W';

UPDATE products SET stock = stock - 2 WHERE title = 'USB-C charger 65 W';
