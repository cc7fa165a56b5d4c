package schedule_test

import (
	"fmt"
	"time"

	"github.com/slobozhanske/hotline/telephony/schedule"
)

func Example() {
	cfg := schedule.DefaultConfig()
	cfg.Exceptions = []schedule.Exception{{Date: "2026-12-25", Name: "Різдво", Closed: true}}
	s, err := schedule.New(cfg)
	if err != nil {
		panic(err)
	}
	kyiv := s.Location()

	for _, at := range []time.Time{
		time.Date(2026, 1, 5, 12, 10, 0, 0, kyiv),
		time.Date(2026, 1, 9, 15, 45, 0, 0, kyiv),
		time.Date(2026, 12, 25, 10, 0, 0, 0, kyiv),
	} {
		d := s.State(at)
		fmt.Printf("%s: %s by %q until %s\n", at.Format("Mon 02.01 15:04"), d.State, d.Rule, d.Next.Format("Mon 02.01 15:04"))
	}

	back, _ := s.NextOpen(time.Date(2026, 1, 5, 12, 10, 0, 0, kyiv))
	fmt.Println("operators return at", back.Format("15:04"))

	deadline := s.AddWorkingTime(time.Date(2026, 1, 9, 14, 30, 0, 0, kyiv), 2*time.Hour)
	fmt.Println("accept within 2 working hours:", deadline.Format("Mon 02.01 15:04"))

	// Output:
	// Mon 05.01 12:10: break by "break: обід 12:00–12:45" until Mon 05.01 12:45
	// Fri 09.01 15:45: closed by "weekly: Friday closed (open 08:00–15:45)" until Mon 12.01 08:00
	// Fri 25.12 10:00: closed by "exception 2026-12-25 Різдво: closed" until Mon 28.12 08:00
	// operators return at 12:45
	// accept within 2 working hours: Mon 12.01 08:45
}
