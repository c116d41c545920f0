-- Cohorts: learning groups an organiser forms for one capacity, from a proposal or by hand.
-- Each person invited has one row, with what they answered; the group's thread is its own
-- table, and events it meets at are linked.
CREATE TABLE cohorts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organizer_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    language TEXT,
    region TEXT,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cohorts_organizer ON cohorts (organizer_id);

CREATE TABLE cohort_members (
    cohort_id BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    answer TEXT NOT NULL,
    invited_at BIGINT NOT NULL,
    answered_at BIGINT,
    PRIMARY KEY (cohort_id, account_id)
);
CREATE INDEX cohort_members_account ON cohort_members (account_id);

CREATE TABLE cohort_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cohort_id BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    -- What someone wrote goes with their account, as in connections' threads.
    author_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX cohort_messages_cohort ON cohort_messages (cohort_id, id);

CREATE TABLE cohort_events (
    cohort_id BIGINT NOT NULL REFERENCES cohorts (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    PRIMARY KEY (cohort_id, event_id)
);
CREATE INDEX cohort_events_event ON cohort_events (event_id);

ALTER TABLE notifications ADD COLUMN cohort_id BIGINT REFERENCES cohorts (id) ON DELETE CASCADE;
