-- review_count and rating_sum are kept by the transaction that adds a review, so a product's
-- review summary costs no query.
create table products (
    id             bigint generated always as identity primary key,
    seller_id      bigint      not null references users (id),
    category       text        not null,
    title          text        not null,
    description    text        not null default '',
    price_amount   bigint      not null check (price_amount >= 0),
    price_currency char(3)     not null,
    stock          integer     not null check (stock >= 0),
    review_count   integer     not null default 0,
    rating_sum     bigint      not null default 0,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create index products_seller_id_idx on products (seller_id);
create index products_feed_idx on products (created_at desc, id desc);
create index products_category_feed_idx on products (category, created_at desc, id desc);

create table reviews (
    id         bigint generated always as identity primary key,
    product_id bigint      not null references products (id),
    author_id  bigint      not null references users (id),
    rating     smallint    not null check (rating between 1 and 5),
    body       text        not null,
    created_at timestamptz not null default now(),
    constraint reviews_one_per_author unique (product_id, author_id)
);
create index reviews_product_feed_idx on reviews (product_id, created_at desc, id desc);
create index reviews_author_id_idx on reviews (author_id);
