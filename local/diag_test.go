package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/diag"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
)

// runDiagOut runs `herald diag args...` in environ and returns its output.
func runDiagOut(environ []string, args ...string) (string, error) {
	out, errs := &testsupport.Buffer{}, &testsupport.Buffer{}
	err := runWith(context.Background(), append([]string{"diag"}, args...), environ, out, errs)
	return out.String() + errs.String(), err
}

// diag set writes the key the nodes read, under the deployment's prefix,
// changing only the switches it is given; get shows it and clear removes
// it. What it is given is validated before Redis is touched.
func TestDiagSetGetClear(t *testing.T) {
	testsupport.SkipServer(t, "redis-server")
	s := redistest.Start(t)
	environ := []string{"REDIS_URL=" + s.URL(), "HERALD_REDIS_PREFIX=dep1", "USER=alice"}
	rdb, err := redisbus.NewClient(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	stored := func() (node.DeploymentSetting, bool) {
		t.Helper()
		v, err := rdb.Get(context.Background(), "dep1:{diag}:switches").Bytes()
		if err != nil {
			return node.DeploymentSetting{}, false
		}
		var st node.DeploymentSetting
		if err := json.Unmarshal(v, &st); err != nil {
			t.Fatalf("stored %q: %v", v, err)
		}
		return st, true
	}

	if out, err := runDiagOut(environ, "get"); err != nil || !strings.Contains(out, "dep1:{diag}:switches is not set") {
		t.Fatalf("get with nothing set: %v %q", err, out)
	}
	if out, err := runDiagOut(environ, "set", "--connectivity"); err != nil || !strings.Contains(out, `dep1:{diag}:switches = {"connectivity":true,"messaging":"off","http":false,"by":"herald diag by alice on `) {
		t.Fatalf("set --connectivity: %v %q", err, out)
	}
	if _, err := runDiagOut(environ, "set", "--messaging", "diagnostic", "--by", "bob"); err != nil {
		t.Fatal(err)
	}
	st, ok := stored()
	if want := (diag.Switches{Connectivity: true, Messaging: diag.MessagingDiagnostic}); !ok || st.Switches != want || st.By != "bob" || st.At.IsZero() {
		t.Fatalf("after two sets: %+v %v, want %+v by bob", st, ok, want)
	}
	if out, err := runDiagOut(environ, "get"); err != nil || !strings.Contains(out, `"messaging":"diagnostic"`) {
		t.Fatalf("get: %v %q", err, out)
	}
	// --redis and --redis-prefix win over the environment.
	if _, err := runDiagOut(nil, "set", "--redis", s.URL(), "--redis-prefix", "dep1", "--http=true", "--connectivity=false"); err != nil {
		t.Fatal(err)
	}
	if st, _ := stored(); st.Switches != (diag.Switches{Messaging: diag.MessagingDiagnostic, HTTP: true}) {
		t.Fatalf("after --http=true --connectivity=false: %+v", st.Switches)
	}

	for _, bad := range [][]string{
		{},
		{"flip"},
		{"set"},
		{"set", "--messaging", "some"},
		{"set", "--connectivity=maybe"},
		{"set", "--http", "--by", strings.Repeat("b", maxDiagBy+1)},
		{"get", "--http"},
		{"set", "--http", "extra"},
		{"set", "--http", "--redis-prefix", "bad{prefix"},
	} {
		if out, err := runDiagOut(environ, bad...); err == nil {
			t.Errorf("diag %q: no error (%q)", bad, out)
		}
	}
	if _, err := runDiagOut([]string{"USER=alice"}, "set", "--http"); err == nil || !strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("set without Redis: %v", err)
	}
	// A stored setting that is not valid is not overwritten unseen.
	if err := rdb.Set(context.Background(), "dep1:{diag}:switches", "{", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := runDiagOut(environ, "set", "--http"); err == nil {
		t.Error("set over an invalid setting: no error")
	}
	if out, err := runDiagOut(environ, "clear"); err != nil || !strings.Contains(out, "removed") {
		t.Fatalf("clear: %v %q", err, out)
	}
	if _, ok := stored(); ok {
		t.Fatal("the key is still there after clear")
	}
}
