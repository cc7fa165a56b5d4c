// Command list prints the prompt catalogue for scripts/gen-sounds.sh, one
// prompt a line:
//
//	id <TAB> sound path <TAB> kind (speech or tone) <TAB> text
//
// Texts are printed on one line (folded YAML already is); tabs and newlines
// in them become spaces.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/slobozhanske/hotline/ivr/prompts"
)

func main() {
	w := bufio.NewWriter(os.Stdout)
	flat := strings.NewReplacer("\t", " ", "\r", " ", "\n", " ")
	for _, p := range prompts.All() {
		kind := "speech"
		if p.Tone {
			kind = "tone"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.ID, prompts.SoundPath(p.ID), kind, flat.Replace(p.Text))
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "list:", err)
		os.Exit(1)
	}
}
