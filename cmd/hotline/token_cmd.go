package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/slobozhanske/hotline/internal/apiauth"
)

// tokenCmd is `hotline token add USER ROLE [EXECUTOR]`: a new bearer token,
// printed once, its digest appended to the tokens file. The file never holds
// the token itself, so reading it (a backup, a misplaced copy) grants
// nothing. The server picks it up on SIGHUP.
func tokenCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: hotline token add [-f FILE] USER ROLE [EXECUTOR]")
		return usageError{errors.New("the only subcommand is add")}
	}
	fs := flag.NewFlagSet("token add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", os.Getenv("HOTLINE_API_TOKENS_FILE"), "the tokens file (default $HOTLINE_API_TOKENS_FILE)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: hotline token add [-f FILE] USER ROLE [EXECUTOR]

Prints a new bearer token for USER (role operator, executor, supervisor or
admin; an executor names its organisation's code) and appends its SHA-256
digest to the tokens file, created private (0600) if missing. The token is
shown only now. Send the server SIGHUP to load it.`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) < 2 || len(rest) > 3 {
		fs.Usage()
		return usageError{errors.New("want USER ROLE [EXECUTOR]")}
	}
	if *file == "" {
		return usageError{errors.New("no tokens file: give -f FILE or set HOTLINE_API_TOKENS_FILE")}
	}
	secret, err := apiauth.NewSecret()
	if err != nil {
		return err
	}
	t := apiauth.Token{User: rest[0], Role: rest[1], Token: apiauth.Digest(secret)}
	if len(rest) == 3 {
		t.Executor = rest[2]
	}
	if err := apiauth.AppendToFile(*file, t); err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	fmt.Fprintf(stderr, "hotline token: added %s (%s) to %s; the token above is not stored anywhere: hand it over now. Reload the server with SIGHUP.\n",
		t.User, t.Role, *file)
	return nil
}
