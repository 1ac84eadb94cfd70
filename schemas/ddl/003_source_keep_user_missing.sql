-- Whether an SPSS source was loaded with its user-missing codes kept as
-- values (socap.yaml keep_user_missing, --keep-user-missing) rather than
-- made NULL; NULL for formats without user-missing values. A changed
-- setting reloads the source.
ALTER TABLE sources ADD COLUMN keep_user_missing BOOLEAN;
