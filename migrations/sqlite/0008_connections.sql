-- Connections from request to completed exchange, their private threads, thank-yous and
-- notifications. A deleted account leaves the other party's side: its id becomes NULL and
-- what it wrote goes. `waiting_since` is when the request last came to the recipient, for
-- reminders and expiry.
CREATE TABLE connections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    to_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    capacity_id BIGINT REFERENCES capacities (id) ON DELETE SET NULL,
    post_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    decline_reason TEXT,
    from_completed INTEGER NOT NULL DEFAULT 0,
    to_completed INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    waiting_since BIGINT NOT NULL,
    reminded_at BIGINT,
    completed_at BIGINT
);
CREATE INDEX connections_from ON connections (from_id, status);
CREATE INDEX connections_to ON connections (to_id, status);
CREATE INDEX connections_waiting ON connections (status, waiting_since);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_connection ON messages (connection_id, id);
CREATE INDEX messages_author ON messages (author_id, created_at);

-- A thank-you is shown on its recipient's profile when its author made it public and the
-- recipient chose to show it.
CREATE TABLE thanks (
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    recipient_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    body TEXT NOT NULL,
    public INTEGER NOT NULL DEFAULT 0,
    shown INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (connection_id, author_id)
);
CREATE INDEX thanks_recipient ON thanks (recipient_id);

-- What happened that someone should know about. The text is written when read, in the
-- reader's language, from the kind and the connection or post it is about.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    actor_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    connection_id BIGINT REFERENCES connections (id) ON DELETE CASCADE,
    post_id BIGINT REFERENCES posts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_account ON notifications (account_id, read_at, id);
