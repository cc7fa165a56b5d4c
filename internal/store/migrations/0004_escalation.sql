-- After-hours SOS escalation to the person on duty (telephony/escalation),
-- the duty roster, and the parts of the working-hours schedule edited
-- through the API (exceptions and the day/night switch).

-- One row per escalated appeal. The position of the next attempt (round,
-- chain of the round, person, try, next_attempt_at) is stored with every
-- attempt's result, so a restarted controller resumes where it stopped.
CREATE TABLE escalations (
    id                 text PRIMARY KEY,
    appeal_id          text NOT NULL DEFAULT '',         -- '' when the card could not be opened
    appeal_number      text NOT NULL DEFAULT '',
    spoken_digits      text NOT NULL DEFAULT '',
    category           text NOT NULL DEFAULT '',
    call_id            text NOT NULL DEFAULT '',
    caller_number      text NOT NULL DEFAULT '',
    recording          text NOT NULL DEFAULT '',
    state              text NOT NULL CHECK (state IN ('active', 'acknowledged', 'exhausted', 'cancelled')),
    round              integer NOT NULL DEFAULT 1 CHECK (round >= 1),
    chain              jsonb NOT NULL DEFAULT '[]',      -- [{"name": ..., "phone": ...}] of the round; [] until it starts
    person_index       integer NOT NULL DEFAULT 0 CHECK (person_index >= 0),
    try                integer NOT NULL DEFAULT 1 CHECK (try >= 1),
    next_attempt_at    timestamptz NOT NULL,
    rounds_exhausted   integer NOT NULL DEFAULT 0,
    acknowledged_by    text NOT NULL DEFAULT '',
    acknowledged_phone text NOT NULL DEFAULT '',
    acknowledged_at    timestamptz,
    history_written_at timestamptz,                      -- the acknowledgement reached the appeal's history
    ended_at           timestamptz,
    ended_by           text NOT NULL DEFAULT '',         -- who cancelled
    end_reason         text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL
);

-- An appeal is escalated once; an emergency without a card (the appeals'
-- database was down) once per call.
CREATE UNIQUE INDEX escalations_appeal_idx ON escalations (appeal_id) WHERE appeal_id <> '';
CREATE UNIQUE INDEX escalations_call_idx ON escalations (call_id) WHERE appeal_id = '' AND call_id <> '';

-- What a starting controller resumes.
CREATE INDEX escalations_resumable_idx ON escalations (created_at)
    WHERE state = 'active' OR (state = 'acknowledged' AND history_written_at IS NULL);
CREATE INDEX escalations_state_idx ON escalations (state, created_at DESC);
CREATE INDEX escalations_created_idx ON escalations (created_at DESC);

-- Every call to a person on duty: stored before the phone rings, ended with its result.
CREATE TABLE escalation_attempts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    escalation_id text NOT NULL REFERENCES escalations (id) ON DELETE CASCADE,
    round         integer NOT NULL,
    person_index  integer NOT NULL,
    try           integer NOT NULL,
    person_name   text NOT NULL,
    phone         text NOT NULL,                         -- as on the roster
    endpoint      text NOT NULL DEFAULT '',              -- as dialled
    started_at    timestamptz NOT NULL,
    answered_at   timestamptz,
    ended_at      timestamptz,                           -- NULL while in progress
    result        text NOT NULL DEFAULT '',              -- acknowledged, no_answer, busy, unavailable, rejected, failed, no_ack, hung_up, interrupted, cancelled
    detail        text NOT NULL DEFAULT ''
);

CREATE INDEX escalation_attempts_escalation_idx ON escalation_attempts (escalation_id, id);
CREATE INDEX escalation_attempts_open_idx ON escalation_attempts (escalation_id) WHERE ended_at IS NULL;

-- The duty roster: shifts with a period (NULL ends: open) and an ordered
-- chain of people. Seeded once from the configuration, then edited through
-- the API; duty_roster_meta says it was seeded.
CREATE TABLE duty_shifts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    starts_at  timestamptz,
    ends_at    timestamptz,
    people     jsonb NOT NULL,                           -- [{"name": ..., "phone": ...}] in calling order
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL,
    CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at)
);

-- At most one standing chain (a shift with no period).
CREATE UNIQUE INDEX duty_shifts_one_standing_idx ON duty_shifts ((true)) WHERE starts_at IS NULL AND ends_at IS NULL;

CREATE TABLE duty_roster_meta (
    id         smallint PRIMARY KEY CHECK (id = 1),
    seeded_at  timestamptz NOT NULL,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL
);

-- Schedule exceptions set through the API. At start they override the
-- configuration's exceptions by date and add to them; a removed one keeps a
-- row with deleted = true so that the configuration's exception of the same
-- date does not come back.
CREATE TABLE schedule_exceptions (
    date       date PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    closed     boolean NOT NULL DEFAULT false,
    hours      jsonb NOT NULL DEFAULT '[]',              -- [{"from": "08:00", "to": "13:00"}]
    breaks     jsonb NOT NULL DEFAULT '[]',              -- [{"name": ..., "from": ..., "to": ...}]
    deleted    boolean NOT NULL DEFAULT false,
    updated_by text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL
);

-- The day/night switch, every time it was set: the override in force is the
-- latest row not cleared whose until is still ahead.
CREATE TABLE schedule_overrides (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state      text NOT NULL CHECK (state IN ('open', 'closed')),
    until      timestamptz NOT NULL,
    set_by     text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    set_at     timestamptz NOT NULL,
    cleared_by text NOT NULL DEFAULT '',
    cleared_at timestamptz
);

CREATE INDEX schedule_overrides_current_idx ON schedule_overrides (id DESC) WHERE cleared_at IS NULL;
