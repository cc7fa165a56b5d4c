// Package asterisk holds Asterisk's own configuration for the hotline
// (the *.conf files rendered by docker-entrypoint.sh, the image, the
// Ukrainian sounds) and the few names the server and the dialplan share,
// so that a test can check they agree (deploy_test.go).
package asterisk

// The global variables the degraded dialplan (extensions.conf
// [hotline-degraded]) reads, which the active server keeps current.
const (
	GlobalDutyCount   = "HOTLINE_DUTY_COUNT"   // how many HOTLINE_DUTY_n there are
	GlobalDutyPrefix  = "HOTLINE_DUTY_"        // HOTLINE_DUTY_1…: the people on duty now, as dial strings, in order
	GlobalOperators   = "HOTLINE_OPERATORS"    // the logged-in operators' phones, joined by & (a ring group)
	GlobalOpenUntil   = "HOTLINE_OPEN_UNTIL"   // epoch seconds the line is open until; 0: closed now
	GlobalDutyAlways  = "HOTLINE_DUTY_ALWAYS"  // 1: the on-duty chain even in working hours
	GlobalFallbackSet = "HOTLINE_FALLBACK_SET" // epoch seconds of the server's last write (read by people, not the dialplan)

	// MaxDegradedDuty is how many people of the chain the dialplan phones.
	MaxDegradedDuty = 5
)
