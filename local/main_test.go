package main

import (
	"errors"
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/syncbuf"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestREADMEListsEveryFlag checks that each flag of the emulator appears
// in the README's flag table.
func TestREADMEListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	usage := &syncbuf.Buffer{}
	if err := run([]string{"-h"}, io.Discard, usage); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	flags := regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(usage.String(), -1)
	if len(flags) < 20 {
		t.Fatalf("found only %d flags in the usage:\n%s", len(flags), usage.String())
	}
	for _, f := range flags {
		if !strings.Contains(string(readme), "`--"+f[1]+"`") {
			t.Errorf("README does not list --%s", f[1])
		}
	}
}
