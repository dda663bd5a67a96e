-- Runs once, when the data volume is first created (the image's /docker-entrypoint-initdb.d).
-- Tables and schemas come from the migrate job; this only sets database-wide defaults.
ALTER DATABASE parley SET timezone TO 'UTC';
-- A stuck client must not hold row locks (mailbox rows, one-time prekeys) forever.
ALTER DATABASE parley SET idle_in_transaction_session_timeout TO '60s';
