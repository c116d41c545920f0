-- Wikimedia sign-ins in progress now live in a short-lived cookie of the browser that started
-- them (which ties the callback to that browser), not in the database.
DROP TABLE oauth_logins;
