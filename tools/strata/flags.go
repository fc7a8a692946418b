package main

import (
	"flag"
	"fmt"
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

// required fails when any named flag was left empty.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			return fmt.Errorf("missing --%s", n)
		}
	}
	return nil
}
