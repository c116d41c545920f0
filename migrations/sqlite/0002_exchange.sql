-- The capacity taxonomy, organizations and profiles. Dates are ISO 8601 text (YYYY-MM-DD),
-- times Unix seconds, lists of codes comma-separated text: portable across both engines.
-- `content_hash` is the hash of a record as the interchange format writes it, so that an
-- import can skip records that did not change.

CREATE TABLE capacities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    slug TEXT NOT NULL UNIQUE,
    parent_id BIGINT REFERENCES capacities (id),
    qid TEXT,
    status TEXT NOT NULL DEFAULT 'active',
    merged_into BIGINT REFERENCES capacities (id),
    position BIGINT NOT NULL DEFAULT 0,
    content_hash TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX capacities_parent ON capacities (parent_id);

CREATE TABLE capacity_texts (
    capacity_id BIGINT NOT NULL REFERENCES capacities (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (capacity_id, lang)
);

CREATE TABLE capacity_suggestions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES capacities (id),
    lang TEXT NOT NULL,
    label TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',
    created_at BIGINT NOT NULL,
    decided_at BIGINT
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    website TEXT,
    meta_page TEXT,
    content_hash TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE organization_texts (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (organization_id, lang)
);

CREATE TABLE organization_countries (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    country TEXT NOT NULL,
    PRIMARY KEY (organization_id, country)
);

CREATE TABLE organization_managers (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (organization_id, account_id)
);
CREATE INDEX organization_managers_account ON organization_managers (account_id);

CREATE TABLE organization_capacities (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    relation TEXT NOT NULL,
    level BIGINT,
    methods TEXT NOT NULL DEFAULT '',
    formats TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (organization_id, relation, capacity_id)
);
CREATE INDEX organization_capacities_capacity ON organization_capacities (capacity_id, relation);

CREATE TABLE profiles (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    pronouns TEXT,
    bio TEXT NOT NULL DEFAULT '',
    bio_language TEXT,
    country TEXT,
    timezone TEXT,
    visibility TEXT NOT NULL DEFAULT 'public',
    recommendable INTEGER NOT NULL DEFAULT 1,
    away_until TEXT,
    max_connections BIGINT,
    joined TEXT,
    content_hash TEXT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX profiles_country ON profiles (country);

CREATE TABLE profile_languages (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    code TEXT NOT NULL,
    level BIGINT NOT NULL,
    PRIMARY KEY (account_id, code)
);

CREATE TABLE profile_capacities (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    relation TEXT NOT NULL,
    position BIGINT NOT NULL,
    capacity_id BIGINT NOT NULL REFERENCES capacities (id),
    level BIGINT,
    methods TEXT NOT NULL DEFAULT '',
    formats TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, relation, capacity_id)
);
CREATE INDEX profile_capacities_capacity ON profile_capacities (capacity_id, relation);

CREATE TABLE profile_affiliations (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, organization_id)
);
CREATE INDEX profile_affiliations_organization ON profile_affiliations (organization_id);

CREATE TABLE profile_projects (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    project TEXT NOT NULL,
    PRIMARY KEY (account_id, project)
);

-- Every change to the taxonomy, organizations and profiles, in order: instances follow it to
-- keep their in-memory models current without scanning the tables.
CREATE TABLE change_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
