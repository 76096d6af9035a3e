package node

import (
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/heraldrt/herald/shared/config"
)

// running is what a node runs with: its gateway's tuning and its main
// listener's limits, read from the http.Server.
type running struct {
	Gateway config.GatewayTuning
	HTTP    config.HTTPLimits
}

// runNode loads a production node's options from env, builds the node as
// the mains do (FromOptions, New), serves it and returns what it runs
// with.
func runNode(t *testing.T, env map[string]string) running {
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
	return running{Gateway: s.Gateway().Tuning(), HTTP: config.HTTPLimits{
		ReadHeaderTimeout: s.http.ReadHeaderTimeout, ReadTimeout: s.http.ReadTimeout,
		WriteTimeout: s.http.WriteTimeout, IdleTimeout: s.http.IdleTimeout, MaxHeaderBytes: s.http.MaxHeaderBytes,
	}}
}

// offDefaults sets every field of the settings struct v (a pointer) to a
// value of its own off its current one, the k-th onwards, and the
// matching variable in env; it returns the next k.
func offDefaults(t *testing.T, v reflect.Value, env map[string]string, k int) int {
	t.Helper()
	v = v.Elem()
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		name := sf.Tag.Get("env")
		if name == "" {
			t.Fatalf("%s has no variable", sf.Name)
		}
		f := v.Field(i)
		k++
		switch {
		case sf.Type == reflect.TypeOf(time.Duration(0)):
			d := time.Duration(f.Int()) + time.Duration(k)*time.Second
			f.SetInt(int64(d))
			env[name] = d.String()
		case sf.Type.Kind() == reflect.Int:
			n := f.Int() + int64(k)
			f.SetInt(n)
			env[name] = strconv.FormatInt(n, 10)
		case sf.Type.Kind() == reflect.String && sf.Tag.Get("enum") != "":
			// The first allowed value that is not the current one.
			for _, v := range strings.Split(sf.Tag.Get("enum"), ",") {
				if v != f.String() {
					f.SetString(v)
					env[name] = v
					break
				}
			}
		default:
			t.Fatalf("%s: a %s; teach this test its values", sf.Name, sf.Type)
		}
	}
	return k
}

// Every gateway tunable and listener limit set by its variable reaches
// the running node unchanged: a setting added to config.GatewayTuning or
// config.HTTPLimits needs no copy by hand, and one dropped on the way
// (options, node.Config, gateway.Config, http.Server) fails here. Each
// field gets a value of its own, off its default, so a swap of two
// fields fails too.
func TestGatewayTuningReachesTheGateway(t *testing.T) {
	defaults := runNode(t, map[string]string{})
	want := defaults
	env := map[string]string{}
	k := offDefaults(t, reflect.ValueOf(&want.Gateway), env, 1)
	offDefaults(t, reflect.ValueOf(&want.HTTP), env, k)
	got := runNode(t, env)
	if got != want {
		t.Errorf("the node runs with\n%+v\nwant\n%+v\n(defaults %+v)", got, want, defaults)
	}
	for _, s := range [][2]reflect.Value{
		{reflect.ValueOf(got.Gateway), reflect.ValueOf(defaults.Gateway)},
		{reflect.ValueOf(got.HTTP), reflect.ValueOf(defaults.HTTP)},
	} {
		for i := range s[0].NumField() {
			if s[0].Field(i).Interface() == s[1].Field(i).Interface() {
				t.Errorf("%s: still its default %v", s[0].Type().Field(i).Name, s[1].Field(i).Interface())
			}
		}
	}
}

// An option's 0 means no limit, even where the gateway's zero value
// means a default (MaxHubs: 1000).
func TestGatewayTuningZeroIsNoLimit(t *testing.T) {
	got := runNode(t, map[string]string{"HERALD_MAX_HUBS": "0", "HERALD_MAX_ADDRESS_CONNECTIONS": "0", "HERALD_FORWARDED_HOPS": "0"}).Gateway
	if got.MaxHubs != 0 || got.MaxAddressConnections != 0 || got.ForwardedHops != 0 {
		t.Fatalf("0 (no limit, the TCP peer): the gateway runs with %+v", got)
	}
	if d := runNode(t, map[string]string{}).Gateway; d.MaxHubs != 1000 || d.MaxAddressConnections != 1000 || d.ForwardedHops != 1 {
		t.Fatalf("production defaults: the gateway runs with %+v", d)
	}
}

// A library user's zero HTTPLimits gets the documented defaults.
func TestHTTPLimitsDefaults(t *testing.T) {
	want := HTTPLimits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 130 * time.Second, MaxHeaderBytes: 16 << 10}
	if got := (HTTPLimits{ReadTimeout: -time.Second}).withDefaults(); got != want {
		t.Fatalf("defaults: %+v, want %+v", got, want)
	}
}
