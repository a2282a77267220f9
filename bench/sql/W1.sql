-- W1 product feed, the raw-SQL ceiling: the 50 newest products of a random category, each with
-- its seller and its 3 newest reviews with their authors, in one statement.
-- @CATEGORIES@ is replaced by the driver with the categories found in the database.
\set c random(1, @CATEGORY_COUNT@)
SELECT p.id, p.title, p.price_amount, p.price_currency, p.created_at, s.id, s.display_name,
       r.id, r.rating, r.body, a.id, a.display_name
FROM (SELECT id, title, price_amount, price_currency, seller_id, created_at FROM products
      WHERE category = (@CATEGORIES@)[:c]
      ORDER BY created_at DESC, id DESC LIMIT 51) p
JOIN users s ON s.id = p.seller_id
LEFT JOIN LATERAL (SELECT id, rating, body, author_id FROM reviews WHERE product_id = p.id
                   ORDER BY created_at DESC, id DESC LIMIT 3) r ON true
LEFT JOIN users a ON a.id = r.author_id;
