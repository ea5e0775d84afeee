-- The workspace schema. Grain of each table is stated above it.
-- Run as one script by workspace.migrate(); every statement is idempotent.

-- One row per ingest of one file.
CREATE TABLE IF NOT EXISTS sources (
    source_id        INTEGER NOT NULL,
    name             VARCHAR NOT NULL,   -- user-facing name of the source (file stem by default)
    format           VARCHAR NOT NULL,   -- events | xes | csv | servicenow | ticket-table
    path             VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,   -- content hash: re-ingesting the same bytes is a no-op
    tz               VARCHAR NOT NULL,   -- zone naive source timestamps were read in
    ingested_at      TIMESTAMPTZ NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_deduped     BIGINT NOT NULL,    -- exact duplicates dropped (only with --dedupe)
    details          JSON                -- format-specific counts and warnings
);

-- One row per event. Ordered per ticket once on the way in: event_seq is the 0-based position
-- within the ticket by timestamp, stable on source order.
CREATE TABLE IF NOT EXISTS events (
    ticket_id    VARCHAR NOT NULL,
    event_seq    INTEGER NOT NULL,
    "timestamp"  TIMESTAMPTZ NOT NULL,
    activity     VARCHAR NOT NULL,
    assigned_to  VARCHAR,                -- NULL: nobody holds the ticket / not recorded
    priority     VARCHAR,                -- value in force at this event
    category     VARCHAR,
    department   VARCHAR,
    notes        VARCHAR,
    event_id     VARCHAR,                -- the source's own event id, where it has one
    source_id    INTEGER NOT NULL,
    source_row   BIGINT NOT NULL,        -- 1-based line (CSV) or record number in the source
    attributes   MAP(VARCHAR, VARCHAR)   -- every other source column of this event
);

-- One row per ticket and attribute name: case-level facts a source carries
-- (team, system, channel, csat, source_made_sla, customer, ...).
CREATE TABLE IF NOT EXISTS case_attributes (
    ticket_id  VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    value      VARCHAR,
    source_id  INTEGER NOT NULL
);

-- One row per key: schema version and workspace facts.
CREATE TABLE IF NOT EXISTS meta (
    key    VARCHAR NOT NULL,
    value  VARCHAR NOT NULL
);

-- One row per input row that ingest did not load: the workspace copy of the quarantine CSV.
CREATE TABLE IF NOT EXISTS quarantine (
    source_id  INTEGER NOT NULL,
    file       VARCHAR NOT NULL,
    line       BIGINT,                 -- physical line (CSV, XES) or record number (Parquet)
    "column"   VARCHAR,
    value      VARCHAR,
    reason     VARCHAR NOT NULL
);

-- One row per loaded event and implausibility rule it breaks (far_past, far_future,
-- before_creation). Join to events on (source_id, source_row).
CREATE TABLE IF NOT EXISTS event_flags (
    source_id  INTEGER NOT NULL,
    source_row BIGINT NOT NULL,
    ticket_id  VARCHAR NOT NULL,
    flag       VARCHAR NOT NULL
);

-- One row per technician a source's roster names (a generated desk's manifest carries its
-- roster): the tier and team a person works at, and the categories they are skilled in.
-- Analyses take tiers from here; event logs alone name people, not tiers.
CREATE TABLE IF NOT EXISTS technicians (
    name       VARCHAR NOT NULL,
    tier       VARCHAR NOT NULL,
    team       VARCHAR,
    skills     VARCHAR[],
    source_id  INTEGER NOT NULL
);
