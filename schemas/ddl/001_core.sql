-- Core tables of the socap store. Raw tables (one per source, raw_<source>)
-- are created by the ingest stage; their columns are the file's, all VARCHAR,
-- plus the provenance columns _source, _sha256 and _row.

CREATE TABLE sources (
    source_id   VARCHAR PRIMARY KEY,
    path        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    encoding    VARCHAR,
    delimiter   VARCHAR,
    decimal_sep VARCHAR,
    sheet       VARCHAR,
    raw_table   VARCHAR NOT NULL,
    row_count   BIGINT NOT NULL,
    loaded_at   TIMESTAMP NOT NULL
);

-- Variable metadata read from a source file (SPSS, Stata, or detected).
CREATE TABLE variables (
    source_id VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    name      VARCHAR NOT NULL,
    label     VARCHAR,
    type      VARCHAR,
    format    VARCHAR,
    measure   VARCHAR,
    PRIMARY KEY (source_id, name)
);

CREATE TABLE value_labels (
    source_id VARCHAR NOT NULL,
    variable  VARCHAR NOT NULL,
    value     VARCHAR NOT NULL,
    label     VARCHAR NOT NULL,
    PRIMARY KEY (source_id, variable, value)
);

-- Rows and cells that harmonisation refused, with the reason. A row-level
-- reject has column = NULL; a cell-level reject keeps its row in respondents
-- with that cell NULL.
CREATE TABLE rejects (
    source_id VARCHAR NOT NULL,
    "row"     BIGINT NOT NULL,
    "column"  VARCHAR,
    value     VARCHAR,
    rule      VARCHAR NOT NULL,
    level     VARCHAR NOT NULL, -- 'row' or 'cell'
    message   VARCHAR NOT NULL
);

-- One record per stage run.
CREATE TABLE runs (
    run_id      BIGINT NOT NULL,
    stage       VARCHAR NOT NULL,
    version     VARCHAR NOT NULL,
    config_hash VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    rows_in     BIGINT,
    rows_out    BIGINT,
    status      VARCHAR NOT NULL,
    error       VARCHAR
);
