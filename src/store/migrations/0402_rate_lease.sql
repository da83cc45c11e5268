-- How many tokens the last take granted: processes lease a second's worth of tokens at a time
-- (src/access/ratelimit.ts), so one store round trip serves many requests.
ALTER TABLE rate_buckets ADD COLUMN last_grant double precision NOT NULL DEFAULT 1;
