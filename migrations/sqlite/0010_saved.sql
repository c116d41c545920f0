-- Bookmarks: people, organizations and posts someone wants to find again. `item_key` is a
-- username, an organization key or a post id, resolved when the list is read.
CREATE TABLE saved (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    item_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, kind, item_key)
);
