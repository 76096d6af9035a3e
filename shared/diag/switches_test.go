package diag_test

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/heraldrt/herald/shared/diag"
)

// SetSwitches turns categories on and off on a running tracer: the
// category questions and the resource logs follow at once; the defaults
// stay those of the Config.
func TestSetSwitches(t *testing.T) {
	tr, logs := newTracer(diag.Config{})
	start := diag.Event{Category: diag.Connectivity, Name: diag.ConnectionStarted, ConnectionID: "c1"}
	if tr.Connectivity() || tr.HTTP() || tr.MessagingAny() {
		t.Fatal("categories on by default")
	}
	tr.Emit(start)
	old := tr.SetSwitches(diag.Switches{Connectivity: true, Messaging: diag.MessagingDiagnostic, HTTP: true})
	if old != (diag.Switches{}) {
		t.Errorf("old switches %v", old)
	}
	if !tr.Connectivity() || !tr.HTTP() || !tr.MessagingAny() || tr.Messaging(false) || !tr.Messaging(true) {
		t.Errorf("after SetSwitches: %v", tr.Switches())
	}
	start.ConnectionID = "c2"
	tr.Emit(start)
	tr.SetSwitches(diag.Switches{})
	start.ConnectionID = "c3"
	tr.Emit(start)
	recs := logs.records(t)
	if len(recs) != 1 || recs[0]["connectionId"] != "c2" {
		t.Errorf("logged %v, want c2's ConnectionStarted only", recs)
	}
	if tr.Defaults() != (diag.Switches{}) {
		t.Errorf("defaults changed: %v", tr.Defaults())
	}
	on := diag.Switches{Connectivity: true, Messaging: diag.MessagingAll}
	if got := diag.New(diag.Config{Connectivity: true, Messaging: diag.MessagingAll}).Defaults(); got != on {
		t.Errorf("Defaults %v, want %v", got, on)
	}
	var nilTracer *diag.Tracer
	if nilTracer.Switches() != (diag.Switches{}) || nilTracer.Defaults() != (diag.Switches{}) {
		t.Error("a nil tracer has switches on")
	}
}

// Producers read the switches while they change (run with -race): every
// read sees one whole set.
func TestSetSwitchesConcurrent(t *testing.T) {
	tr, _ := newTracer(diag.Config{})
	all := diag.Switches{Connectivity: true, Messaging: diag.MessagingAll, HTTP: true}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range 2000 {
			if i%2 == 0 {
				tr.SetSwitches(all)
			} else {
				tr.SetSwitches(diag.Switches{})
			}
		}
	}()
	go func() {
		defer wg.Done()
		for range 2000 {
			if s := tr.Switches(); s != all && s != (diag.Switches{}) {
				t.Errorf("torn switches %v", s)
				return
			}
			_ = tr.Connectivity()
			_ = tr.Messaging(true)
		}
	}()
	wg.Wait()
}

// The JSON form: fields missing keep their value, unknown fields, bad
// modes and trailing data are refused.
func TestParseSwitches(t *testing.T) {
	base := diag.Switches{Messaging: diag.MessagingDiagnostic, HTTP: true}
	got, err := diag.ParseSwitches([]byte(`{"connectivity":true}`), base)
	if err != nil || got != (diag.Switches{Connectivity: true, Messaging: diag.MessagingDiagnostic, HTTP: true}) {
		t.Errorf("partial: %v %v", got, err)
	}
	got, err = diag.ParseSwitches([]byte(`{"connectivity":false,"messaging":"all","http":false}`), base)
	if err != nil || got != (diag.Switches{Messaging: diag.MessagingAll}) {
		t.Errorf("full: %v %v", got, err)
	}
	for _, bad := range []string{``, `[]`, `{"connectivity":"yes"}`, `{"messaging":"some"}`, `{"verbose":true}`, `{} {}`, `{"http":true`} {
		if _, err := diag.ParseSwitches([]byte(bad), base); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	b, err := json.Marshal(diag.Switches{Connectivity: true, Messaging: diag.MessagingDiagnostic})
	if err != nil || string(b) != `{"connectivity":true,"messaging":"diagnostic","http":false}` {
		t.Errorf("marshal: %s %v", b, err)
	}
	if s := (diag.Switches{HTTP: true}).String(); s != "connectivity=false messaging=off http=true" {
		t.Errorf("String %q", s)
	}
}
