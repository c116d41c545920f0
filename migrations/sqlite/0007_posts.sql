-- Asks and offers. A post's status is stored as open, in_progress or closed; it reads as
-- expired once its expiry date (YYYY-MM-DD) has passed. Languages and methods are
-- comma-separated codes, as elsewhere.
CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open',
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    country TEXT,
    online INTEGER NOT NULL DEFAULT 0,
    methods TEXT NOT NULL DEFAULT '',
    expires_on TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE post_capacities (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    PRIMARY KEY (post_id, capacity_id)
);
CREATE INDEX post_capacities_capacity ON post_capacities (capacity_id);
