-- E-mail, only for those who opt in: an address (confirmed by a link: only the token's hash
-- is kept), how often (off, each notification, a weekly digest), in which language, and a
-- token for one-click unsubscribing. The queue holds what is to be sent, written in the
-- same transaction as what it tells of; a row is sent once its sender has claimed it.
ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;
ALTER TABLE accounts ADD COLUMN email_token_hash TEXT;
ALTER TABLE accounts ADD COLUMN email_mode TEXT NOT NULL DEFAULT 'off';
ALTER TABLE accounts ADD COLUMN email_lang TEXT;
ALTER TABLE accounts ADD COLUMN unsubscribe_token TEXT;
ALTER TABLE accounts ADD COLUMN digest_sent_at BIGINT;
CREATE INDEX accounts_email_token ON accounts (email_token_hash);
CREATE INDEX accounts_unsubscribe_token ON accounts (unsubscribe_token);

CREATE TABLE mail_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    notification_id BIGINT REFERENCES notifications (id) ON DELETE CASCADE,
    to_address TEXT,
    link TEXT,
    since BIGINT,
    created_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until BIGINT,
    sent_at BIGINT,
    last_error TEXT
);
CREATE INDEX mail_queue_due ON mail_queue (sent_at, next_attempt_at);
