-- Moderation: a moderator role, suspensions (until a time, or indefinitely when
-- suspended_until is NULL), hidden posts and messages, reports and the audit log of every
-- moderator action. Reports keep an excerpt of what was reported, and the audit log the
-- moderator's name, so that both still read after the content or the account goes.
ALTER TABLE accounts ADD COLUMN is_moderator INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN suspended_at BIGINT;
ALTER TABLE accounts ADD COLUMN suspended_until BIGINT;
ALTER TABLE posts ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    target_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    reason TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_at BIGINT NOT NULL,
    decided_at BIGINT,
    decided_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    note TEXT
);
CREATE INDEX reports_status ON reports (status, id);
CREATE INDEX reports_reporter ON reports (reporter_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    moderator_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    moderator TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
