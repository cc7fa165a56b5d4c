-- Appeal cards (звернення): appeals/pgstore.

-- One counter row per numbering year, incremented in the transaction that
-- inserts the card: a card that is rolled back gives its number back, so
-- numbers are gapless within a year (a sequence would leave gaps).
CREATE TABLE appeal_counters (
    year integer PRIMARY KEY,
    n    bigint NOT NULL
);

CREATE TABLE appeals (
    id                 uuid PRIMARY KEY,
    year               integer NOT NULL,
    seq                bigint NOT NULL,
    number             text NOT NULL UNIQUE,
    number_digits      text NOT NULL,                -- the number's digits, for what callers key in
    created_at         timestamptz NOT NULL,
    created_by         text NOT NULL,
    updated_at         timestamptz NOT NULL,
    channel            text NOT NULL CHECK (channel IN ('phone', 'web', 'email', 'in_person', 'social')),
    anonymous          boolean NOT NULL DEFAULT false,
    surname            text NOT NULL DEFAULT '',
    first_name         text NOT NULL DEFAULT '',
    patronymic         text NOT NULL DEFAULT '',
    address            text NOT NULL DEFAULT '',     -- the caller's place of residence
    contact_phone      text NOT NULL DEFAULT '',     -- normalised, e.g. +380501234567
    email              text NOT NULL DEFAULT '',
    location           text NOT NULL DEFAULT '',     -- where the problem is
    search_place       text NOT NULL DEFAULT '',     -- address and location lower-cased by the server (the
                                                     -- database's locale may not fold Cyrillic case)
    essence            text NOT NULL,
    category           text NOT NULL,
    priority           text NOT NULL CHECK (priority IN ('sos', 'ordinary', 'medium', 'long')),
    executor           text NOT NULL DEFAULT '',
    status             text NOT NULL CHECK (status IN ('registered', 'sent_to_executor', 'accepted', 'in_progress',
                                                       'resolved', 'returned_for_rework', 'closed')),
    control_level      smallint NOT NULL DEFAULT 1 CHECK (control_level BETWEEN 1 AND 3),
    accept_by          timestamptz NOT NULL,
    resolve_by         timestamptz NOT NULL,
    initial_resolve_by timestamptz NOT NULL,
    sent_at            timestamptz,
    accepted_at        timestamptz,
    resolved_at        timestamptz,
    closed_at          timestamptz,
    closure_basis      text NOT NULL DEFAULT '' CHECK (closure_basis IN ('', 'act_of_works', 'written_answer', 'phone_confirmation', 'photo')),
    closure_ref        text NOT NULL DEFAULT '',
    repeat_of          uuid REFERENCES appeals (id),
    repeat_reason      text NOT NULL DEFAULT '',
    version            integer NOT NULL DEFAULT 1,
    UNIQUE (year, seq),
    -- Art. 4.4.2 as the service applies it; the database refuses anything else.
    CONSTRAINT anonymous_keeps_no_personal_data CHECK (NOT anonymous OR
        (surname = '' AND first_name = '' AND patronymic = '' AND address = '' AND contact_phone = '' AND email = '')),
    CONSTRAINT closed_has_basis CHECK (status <> 'closed' OR closure_basis <> '')
);

CREATE INDEX appeals_created_at_idx ON appeals (created_at DESC);
CREATE INDEX appeals_number_digits_idx ON appeals (number_digits);
CREATE INDEX appeals_status_idx ON appeals (status) WHERE status <> 'closed';
CREATE INDEX appeals_executor_idx ON appeals (executor, created_at DESC);
CREATE INDEX appeals_contact_phone_idx ON appeals (contact_phone);
CREATE INDEX appeals_repeat_of_idx ON appeals (repeat_of) WHERE repeat_of IS NOT NULL;
-- What the overdue watcher scans every minute.
CREATE INDEX appeals_accept_due_idx ON appeals (accept_by) WHERE status = 'sent_to_executor';
CREATE INDEX appeals_resolve_due_idx ON appeals (resolve_by) WHERE status NOT IN ('resolved', 'closed');

-- Every change of a card: who, in what role, when, what and why.
CREATE TABLE appeal_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id   uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    who         text NOT NULL,
    role        text NOT NULL,
    action      text NOT NULL,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX appeal_history_appeal_idx ON appeal_history (appeal_id, id);

CREATE TABLE appeal_comments (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL,
    author    text NOT NULL,
    role      text NOT NULL,
    text      text NOT NULL
);

CREATE INDEX appeal_comments_appeal_idx ON appeal_comments (appeal_id, id);

-- References to documents kept elsewhere (a photo's URL, a file id).
CREATE TABLE appeal_attachments (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL,
    author    text NOT NULL,
    role      text NOT NULL,
    kind      text NOT NULL,
    ref       text NOT NULL,
    title     text NOT NULL DEFAULT ''
);

CREATE INDEX appeal_attachments_appeal_idx ON appeal_attachments (appeal_id, id);

-- Calls that concern a card. call_id is deliberately not a foreign key to
-- calls: the call-record writer buffers while the database is away, so the
-- call's row may arrive after the card.
CREATE TABLE appeal_calls (
    appeal_id uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    call_id   text NOT NULL,
    recording text NOT NULL DEFAULT '',
    linked_at timestamptz NOT NULL,
    linked_by text NOT NULL DEFAULT '',
    PRIMARY KEY (appeal_id, call_id)
);

CREATE INDEX appeal_calls_call_idx ON appeal_calls (call_id);

-- Agreed postponements of the resolution deadline (additional control, 6.3.1).
CREATE TABLE appeal_extensions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id     uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL,
    by_user       text NOT NULL,
    reason        text NOT NULL,
    previous_by   timestamptz NOT NULL,
    new_by        timestamptz NOT NULL,
    control_level smallint NOT NULL
);

CREATE INDEX appeal_extensions_appeal_idx ON appeal_extensions (appeal_id, id);

-- Missed deadlines, each recorded once (the unique key makes a breach
-- reported exactly once, across restarts and servers), with the delivery
-- state of SOS notifications so none is lost silently.
CREATE TABLE appeal_breaches (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    appeal_id       uuid NOT NULL REFERENCES appeals (id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('accept', 'resolve')),
    deadline        timestamptz NOT NULL,
    detected_at     timestamptz NOT NULL,
    priority        text NOT NULL,
    category        text NOT NULL,
    executor        text NOT NULL,
    control_level   smallint NOT NULL,
    delivery        text NOT NULL CHECK (delivery IN ('pending', 'delivered', 'no_webhook', 'weekly')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    UNIQUE (appeal_id, kind, deadline)
);

CREATE INDEX appeal_breaches_deadline_idx ON appeal_breaches (deadline);
CREATE INDEX appeal_breaches_pending_idx ON appeal_breaches (next_attempt_at) WHERE delivery = 'pending';
