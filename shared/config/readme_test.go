package config

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// envName matches a quoted environment variable name in this package's
// source: every variable it reads is named by such a literal.
var envName = regexp.MustCompile(`"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"`)

// configDoc is the configuration reference, where every variable is listed.
const configDoc = "../../docs/configuration.md"

// TestDocsListEveryVariable checks that each environment variable read
// by this package appears in the configuration reference's tables.
func TestDocsListEveryVariable(t *testing.T) {
	readme, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range envName.FindAllStringSubmatch(string(src), -1) {
			names[m[1]] = true
		}
	}
	if len(names) < 20 {
		t.Fatalf("found only %d variables in the source: %v", len(names), names)
	}
	var missing []string
	for n := range names {
		if !strings.Contains(string(readme), "`"+n+"`") {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s does not list %v", configDoc, missing)
	}
}
