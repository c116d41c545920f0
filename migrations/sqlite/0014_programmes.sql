-- Mentorship programmes. Registration dates are calendar days (YYYY-MM-DD) in UTC;
-- questions and answers are JSON lists of strings. A programme's latest computed round is
-- kept (one row) so that what the organiser reviewed is what gets published; its pairs are
-- account ids, and a pair whose account is gone by then is skipped.
CREATE TABLE programmes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organizer_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    region TEXT,
    registration_opens TEXT NOT NULL,
    registration_closes TEXT NOT NULL,
    mentor_questions TEXT NOT NULL DEFAULT '[]',
    mentee_questions TEXT NOT NULL DEFAULT '[]',
    mentor_limit BIGINT NOT NULL,
    published_at BIGINT,
    -- When its organisers closed registration before its last day.
    closed_at BIGINT,
    -- Counts every application written or withdrawn, so that a round computed before one
    -- is not published as if it had seen it.
    applications_revision BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX programmes_organization ON programmes (organization_id);

CREATE TABLE programme_capacities (
    programme_id BIGINT NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    PRIMARY KEY (programme_id, capacity_id)
);

CREATE TABLE programme_applications (
    programme_id BIGINT NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    answers TEXT NOT NULL DEFAULT '[]',
    slots BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (programme_id, account_id)
);
CREATE INDEX programme_applications_account ON programme_applications (account_id);

CREATE TABLE programme_application_capacities (
    programme_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    PRIMARY KEY (programme_id, account_id, capacity_id),
    FOREIGN KEY (programme_id, account_id)
        REFERENCES programme_applications (programme_id, account_id) ON DELETE CASCADE
);

CREATE TABLE programme_rounds (
    programme_id BIGINT PRIMARY KEY REFERENCES programmes (id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    pinned TEXT NOT NULL DEFAULT '[]',
    forbidden TEXT NOT NULL DEFAULT '[]',
    pairs TEXT NOT NULL DEFAULT '[]',
    unmatched TEXT NOT NULL DEFAULT '[]',
    revision BIGINT NOT NULL,
    computed_at BIGINT NOT NULL
);

-- A connection a published round made carries its programme, for the programme's figures.
ALTER TABLE connections ADD COLUMN programme_id BIGINT REFERENCES programmes (id) ON DELETE SET NULL;
CREATE INDEX connections_programme ON connections (programme_id);
