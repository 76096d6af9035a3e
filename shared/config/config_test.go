package config

import (
	"errors"
	"flag"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/diag"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func TestNodeDefaults(t *testing.T) {
	g, err := NodeFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k1, k2"}))
	if err != nil {
		t.Fatal(err)
	}
	if g.Addr != ":8080" || g.Role != "gateway" || g.RedisURL != "redis://127.0.0.1:6379/0" || g.ShutdownTimeout != 25*time.Second ||
		len(g.AccessKeys) != 2 || g.AccessKeys[1] != "k2" || g.MaxMessageBytes != 1<<20 || g.LogFormat != "json" ||
		g.MaxHubs != 1000 || g.MaxAddressConnections != 1000 || g.ForwardedHops != 1 || g.MaxLiveTraceWatchers != 16 ||
		g.HTTP.IdleTimeout != 130*time.Second || g.HTTP.MaxHeaderBytes != 16<<10 || g.MaxDiagnosticConnections != 100 ||
		g.Messaging() != diag.MessagingOff || g.MaxConnections != 0 || g.MetricsEMFInterval != time.Minute {
		t.Fatalf("defaults: %+v", g)
	}
}

// The emulator's defaults are the Development profile's.
func TestNodeDevelopmentDefaults(t *testing.T) {
	var n Node
	if _, err := Load(&n, Development, Sources{}); err != nil {
		t.Fatal(err)
	}
	if n.Addr != "localhost:8888" || n.Role != "all" || n.RedisURL != "" || n.ShutdownTimeout != 10*time.Second ||
		len(n.AccessKeys) != 1 || n.AccessKeys[0] != "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH" ||
		n.LogFormat != "text" || n.MaxAddressConnections != 0 || n.ForwardedHops != 0 || n.MaxHubs != 1000 {
		t.Fatalf("development defaults: %+v", n)
	}
}

func TestNodeConnectionString(t *testing.T) {
	g, err := NodeFromEnv(env(map[string]string{
		"HERALD_CONNECTION_STRING": "Endpoint=https://x.example;AccessKey=secret-key;Version=1.0;",
	}))
	if err != nil || len(g.AccessKeys) != 1 || g.AccessKeys[0] != "secret-key" {
		t.Fatalf("%+v %v", g, err)
	}
}

func TestNodeErrors(t *testing.T) {
	cases := []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{}, "HERALD_ACCESS_KEYS"},
		{map[string]string{"HERALD_CONNECTION_STRING": "nonsense"}, "HERALD_CONNECTION_STRING"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_SHUTDOWN_TIMEOUT": "soon"}, "HERALD_SHUTDOWN_TIMEOUT"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_MAX_MESSAGE_BYTES": "-1"}, "HERALD_MAX_MESSAGE_BYTES"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_PUBLIC_URL": "ftp://x"}, "HERALD_PUBLIC_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_INTERNAL_URL": "10.0.0.7:8080"}, "HERALD_INTERNAL_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "REDIS_URL": "rediss://:secret%zz@redis.internal:6379/0"}, "REDIS_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_TLS_CERT": "/c.pem"}, "HERALD_TLS_KEY"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_CORS_ORIGINS": "app.example"}, "HERALD_CORS_ORIGINS"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_LOG_MESSAGING": "some"}, "HERALD_LOG_MESSAGING"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_LOG_CONNECTIVITY": "maybe"}, "HERALD_LOG_CONNECTIVITY"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_MAX_DIAGNOSTIC_CONNECTIONS": "-1"}, "HERALD_MAX_DIAGNOSTIC_CONNECTIONS"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_MAX_USER_GROUPS": "x"}, "HERALD_MAX_USER_GROUPS"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_ROLE": "everything"}, "HERALD_ROLE"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_LOG_LEVEL": "loud"}, "HERALD_LOG_LEVEL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_CLIENT_TIMEOUT": "10s"}, "HERALD_KEEPALIVE_INTERVAL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_KEEPALIVE_INTERVAL": "30s"}, "HERALD_KEEPALIVE_INTERVAL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_CLIENT_TIMEOUT": "-2s"}, "HERALD_CLIENT_TIMEOUT"},
	}
	for _, name := range []string{"HERALD_HTTP_READ_HEADER_TIMEOUT", "HERALD_HTTP_READ_TIMEOUT", "HERALD_HTTP_WRITE_TIMEOUT",
		"HERALD_HTTP_IDLE_TIMEOUT", "HERALD_HTTP_MAX_HEADER_BYTES", "HERALD_MAX_CONNECTIONS", "HERALD_MAX_USER_CONNECTIONS", "HERALD_NEGOTIATE_RATE"} {
		cases = append(cases, struct {
			env  map[string]string
			name string
		}{map[string]string{"HERALD_ACCESS_KEYS": "k", name: "-3"}, name})
	}
	for _, tc := range cases {
		_, err := NodeFromEnv(env(tc.env))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%v: err %v, want one naming %s", tc.env, err, tc.name)
		}
		if err != nil && (strings.Contains(err.Error(), ":secret") || strings.Contains(err.Error(), "secret-key")) {
			t.Errorf("error leaks a value: %v", err)
		}
	}
}

// With its own certificate the node faces clients: X-Forwarded-For is
// theirs to forge, so no hop is trusted unless one is configured.
func TestNodeForwardedHopsWithTLS(t *testing.T) {
	g, err := NodeFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_TLS_CERT": "/c.pem", "HERALD_TLS_KEY": "/k.pem"}))
	if err != nil || g.ForwardedHops != 0 || g.TLSCert != "/c.pem" {
		t.Fatalf("%+v %v", g, err)
	}
	g, err = NodeFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_TLS_CERT": "/c.pem", "HERALD_TLS_KEY": "/k.pem", "HERALD_FORWARDED_HOPS": "2"}))
	if err != nil || g.ForwardedHops != 2 {
		t.Fatalf("%+v %v", g, err)
	}
}

// Precedence: defaults < options file < environment < flags.
func TestPrecedence(t *testing.T) {
	file := []byte(`{"max-user-connections": 5, "max-connections": 50, "negotiate-rate": 7, "cors-origins": ["https://a.example", "https://b.example"], "HERALD_LOG_HTTP": true}`)
	read := func(p string) ([]byte, error) {
		if p != "opts.json" {
			t.Fatalf("read %q", p)
		}
		return file, nil
	}
	var n Node
	_, err := Load(&n, Development, Sources{
		Args:     []string{"--max-connections", "500", "--options-file", "opts.json"},
		Getenv:   env(map[string]string{"HERALD_MAX_CONNECTIONS": "100", "HERALD_NEGOTIATE_RATE": "70"}),
		ReadFile: read,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n.MaxUserConnections != 5 || n.NegotiateRate != 70 || n.MaxConnections != 500 || len(n.CORSOrigins) != 2 || !n.LogHTTP || n.MaxHubs != 1000 {
		t.Fatalf("file 5, env 70, flag 500, default 1000: %+v", n)
	}
	// The file is named by the variable too.
	n = Node{}
	if _, err := Load(&n, Development, Sources{Getenv: env(map[string]string{"HERALD_OPTIONS_FILE": "opts.json"}), ReadFile: read}); err != nil || n.MaxUserConnections != 5 {
		t.Fatalf("HERALD_OPTIONS_FILE: %+v %v", n, err)
	}
}

// Every flag has its variable and both fill the same field the same way;
// the old flag names (aliases) keep working.
func TestFlagsAndVariablesAgree(t *testing.T) {
	for _, f := range fieldsOf(reflect.TypeOf(Node{})) {
		if f.env == "" || len(f.flags) == 0 || f.key() == optionsFileKey {
			continue
		}
		raw := map[reflect.Kind]string{reflect.Bool: "true", reflect.Int: "7", reflect.Int64: "7s", reflect.Slice: "https://a.example", reflect.String: "x"}[f.typ.Kind()]
		if len(f.enum) > 0 {
			raw = f.enum[0]
		}
		if f.env == "HERALD_LOG_MESSAGING" {
			raw = "all"
		}
		if f.env == "HERALD_CLIENT_TIMEOUT" {
			raw = "60s" // above the default keep-alive interval, which it must be
		}
		if strings.HasSuffix(f.env, "_URL") || f.env == "ECS_CONTAINER_METADATA_URI_V4" {
			raw = "http://h.example"
		}
		if f.env == "HERALD_CONNECTION_STRING" {
			raw = "Endpoint=http://h.example;AccessKey=k;Version=1.0;"
		}
		vars, args := map[string]string{f.env: raw}, []string{}
		if pair := map[string]string{"HERALD_TLS_CERT": "tls-key", "HERALD_TLS_KEY": "tls-cert"}[f.env]; pair != "" {
			vars["HERALD_"+strings.ToUpper(strings.ReplaceAll(pair, "-", "_"))] = "p.pem"
			args = append(args, "--"+pair+"=p.pem")
		}
		var byEnv Node
		_, errEnv := Load(&byEnv, Development, Sources{Getenv: env(vars)})
		for _, name := range f.flags {
			var byFlag Node
			_, errFlag := Load(&byFlag, Development, Sources{Args: append([]string{"--" + name + "=" + raw}, args...)})
			if errEnv != nil || errFlag != nil || !reflect.DeepEqual(byEnv, byFlag) {
				t.Errorf("%s=%s and --%s=%s differ: %v %v\n%+v\n%+v", f.env, raw, name, raw, errEnv, errFlag, byEnv, byFlag)
			}
		}
	}
}

// A variable shared by both families has the same flags and type in both,
// so the two cannot drift.
func TestFamiliesAgree(t *testing.T) {
	node := map[string]field{}
	for _, f := range fieldsOf(reflect.TypeOf(Node{})) {
		node[f.env] = f
	}
	shared := 0
	for _, f := range fieldsOf(reflect.TypeOf(Functions{})) {
		n, ok := node[f.env]
		if !ok || f.env == "" {
			continue
		}
		shared++
		if !reflect.DeepEqual(n.flags, f.flags) || n.typ != f.typ || n.secret != f.secret {
			t.Errorf("%s: node %v %s, functions %v %s", f.env, n.flags, n.typ, f.flags, f.typ)
		}
	}
	if shared < 10 {
		t.Fatalf("only %d shared variables", shared)
	}
}

// A HERALD_* variable no setting reads is reported with the closest name;
// one of the other family says so.
func TestUnknownVariables(t *testing.T) {
	var n Node
	res, err := Load(&n, Development, Sources{Environ: []string{
		"HERALD_MAX_USER_CONECTIONS=5", "HERALD_ACCESS_KEYS_SECRET=arn", "HERALD_ADDR=127.0.0.1:0", "PATH=/bin", "REDIS_URLS=x",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 2 || !strings.Contains(res.Warnings[0], "HERALD_ACCESS_KEYS_SECRET") || !strings.Contains(res.Warnings[0], "functions") ||
		!strings.Contains(res.Warnings[1], "HERALD_MAX_USER_CONECTIONS") || !strings.Contains(res.Warnings[1], "closest: HERALD_MAX_USER_CONNECTIONS") {
		t.Fatalf("warnings %q", res.Warnings)
	}
	if n.Addr != "127.0.0.1:0" {
		t.Fatalf("Environ is read when Getenv is nil: %+v", n)
	}
}

func TestOptionsFileErrors(t *testing.T) {
	for file, want := range map[string]string{
		`{"max-user-conections": 5}`: `closest: "max-user-connections"`,
		`{"max-hubs": "many"}`:       "max-hubs",
		`[1]`:                        "not a JSON object",
		`{"claims": [1]}`:            "claims",
		`{"options-file": "x.json"}`: "not a setting",
		`{"app-secret": {"a": "b"}}`: "app-secret",
		`{"access-key": "k", "HERALD_MAX_USER_GROUPS": -1}`: "HERALD_MAX_USER_GROUPS",
	} {
		var n Node
		_, err := Load(&n, Development, Sources{Args: []string{"--options-file=f.json"}, ReadFile: func(string) ([]byte, error) { return []byte(file), nil }})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want ErrInvalid naming %s", file, err, want)
		}
	}
	var n Node
	if _, err := Load(&n, Development, Sources{Args: []string{"--options-file=/nonexistent/f.json"}}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFlagErrors(t *testing.T) {
	var n Node
	if _, err := Load(&n, Development, Sources{Args: []string{"--max-hubs=-1"}}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "max-hubs") {
		t.Errorf("bad value: %v", err)
	}
	if _, err := Load(&n, Development, Sources{Args: []string{"--nonsense"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown flag: %v", err)
	}
	if _, err := Load(&n, Development, Sources{Args: []string{"-h"}}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("help: %v", err)
	}
	if _, err := Load(&Node{}, Development, Sources{Args: []string{"--redis=rediss://:secret%zz@h"}}); err == nil || strings.Contains(err.Error(), ":secret") {
		t.Errorf("secret in flag error: %v", err)
	}
	n = Node{}
	res, err := Load(&n, Development, Sources{Args: []string{"--log-json", "rest", "x"}})
	if err != nil || n.LogFormat != "json" || strings.Join(res.Args, " ") != "rest x" {
		t.Errorf("--log-json and positional arguments: %+v %v %v", n, res, err)
	}
}

func TestLogger(t *testing.T) {
	var b strings.Builder
	l, err := Logger(&b, "warn", "text")
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hidden")
	l.Warn("shown")
	if strings.Contains(b.String(), "hidden") || !strings.Contains(b.String(), "shown") {
		t.Fatalf("log output %q", b.String())
	}
	if _, err := Logger(&b, "loud", "json"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad level: %v", err)
	}
}
