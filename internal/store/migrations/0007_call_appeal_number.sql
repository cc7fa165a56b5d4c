-- A call's record carries the number of the card opened for it, whichever
-- way the card was linked to the call: by the menu (the message or SOS card,
-- which also passes the number in the call's outcome), by an operator
-- opening the card through the API during the call, or by linking it later.
-- It is kept here, at the link, rather than in each path that links, so no
-- path can forget it. The first card linked wins over later links, and the
-- call-record writer never clears it (an outcome or end written with no
-- number keeps the one recorded; one written with a number is about the
-- menu's own card and sets it).

-- A link to a call whose record exists sets the record's number.
CREATE FUNCTION calls_appeal_number_from_link() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calls SET appeal_number = a.number, updated_at = now()
    FROM appeals a
    WHERE calls.id = NEW.call_id AND a.id = NEW.appeal_id AND calls.appeal_number = '';
    RETURN NULL;
END
$$;

CREATE TRIGGER appeal_calls_set_call_appeal_number
    AFTER INSERT ON appeal_calls
    FOR EACH ROW EXECUTE FUNCTION calls_appeal_number_from_link();

-- The call-record writer queues its writes while the database is away, so
-- a card may be linked before the call's record is inserted: the record
-- then takes the number of the first card linked to it.
CREATE FUNCTION calls_appeal_number_on_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.appeal_number = '' THEN
        NEW.appeal_number := COALESCE((
            SELECT a.number FROM appeal_calls l JOIN appeals a ON a.id = l.appeal_id
            WHERE l.call_id = NEW.id
            ORDER BY l.linked_at, a.number
            LIMIT 1), '');
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER calls_take_linked_appeal_number
    BEFORE INSERT ON calls
    FOR EACH ROW EXECUTE FUNCTION calls_appeal_number_on_insert();

-- Records written before this migration: the number of their first card.
UPDATE calls SET appeal_number = first.number, updated_at = now()
FROM (
    SELECT DISTINCT ON (l.call_id) l.call_id, a.number
    FROM appeal_calls l JOIN appeals a ON a.id = l.appeal_id
    ORDER BY l.call_id, l.linked_at, a.number
) first
WHERE calls.id = first.call_id AND calls.appeal_number = '';
