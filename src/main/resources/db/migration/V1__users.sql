-- Emails are stored lower-cased by the application, so a plain unique index is case-insensitive.
create table users (
    id            bigint generated always as identity primary key,
    email         text        not null,
    display_name  text        not null,
    password_hash text        not null,
    created_at    timestamptz not null default now(),
    constraint users_email_key unique (email)
);
