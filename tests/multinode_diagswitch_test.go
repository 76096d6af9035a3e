package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// logLine reports whether one line of p's logs contains every part.
func logLine(p *proc.Child, parts ...string) bool {
	for _, line := range strings.Split(p.Logs(), "\n") {
		all := true
		for _, part := range parts {
			all = all && strings.Contains(line, part)
		}
		if all {
			return true
		}
	}
	return false
}

// setDiagnostics sends PUT /admin/diagnostics?scope=deployment with body to
// the admin listener of p and checks the answer.
func (c *cluster) setDiagnostics(t *testing.T, p *proc.Child, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, adminURL(t, p)+node.DiagnosticsPath+"?scope=deployment", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"source":"deployment"`) {
		t.Fatalf("PUT %s: %d %s", body, resp.StatusCode, b)
	}
}

// switches returns connectivity as GET /admin/diagnostics of p answers it.
func (c *cluster) connectivityOn(t *testing.T, p *proc.Child) bool {
	t.Helper()
	resp, err := c.http.Get(adminURL(t, p) + node.DiagnosticsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Connectivity bool `json:"connectivity"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("GET %s: %d %v", node.DiagnosticsPath, resp.StatusCode, err)
	}
	return st.Connectivity
}

// Two gateway processes on one Redis, connectivity logs off in their
// environment: switching them on at one node's admin listener for the
// deployment makes both nodes write ConnectionStarted for new connections,
// without a restart, and switching them off (from the other node) stops
// them on both. A connection's debug line "connection started" is written
// after its ConnectionStarted record, so its presence without the record
// proves the record was not written.
func TestMultiNodeDiagnosticsSwitch(t *testing.T) {
	t.Parallel()
	c := newCluster(t, 2)
	gws := []*proc.Child{c.gateways[gw1], c.gateways[gw2]}
	started := func(p *proc.Child, id string) bool {
		return logLine(p, "msg=ConnectionStarted", "connectionId="+id)
	}
	// connectAll connects one client to each gateway, waits for their
	// debug lines and reports whether each got its ConnectionStarted.
	n := 0
	connectAll := func() []bool {
		var got []bool
		for i, p := range gws {
			n++
			id := c.connectTo(t, i, fmt.Sprintf("c%d", n), fmt.Sprintf("u%d", n))
			within(t, wait, "the debug line of "+id, func() error {
				if !logLine(p, `msg="connection started"`, "connectionId="+id) {
					return fmt.Errorf("no connection started line for %s", id)
				}
				return nil
			})
			got = append(got, started(p, id))
		}
		return got
	}
	if got := connectAll(); got[0] || got[1] {
		t.Fatalf("ConnectionStarted written with the logs off: %v", got)
	}

	c.setDiagnostics(t, gws[0], `{"connectivity":true}`)
	within(t, wait, "gateway 2 picks up the deployment setting", func() error {
		if !c.connectivityOn(t, gws[1]) {
			return fmt.Errorf("gateway 2: connectivity still off")
		}
		return nil
	})
	if got := connectAll(); !got[0] || !got[1] {
		t.Fatalf("ConnectionStarted after switching on for the deployment: %v, want both", got)
	}
	for i, p := range gws {
		if !logLine(p, `msg="diagnostics switches changed"`, "source=deployment", `new="connectivity=true`) {
			t.Errorf("gateway %d did not log the change", i+1)
		}
	}

	c.setDiagnostics(t, gws[1], `{"connectivity":false}`)
	within(t, wait, "gateway 1 picks up the deployment setting", func() error {
		if c.connectivityOn(t, gws[0]) {
			return fmt.Errorf("gateway 1: connectivity still on")
		}
		return nil
	})
	if got := connectAll(); got[0] || got[1] {
		t.Fatalf("ConnectionStarted after switching off for the deployment: %v", got)
	}
}
