-- What each username looks like (its confusable skeleton, Unicode TR39), so that a new name
-- that only looks like an existing one is refused. Not unique: names that already look alike
-- stay. Filled in for existing accounts by the server after migrating.
ALTER TABLE accounts ADD COLUMN username_skeleton TEXT;
CREATE INDEX accounts_username_skeleton ON accounts (username_skeleton);
