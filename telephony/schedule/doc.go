// Package schedule is the contact centre's working hours: weekly opening
// hours with breaks, dated exceptions (holidays, shortened days) and a manual
// day/night switch. It answers two questions: what state the hotline is in at
// an instant (open, break, closed — which decides call routing) and how much
// working time lies between two instants (which decides appeal deadlines).
// It knows nothing of ARI, HTTP or SQL.
//
// The rules:
//
//   - Hours are wall-clock times in the schedule's time zone: "08:00" is 08:00
//     on the clocks of Kyiv on that date, whatever the UTC offset. A day that
//     loses an hour to daylight saving is an hour shorter, one that gains an
//     hour is longer. A time the clocks skip (03:30 on the last Sunday of March)
//     counts as the moment they jump; a time they show twice counts at its
//     first showing.
//   - A day is covered by its open intervals; a break inside them (lunch) puts
//     the state at break, not closed, so callers hear "operators return at
//     12:45" rather than the after-hours menu. "24:00" ends an interval at the
//     end of the day; 00:00–24:00 every day is 24/7.
//   - An exception replaces the whole of its date: closed all day, or its own
//     hours and breaks (the weekly breaks do not apply to it).
//   - An override forces open or closed until an instant, whatever the rules
//     say; when it expires the rules apply again. It affects State and NextOpen
//     only, never AddWorkingTime or WorkingTimeBetween: it is an operational
//     switch (a storm, a line fault, a late evening), not a calendar rule, and
//     a resident's deadline must not move because a supervisor flipped it.
//
// A Schedule is safe for concurrent use. Everything built by New is fixed;
// the exceptions and the override can be replaced at run time (SetExceptions,
// SetOverride, ClearOverride). Each is replaced whole under a mutex and every
// query reads them once, so a query never sees half an update and a walk over
// several days uses one consistent set of rules.
//
// The package imports time/tzdata, so any binary using it embeds the time zone
// database and Europe/Kyiv resolves even on hosts without /usr/share/zoneinfo
// (distroless and scratch images).
package schedule

import _ "time/tzdata" // Europe/Kyiv must resolve on hosts without a zoneinfo database
