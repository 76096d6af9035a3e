package config

import (
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the options types")

const docPath = "../../docs/configuration.md"

// docs/configuration.md is what Markdown renders from the options types:
// a setting added to Node or Functions is documented or this fails (go
// test ./shared/config -run TestConfigurationDoc -update rewrites it).
func TestConfigurationDoc(t *testing.T) {
	want := Markdown()
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is not what the options types render; run go test ./shared/config -run TestConfigurationDoc -update", docPath)
	}
}
