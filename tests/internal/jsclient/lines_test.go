package jsclient_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/heraldrt/herald/tests/internal/jsclient"
)

// packageJSON is what TestLinesPinned reads of tests/js/package.json.
type packageJSON struct {
	Dependencies map[string]string            `json:"dependencies"`
	Overrides    map[string]map[string]string `json:"overrides"`
}

func readPackageJSON(t *testing.T) packageJSON {
	t.Helper()
	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "tests", "js", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p packageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		t.Fatalf("tests/js/package.json: %v", err)
	}
	return p
}

// msgpackAlias is the npm alias of a line's MessagePack package.
func msgpackAlias(c jsclient.Client) string {
	return strings.Replace(string(c), "signalr-", "signalr-protocol-msgpack-", 1)
}

// Every line of the matrix is pinned, at exactly its version, in
// tests/js/package.json, each aliased MessagePack package resolves
// @microsoft/signalr to its own line's client (an override), and no SignalR
// client is installed that the matrix does not run.
func TestLinesPinned(t *testing.T) {
	p := readPackageJSON(t)
	want := map[string]string{}
	for _, l := range jsclient.Lines {
		if l.Client == jsclient.Current {
			want[l.Package] = l.Version
			want[l.MsgpackPackage] = l.MsgpackVersion
			continue
		}
		want[string(l.Client)] = "npm:" + l.Package + "@" + l.Version
		want[msgpackAlias(l.Client)] = "npm:" + l.MsgpackPackage + "@" + l.MsgpackVersion
		if l.Package == "@microsoft/signalr" {
			got := p.Overrides[msgpackAlias(l.Client)]["@microsoft/signalr"]
			if got != l.Version {
				t.Errorf("overrides[%q][@microsoft/signalr] = %q, want %q", msgpackAlias(l.Client), got, l.Version)
			}
		}
	}
	for name, spec := range want {
		if got := p.Dependencies[name]; got != spec {
			t.Errorf("dependencies[%q] = %q, want %q", name, got, spec)
		}
	}
	for name, spec := range p.Dependencies {
		if strings.Contains(name+spec, "signalr") && want[name] == "" {
			t.Errorf("dependencies[%q] = %q is not a line of jsclient.Lines", name, spec)
		}
	}
	seen := map[string]bool{}
	for _, l := range jsclient.Lines {
		if seen[l.Name] {
			t.Errorf("line %s listed twice", l.Name)
		}
		seen[l.Name] = true
		if !strings.HasPrefix(l.Version, l.Name+".") || !strings.HasPrefix(l.MsgpackVersion, l.Name+".") {
			t.Errorf("line %s pins %s and %s, want both in the line", l.Name, l.Version, l.MsgpackVersion)
		}
	}
}

// Each line's driver loads the pinned versions, as the packages report them.
func TestLinesLoad(t *testing.T) {
	for _, l := range jsclient.Lines {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			d := jsclient.StartClient(t, l.Client)
			if c, m := d.Versions(); c != l.Version || m != l.MsgpackVersion {
				t.Errorf("driver loaded %s %s and %s, want %s and %s", l.Package, c, m, l.Version, l.MsgpackVersion)
			}
		})
	}
}
