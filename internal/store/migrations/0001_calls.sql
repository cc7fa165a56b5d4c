-- Call records: one row per channel that entered the Stasis application,
-- written as the call happens, and its events in order.
CREATE TABLE calls (
    id                text PRIMARY KEY,
    channel_id        text NOT NULL UNIQUE,        -- Asterisk channel id
    unique_id         text NOT NULL DEFAULT '',    -- Asterisk UNIQUEID / linkedid for CDR joins
    direction         text NOT NULL DEFAULT 'inbound',
    caller_number     text NOT NULL DEFAULT '',
    caller_name       text NOT NULL DEFAULT '',
    dialed            text NOT NULL DEFAULT '',
    arrived_at        timestamptz NOT NULL,
    answered_at       timestamptz,
    ended_at          timestamptz,
    outcome           text NOT NULL DEFAULT '',    -- hung_up_in_menu, queued, answered_by_operator, sos_escalated, message_left, ...
    hangup_cause      integer,
    hangup_cause_text text NOT NULL DEFAULT '',
    appeal_number     text NOT NULL DEFAULT '',
    recording         text NOT NULL DEFAULT '',
    rating            smallint CHECK (rating BETWEEN 1 AND 5),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX calls_arrived_at_idx ON calls (arrived_at);
CREATE INDEX calls_caller_number_idx ON calls (caller_number, arrived_at DESC);
CREATE INDEX calls_open_idx ON calls (arrived_at) WHERE ended_at IS NULL;

CREATE TABLE call_events (
    call_id  text NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    seq      integer NOT NULL,                     -- order within the call, assigned by the call's owner
    at       timestamptz NOT NULL,
    kind     text NOT NULL,                        -- node, key, timeout, invalid, action, queue, ...
    node     text NOT NULL DEFAULT '',
    detail   jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (call_id, seq)                     -- replays after an outage are idempotent
);
