-- The operator queue (telephony/queue).
--
-- Operators added, changed or removed through the API. At start these rows
-- override the operators of config/hotline.yaml by id and add to them; a
-- removed operator keeps a row with deleted = true so that an operator of the
-- same id in the config file does not come back.
CREATE TABLE queue_operators (
    id         text PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    endpoint   text NOT NULL DEFAULT '',           -- PJSIP/op101
    queues     text[] NOT NULL DEFAULT '{}',
    skills     jsonb NOT NULL DEFAULT '{}',         -- skill → penalty
    deleted    boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX queue_operators_endpoint_idx ON queue_operators (endpoint) WHERE NOT deleted;

-- Every change of an operator's state, pause reason or phone reachability:
-- the state holds from "at" until the operator's next row. Time in state and
-- occupancy are computed from it.
CREATE TABLE queue_operator_states (
    id          text PRIMARY KEY,                   -- from the dispatcher: replayed writes apply once
    seq         bigint GENERATED ALWAYS AS IDENTITY, -- order of rows with the same time
    operator_id text NOT NULL,
    state       text NOT NULL,                      -- logged_out, available, ringing, on_call, wrap_up, paused
    reason      text NOT NULL DEFAULT '',           -- when paused: break, lunch, training, no_answer, other
    online      boolean NOT NULL,
    call_id     text NOT NULL DEFAULT '',
    queue       text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL
);

CREATE INDEX queue_operator_states_operator_idx ON queue_operator_states (operator_id, at, seq);
CREATE INDEX queue_operator_states_at_idx ON queue_operator_states (at);
