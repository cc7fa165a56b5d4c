// Package appeals keeps the community's appeal cards (звернення): the card
// and its fields (art. 5 of the Law "On citizens' appeals"), the classifier
// of categories and executors, priorities (SOS and current: ordinary,
// medium-term, long-term), the lifecycle and who may move a card through it,
// deadlines (acceptance within 2 working hours, SOS within 30 minutes around
// the clock, resolution per category, the 45-day cap and its extension with
// control levels I–III), the gapless yearly number told to the caller, and the
// Service that applies these rules over a Repository it defines.
//
// The package knows nothing of HTTP, SQL or telephony: a call is an id it
// links to, working hours come through the WorkingCalendar interface, time
// through an injected clock. Adapters live in sub-packages: pgstore
// (PostgreSQL), httpapi (the JSON API) and overdue (the deadline watcher).
//
// Decisions the regulations leave open, taken here:
//   - Acceptance of a current appeal is measured in the executors' working
//     time (the 2 hours of art. 5.1 are office hours); an SOS appeal's 30
//     minutes run around the clock. The acceptance clock starts when the card
//     is sent to the executor, so a new executor gets its own full term.
//   - Resolution is measured from registration in the category's time basis
//     (working or calendar) and never later than MaxResolution (45 days)
//     after registration, unless extended with a reason (art. 6.3.3).
//   - Control level I is the classifier's term; the first extension puts the
//     card under additional control (II, art. 6.3.1); a second extension, or a
//     breach of the extended term, is level III (a memo to the head, 6.3.2).
//   - The caller hears the sequence part of the number without leading zeros
//     ("123" for 2026-000123) by default, because that is what they will key
//     in; FindBySpokenNumber accepts that, the zero-padded form, or all the
//     digits of the number.
//   - Anonymous cards (art. 4.4.2) keep no personal data; the place of the
//     problem (Location) is not personal and is kept.
//   - History records which personal fields changed, never their values, so
//     making a card anonymous really erases the caller's data.
package appeals
