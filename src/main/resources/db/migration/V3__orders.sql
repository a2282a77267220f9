-- seller_id is copied onto each item so a seller's view of an order needs no join to products.
create table orders (
    id             bigint generated always as identity primary key,
    buyer_id       bigint      not null references users (id),
    status         text        not null default 'PLACED',
    total_amount   bigint      not null check (total_amount >= 0),
    currency       char(3)     not null,
    created_at     timestamptz not null default now()
);
create index orders_buyer_feed_idx on orders (buyer_id, created_at desc, id desc);

create table order_items (
    order_id    bigint  not null references orders (id),
    product_id  bigint  not null references products (id),
    seller_id   bigint  not null references users (id),
    quantity    integer not null check (quantity >= 1),
    unit_amount bigint  not null check (unit_amount >= 0),
    currency    char(3) not null,
    primary key (order_id, product_id)
);
create index order_items_product_id_idx on order_items (product_id);
create index order_items_seller_id_idx on order_items (seller_id);
