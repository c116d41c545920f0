-- Notifications about events: one suggested to those who want its capacities, a seat given
-- from the waiting list.
ALTER TABLE notifications ADD COLUMN event_id BIGINT REFERENCES events (id) ON DELETE CASCADE;
