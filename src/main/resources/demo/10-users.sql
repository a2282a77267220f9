-- Demo accounts; DemoData sets every password to the one in the README.
INSERT INTO users (email, display_name, password_hash, created_at) VALUES
  ('alice@dedw3n.test', 'Alice', '', now() - interval '30 days'),
  ('bob@dedw3n.test',   'Bob',   '', now() - interval '29 days'),
  ('carol@dedw3n.test', 'Carol', '', now() - interval '28 days'),
  ('dave@dedw3n.test',  'Dave',  '', now() - interval '27 days'),
  ('erin@dedw3n.test',  'Erin',  '', now() - interval '26 days');
