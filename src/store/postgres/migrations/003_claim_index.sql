-- 003: room for HOT updates on jobs. A claim changes only lease_owner and lease_until, which no
-- index holds, so with free space on the page PostgreSQL rewrites the row in place instead of
-- adding an entry to each of the five indexes of jobs. (SQLite's 003 widens its claim index to
-- cover the lease instead: the opposite trade, right for an engine that updates in place.)
ALTER TABLE jobs SET (fillfactor = 70);
