package main

import (
	"flag"
	"os"
	"strings"
)

// repeated is a flag that may be given many times, in order.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(s string) error { *r = append(*r, s); return nil }

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("strata "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

// parseFlags parses a verb's command line, then checks its required flags:
// every verb starts with it, so a missing flag reads the same everywhere.
func parseFlags(fs *flag.FlagSet, args []string, names ...string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	return required(fs, names...)
}

// required fails with a usageError when any named flag was left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			return usageError("missing --" + n)
		}
	}
	return nil
}

// usageError is a mistake in the command line that package flag cannot see
// (exit 2, as flag's own errors).
type usageError string

func (e usageError) Error() string { return string(e) }
