-- 005: half of each jobs page left free (003 left 30%). A job row is written three times in a
-- few seconds (insert, claim, completion); the claim's new version fits on its page as a HOT
-- update only while the page has room, and 30% held the new versions of only part of a page's
-- rows: over 50,000 deliveries about a quarter of all job updates were HOT. pg_stat_statements
-- (2026-11-23, 50,000 deliveries, durable cluster, two runs each): fillfactor 70 -> 50, claims
-- 1,771-1,866 ms -> 683-750 ms and completions 2,307-2,342 ms -> 1,784-2,012 ms of server time,
-- ~30 us less per delivery (of ~110); 30 was no better than 50. The table takes about twice the
-- pages; its rows are ~200 bytes (the payloads live in events, which keep the default).
-- Pages already written keep their fill; new jobs get the room.
ALTER TABLE jobs SET (fillfactor = 50);
