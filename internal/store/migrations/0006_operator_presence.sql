-- What an operator asked for (logged_out, available, paused) beside what
-- they were doing: a pause or logout asked for during a call is kept, so a
-- restart in the middle of that call restores it. '' in rows from before.
ALTER TABLE queue_operator_states ADD COLUMN presence text NOT NULL DEFAULT '';
