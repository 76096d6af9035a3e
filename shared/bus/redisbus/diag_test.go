package redisbus_test

import (
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/bus/redisbus"
)

// The deployment switches one node writes are what every node of the
// deployment reads, and only of that deployment; nil deletes them;
// oversized values are refused both ways.
func TestDiagSwitches(t *testing.T) {
	ctx := t.Context()
	rdb := newClient(t, "")
	d := newDeployment(t, rdb)
	a, b := d.node(redisbus.Config{Stateless: true}), d.node(redisbus.Config{Stateless: true})
	other := newDeployment(t, rdb).node(redisbus.Config{Stateless: true})
	if v, ok, err := b.DiagSwitches(ctx); err != nil || ok || v != nil {
		t.Fatalf("unset: %q %v %v", v, ok, err)
	}
	must(t, a.SetDiagSwitches(ctx, []byte(`{"connectivity":true}`)))
	if v, ok, err := b.DiagSwitches(ctx); err != nil || !ok || string(v) != `{"connectivity":true}` {
		t.Fatalf("set: %q %v %v", v, ok, err)
	}
	if _, ok, err := other.DiagSwitches(ctx); err != nil || ok {
		t.Fatalf("another deployment sees them: %v %v", ok, err)
	}
	big := []byte(`{"x":"` + strings.Repeat("a", redisbus.MaxDiagSwitchesBytes) + `"}`)
	if err := a.SetDiagSwitches(ctx, big); err == nil {
		t.Error("oversized switches written")
	}
	must(t, rdb.Set(ctx, d.prefix+":{diag}:switches", big, 0).Err())
	if _, ok, err := b.DiagSwitches(ctx); err == nil || ok {
		t.Errorf("oversized switches read: %v %v", ok, err)
	}
	must(t, a.SetDiagSwitches(ctx, nil))
	if _, ok, err := b.DiagSwitches(ctx); err != nil || ok {
		t.Fatalf("deleted: %v %v", ok, err)
	}
}
