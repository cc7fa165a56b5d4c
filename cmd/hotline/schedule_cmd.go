package main

import (
	"fmt"
	"io"
)

func scheduleCmd(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("not wired yet")
}
