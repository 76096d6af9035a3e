package buildinfo

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func TestPrintVersion(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })

	Version = ""
	if got := String(); got != "dev" {
		t.Errorf("unstamped test binary: String() = %q, want dev", got)
	}
	Version = "1.2.3"
	for _, args := range [][]string{{"--version"}, {"-version"}} {
		var out bytes.Buffer
		if !PrintVersion("herald", args, &out) {
			t.Fatalf("%q not answered", args)
		}
		want := "herald 1.2.3 (" + runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
		if out.String() != want {
			t.Errorf("%q printed %q, want %q", args, out.String(), want)
		}
	}
	for _, args := range [][]string{nil, {"--addr", "x"}, {"--version", "x"}, {"version"}, {"--versions"}} {
		var out bytes.Buffer
		if PrintVersion("herald", args, &out) || out.Len() != 0 {
			t.Errorf("%q answered: %q", args, out.String())
		}
	}
	if !strings.Contains(String(), "1.2.3") {
		t.Errorf("stamped String() = %q", String())
	}
}
