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

-- One row per technician and roster origin: the tier and team a person works at, and the
-- categories they are skilled in. Analyses take tiers from here (workspace/roster.py picks the
-- row in force per name); event logs alone name people, not tiers. origin: 'manifest' (a
-- generated desk's manifest, source_id its source), 'roster file <path>' (ingest --roster,
-- source_id NULL), 'inferred from escalations' (the log's evidence, source_id NULL).
CREATE TABLE IF NOT EXISTS technicians (
    name       VARCHAR NOT NULL,
    tier       VARCHAR NOT NULL,
    team       VARCHAR,
    skills     VARCHAR[],
    source_id  INTEGER,
    origin     VARCHAR
);

-- One row per stored result table (sla_facts, kpi_segments, ...): its provenance — which
-- analysis, policy and as-of produced it, with which ticketlens version, from which workspace
-- state (events, last source, hash of the sources rows). workspace/store.py writes a row in the
-- transaction that replaces the table, and compares the state to tell a stale result.
CREATE TABLE IF NOT EXISTS runs (
    result_table        VARCHAR NOT NULL,
    analysis            VARCHAR NOT NULL,   -- sla | kpi
    policy              VARCHAR,            -- SLA policy name
    policy_fingerprint  VARCHAR,
    policy_source       JSON,               -- the policy itself, to compute again with it
    as_of               TIMESTAMPTZ,        -- open clocks measured to this instant
    parameters          JSON,               -- other inputs (kpi: the segment)
    ticketlens_version  VARCHAR NOT NULL,
    events              BIGINT NOT NULL,    -- workspace state: event count,
    max_source_id       INTEGER,            -- last source loaded,
    sources_hash        VARCHAR NOT NULL,   -- sha256 over the sources rows
    created_at          TIMESTAMPTZ NOT NULL
);

-- Upgrades of workspaces written by earlier versions (idempotent, no data lost): the meta key
-- `events_changed_at` was written and never read; `runs` replaced it.
DELETE FROM meta WHERE key = 'events_changed_at';

-- One row per activity and lifecycle role in force for a source (an activity declared without
-- a role: one row, role NULL): what the activity means, the tier an escalation reaches, the
-- state a ticket is in after it, and where that came from (roles file / mapping / inferred /
-- ticketlens vocabulary). Every verb reads roles from here (core/lifecycle.py).
CREATE TABLE IF NOT EXISTS activity_roles (
    activity   VARCHAR NOT NULL,
    role       VARCHAR,
    tier       VARCHAR,
    state      VARCHAR,
    origin     VARCHAR NOT NULL,
    source_id  INTEGER NOT NULL,
    position   INTEGER NOT NULL          -- declaration order within the source
);

-- One row per source and lifecycle setting (tiers, entry_tier, created_attribute): value as
-- JSON, and where it came from.
CREATE TABLE IF NOT EXISTS lifecycle_settings (
    source_id  INTEGER NOT NULL,
    key        VARCHAR NOT NULL,
    value      JSON NOT NULL,
    origin     VARCHAR NOT NULL
);

-- One row per source: the shipped SLA preset its own definitions are (servicenow, helpdesk,
-- generated-desk), NULL when it has none (sla/kpi then assume the standard preset and say
-- so), and what said so (its mapping, the built-in roles its activities matched, or the policy
-- file it brought). policy_toml: the text of the source's own policy file when it brought one
-- (a generated desk's sla-policy.toml: the preset on the desk's hours), kept so the workspace
-- needs no file; sla/kpi then use it rather than the preset.
CREATE TABLE IF NOT EXISTS source_policies (
    source_id    INTEGER NOT NULL,
    preset       VARCHAR,
    origin       VARCHAR NOT NULL,
    policy_toml  VARCHAR
);
-- a workspace of an older ticketlens gets the column (idempotent)
ALTER TABLE source_policies ADD COLUMN IF NOT EXISTS policy_toml VARCHAR;
