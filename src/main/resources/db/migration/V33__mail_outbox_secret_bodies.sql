-- A mail whose body carries a secret (the one-time link of an e-mail verification or a password
-- reset) has its body blanked once it is delivered or given up: account_tokens keeps only the
-- token's SHA-256, and the outbox must not keep the token itself for ever beside it.
alter table mail_outbox add column body_secret boolean not null default false;
-- The account mails queued before this: secret from now on, and blanked where they went to Brevo
-- or were given up (a local mailbox row may be the development mailbox, which is read from here).
-- Reset keys named the token's first 16 characters; they are renamed.
update mail_outbox set body_secret = true
 where dedup_key like 'welcome:%' or dedup_key like 'password-reset:%';
update mail_outbox set body = '(removed: it held a one-time link)'
 where body_secret and (status = 'FAILED' or delivered_by = 'brevo');
update mail_outbox set dedup_key = 'password-reset:legacy-' || md5(dedup_key)
 where dedup_key like 'password-reset:%';
