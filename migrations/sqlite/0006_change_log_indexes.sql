-- The change log's queries: the directory's version (the newest change of one kind) and
-- pruning by age.
CREATE INDEX change_log_by_entity ON change_log (entity, id);
CREATE INDEX change_log_by_age ON change_log (created_at);
