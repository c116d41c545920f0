-- Learning activities. Start and end are kept as announced (local date-times, YYYY-MM-DDTHH:MM,
-- and an IANA time zone) and as Unix seconds for ordering and calendars. `sequence` counts
-- changes, as iCalendar's SEQUENCE; a cancelled event stays.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organizer_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'scheduled',
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    languages TEXT NOT NULL DEFAULT '',
    online INTEGER NOT NULL DEFAULT 0,
    country TEXT,
    city TEXT,
    url TEXT,
    starts_local TEXT NOT NULL,
    ends_local TEXT NOT NULL,
    timezone TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    frequency TEXT,
    occurrences BIGINT,
    seat_limit BIGINT,
    sequence BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX events_starts ON events (ends_at);
CREATE INDEX events_organizer ON events (organizer_id);

CREATE TABLE event_capacities (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    PRIMARY KEY (event_id, capacity_id)
);
CREATE INDEX event_capacities_capacity ON event_capacities (capacity_id);

CREATE TABLE event_registrations (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    place TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, account_id)
);
CREATE INDEX event_registrations_account ON event_registrations (account_id);
