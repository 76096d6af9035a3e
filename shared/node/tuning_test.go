package node

import (
	"log/slog"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/config"
)

// runGateway loads a production node's options from env, builds the node
// as the mains do (FromOptions, New) and returns what its gateway runs
// with.
func runGateway(t *testing.T, env map[string]string) config.GatewayTuning {
	t.Helper()
	env["HERALD_ACCESS_KEYS"] = "tuning-test-key"
	env["HERALD_ROLE"] = "all"
	env["HERALD_ADDR"] = "127.0.0.1:0"
	var o config.Node
	if _, err := config.Load(&o, config.Production, config.Sources{Getenv: func(k string) string { return env[k] }}); err != nil {
		t.Fatal(err)
	}
	cfg, err := FromOptions(o, nil, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, stop := serve(t, s)
	get(t, s.URL()+"/livez") // served: the gateway has started
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	return s.Gateway().Tuning()
}

// Every gateway tunable set by its variable reaches the running gateway
// unchanged: a setting added to config.GatewayTuning needs no copy by
// hand, and one dropped on the way (options, node.Config, gateway.Config)
// fails here. Each field gets a value of its own, off its default, so a
// swap of two fields fails too.
func TestGatewayTuningReachesTheGateway(t *testing.T) {
	defaults := runGateway(t, map[string]string{})
	want := defaults
	env := map[string]string{}
	typ := reflect.TypeOf(want)
	wv := reflect.ValueOf(&want).Elem()
	for i := range typ.NumField() {
		sf := typ.Field(i)
		name := sf.Tag.Get("env")
		if name == "" {
			t.Fatalf("%s has no variable", sf.Name)
		}
		f := wv.Field(i)
		switch sf.Type {
		case reflect.TypeOf(time.Duration(0)):
			d := time.Duration(f.Int()) + time.Duration(i+2)*time.Second
			f.SetInt(int64(d))
			env[name] = d.String()
		default:
			if sf.Type.Kind() != reflect.Int {
				t.Fatalf("%s: a %s; teach this test its values", sf.Name, sf.Type)
			}
			n := f.Int() + int64(i+2)
			f.SetInt(n)
			env[name] = strconv.FormatInt(n, 10)
		}
	}
	got := runGateway(t, env)
	if got != want {
		t.Errorf("the gateway runs with\n%+v\nwant\n%+v\n(defaults %+v)", got, want, defaults)
	}
	gv := reflect.ValueOf(got)
	dv := reflect.ValueOf(defaults)
	for i := range typ.NumField() {
		if gv.Field(i).Interface() == dv.Field(i).Interface() {
			t.Errorf("%s: still its default %v", typ.Field(i).Name, dv.Field(i).Interface())
		}
	}
}

// An option's 0 means no limit, even where the gateway's zero value
// means a default (MaxHubs: 1000).
func TestGatewayTuningZeroIsNoLimit(t *testing.T) {
	got := runGateway(t, map[string]string{"HERALD_MAX_HUBS": "0", "HERALD_MAX_ADDRESS_CONNECTIONS": "0", "HERALD_FORWARDED_HOPS": "0"})
	if got.MaxHubs != 0 || got.MaxAddressConnections != 0 || got.ForwardedHops != 0 {
		t.Fatalf("0 (no limit, the TCP peer): the gateway runs with %+v", got)
	}
	if d := runGateway(t, map[string]string{}); d.MaxHubs != 1000 || d.MaxAddressConnections != 1000 || d.ForwardedHops != 1 {
		t.Fatalf("production defaults: the gateway runs with %+v", d)
	}
}
