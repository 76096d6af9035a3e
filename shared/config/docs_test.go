package config

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the options types")

const docPath = "../../docs/configuration.md"

// The markers around the generated settings section.
const (
	beginMarker = "<!-- BEGIN settings: generated from shared/config by go test ./shared/config -run TestConfigurationDoc -update; do not edit -->\n"
	endMarker   = "<!-- END settings -->\n"
)

// The settings section of docs/configuration.md is what Markdown renders
// from the options types: a setting added to Node or Functions is
// documented or this fails (-update rewrites the section).
func TestConfigurationDoc(t *testing.T) {
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(doc), beginMarker)
	got, after, ok2 := strings.Cut(rest, endMarker)
	if !ok || !ok2 {
		t.Fatalf("%s lacks the markers %q and %q", docPath, beginMarker, endMarker)
	}
	want := Markdown()
	if *update {
		if err := os.WriteFile(docPath, []byte(before+beginMarker+want+endMarker+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want {
		t.Fatalf("the settings in %s are not what the options types render; run go test ./shared/config -run TestConfigurationDoc -update", docPath)
	}
}
