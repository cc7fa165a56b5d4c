// Command hotline is the contact-centre server and its admin tools.
//
//	hotline serve -c config/hotline.yaml          the server (ARI app, HTTP, metrics)
//	hotline migrate -c config/hotline.yaml        apply database migrations and exit
//	hotline check-config -c config/hotline.yaml   validate a config file
//	hotline schedule -c FILE --at RFC3339-TIME    the working-hours state at a moment
//	hotline probe-call -c FILE [--target H:P]     one synthetic call to the hotline, JSON result
//	hotline loadcall -c FILE --calls N --rate R   a bounded SIP load test
//	hotline token add [-f FILE] USER ROLE         a new API token, printed once, its digest appended to the tokens file
//
// Read serve.go to follow a call: it wires the ARI app (telephony) to the
// voice menu (ivr), the queue, escalation and appeals.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	keepARIConnections()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: hotline <command> [flags]

commands:
  serve         run the server
  migrate       apply database migrations and exit
  check-config  validate a config file (-c FILE); exit 0 when valid
  schedule      print the working-hours state at a moment (-c FILE --at TIME)
  probe-call    call the hotline through Asterisk's SIP and check it answers; JSON result
  loadcall      a bounded SIP load test (--rate --calls --concurrency --keys --hold)
  token add     a new API token for USER ROLE [EXECUTOR], printed once; its digest goes to the tokens file

run "hotline <command> -h" for a command's flags`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(args[1:], stdout, stderr)
	case "migrate":
		err = migrateCmd(args[1:], stdout, stderr)
	case "check-config":
		err = checkConfigCmd(args[1:], stdout, stderr)
	case "schedule":
		err = scheduleCmd(args[1:], stdout, stderr)
	case "probe-call":
		err = probeCallCmd(args[1:], stdout, stderr)
	case "loadcall":
		err = loadcallCmd(args[1:], stdout, stderr)
	case "token":
		err = tokenCmd(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "hotline: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "hotline %s: %v\n", args[0], err)
			return 2
		}
		fmt.Fprintf(stderr, "hotline %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError struct{ error }

// configFlag adds the -c flag every command shares.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("c", "config/hotline.yaml", "config file (YAML)")
}
