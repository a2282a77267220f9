-- W2 product detail, the raw-SQL ceiling: one random product with its seller, review count and
-- rating sum, and its 10 newest reviews with their authors, in one statement.
\set id random(1, :products)
SELECT p.id, p.title, p.description, p.category, p.stock, p.created_at, p.price_amount,
       p.price_currency, p.review_count, p.rating_sum, s.id, s.display_name,
       r.id, r.rating, r.body, r.created_at, a.id, a.display_name
FROM products p
JOIN users s ON s.id = p.seller_id
LEFT JOIN LATERAL (SELECT id, rating, body, created_at, author_id FROM reviews
                   WHERE product_id = p.id ORDER BY created_at DESC, id DESC LIMIT 11) r ON true
LEFT JOIN users a ON a.id = r.author_id
WHERE p.id = :id;
