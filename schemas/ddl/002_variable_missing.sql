-- User-missing codes a source file declares for a variable (SPSS), as text:
-- values and inclusive lo..hi ranges separated by ", ", e.g. "97..99, -1".
-- Recorded whether or not the raw table keeps these codes as values (see
-- 003: by default they are NULL); harmonisation uses them on kept codes.
ALTER TABLE variables ADD COLUMN missing VARCHAR;
