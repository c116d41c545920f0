-- How many accounts there are, kept by a trigger: the home page says so on every visit, and
-- COUNT(*) reads every account.
CREATE TABLE account_count (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n BIGINT NOT NULL
);
INSERT INTO account_count (id, n) SELECT 1, COUNT(*) FROM accounts;
CREATE FUNCTION account_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE account_count SET n = n + 1 WHERE id = 1;
    ELSE
        UPDATE account_count SET n = n - 1 WHERE id = 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER account_count_change AFTER INSERT OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION account_count_change();
