-- Expired quotes are deleted after a retention period (PriceQuoteRetention), found by expiry.
create index price_quotes_expires_at_idx on price_quotes (expires_at);
