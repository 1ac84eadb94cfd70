-- User-missing codes a source file declares for a variable (SPSS), as text:
-- values and inclusive lo..hi ranges separated by ", ", e.g. "97..99, -1".
-- The raw tables keep these codes as values; harmonisation decides.
ALTER TABLE variables ADD COLUMN missing VARCHAR;
