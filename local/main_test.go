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

	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDocsListEveryFlag checks that each flag of the emulator appears in
// docs/configuration.md (generated from shared/config).
func TestDocsListEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	usage := &testsupport.Buffer{}
	if err := run([]string{"-h"}, io.Discard, usage); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h: %v", err)
	}
	flags := regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(usage.String(), -1)
	if len(flags) < 20 {
		t.Fatalf("found only %d flags in the usage:\n%s", len(flags), usage.String())
	}
	for _, f := range flags {
		if !strings.Contains(string(readme), "`--"+f[1]+"`") {
			t.Errorf("docs/configuration.md does not list --%s", f[1])
		}
	}
}

// TestSampleSettings checks the upstream settings `make sample` runs with:
// valid, and pointing hub "chat" at the sample chat hub's default address.
func TestSampleSettings(t *testing.T) {
	data, err := os.ReadFile("sample-settings.json")
	if err != nil {
		t.Fatal(err)
	}
	s, err := upstream.ParseSettingsFile(data)
	if err != nil {
		t.Fatal(err)
	}
	want := "http://127.0.0.1:7071" + lambdafn.WebhookPath // functions/chathub's default ADDR
	if len(s.Templates) != 1 || s.Templates[0].URLTemplate != want || s.Templates[0].HubPattern != "chat" {
		t.Fatalf("sample settings %+v, want one template for hub chat at %s", s.Templates, want)
	}
}
