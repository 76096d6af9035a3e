package lambdafn_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/awsparams"
	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/token"
)

// extension stands in for the Parameters and Secrets extension (an
// AWS-side component): the secret "keys" holds value; the first `fail`
// reads answer 500, as while the extension cannot reach Secrets Manager.
func extension(t *testing.T, value string, fail int32) (port int, reads *atomic.Int32) {
	t.Helper()
	reads = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := reads.Add(1)
		switch {
		case r.Header.Get(awsparams.TokenHeader) != "tok":
			http.Error(w, "no token", http.StatusForbidden)
		case n <= fail:
			http.Error(w, "upstream error", http.StatusInternalServerError)
		case r.URL.Path == "/secretsmanager/get" && r.URL.Query().Get("secretId") == "keys":
			_ = json.NewEncoder(w).Encode(map[string]string{"Name": "keys", "SecretString": value})
		case r.URL.Path == "/systemsmanager/parameters/get" && r.URL.Query().Get("name") == "/keys":
			_ = json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]string{"Value": value}})
		default:
			http.Error(w, "not found", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	port, err := strconv.Atoi(srv.URL[strings.LastIndexByte(srv.URL, ':')+1:])
	if err != nil {
		t.Fatal(err)
	}
	return port, reads
}

func TestKeys(t *testing.T) {
	port, _ := extension(t, " k1 , k2 ", 0)
	emptyPort, _ := extension(t, " , ", 0)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		cfg  config.Functions
		want string
	}{
		"env":       {config.Functions{AccessKeys: []string{"e1"}}, "e1"},
		"secret":    {config.Functions{AccessKeysSecret: "keys", ExtensionPort: port, SessionToken: "tok"}, "k1,k2"},
		"parameter": {config.Functions{AccessKeysParameter: "/keys", ExtensionPort: port, SessionToken: "tok"}, "k1,k2"},
	} {
		keys, err := lambdafn.Keys(ctx, tc.cfg)
		if err != nil || strings.Join(keys, ",") != tc.want {
			t.Errorf("%s: %q %v, want %s", name, keys, err, tc.want)
		}
	}
	if _, err := lambdafn.Keys(ctx, config.Functions{AccessKeysSecret: "keys", ExtensionPort: emptyPort, SessionToken: "tok"}); !errors.Is(err, lambdafn.ErrNoKeys) {
		t.Errorf("empty secret: %v, want ErrNoKeys", err)
	}
	if _, err := lambdafn.Keys(ctx, config.Functions{AccessKeysSecret: "other", ExtensionPort: port, SessionToken: "tok"}); !errors.Is(err, awsparams.ErrUnavailable) {
		t.Errorf("unknown secret: %v, want ErrUnavailable", err)
	}
}

// serve sends one request through h and returns status, error code and body.
func serve(t *testing.T, h http.Handler, r *http.Request) (int, string, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Code, w.Header().Get("x-ms-error-code"), string(body)
}

func newFunction(t *testing.T, name string, cfg config.Functions) *lambdafn.Function {
	t.Helper()
	f, err := lambdafn.New(name, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

// The negotiate function reads its key at the first request, answers 503
// and retries while it cannot, then hands out the public URL once a
// gateway node is alive on the same Redis.
func TestNegotiateFunction(t *testing.T) {
	port, reads := extension(t, "secret-key-1", 1)
	redisURL, prefix := redistest.Addr(t), redistest.KeyPrefix(t)
	f := newFunction(t, lambdafn.Negotiate, config.Functions{
		AccessKeysSecret: "keys", ExtensionPort: port, SessionToken: "tok",
		RedisURL: redisURL, RedisPrefix: prefix, PublicURL: "https://signalr.example.com",
		TokenLifetime: time.Hour,
	})
	negotiate := func() (int, string, string) {
		return serve(t, f.Handler, httptest.NewRequest(http.MethodPost, "/api/negotiate?hub=chat", nil))
	}
	if status, code, _ := negotiate(); status != http.StatusServiceUnavailable || code != "Error.Service.Unavailable" {
		t.Fatalf("while the extension fails: %d %s, want 503", status, code)
	}
	if status, _, body := negotiate(); status != http.StatusServiceUnavailable || !strings.Contains(body, httpapi.ErrTextNoGateway) {
		t.Fatalf("no gateway: %d %s, want 503 %q", status, body, httpapi.ErrTextNoGateway)
	}
	client, err := redisbus.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	gw, err := redisbus.New(redisbus.Config{Client: client, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	// The node records itself alive with its first heartbeat.
	status, _, body := negotiate()
	for deadline := time.Now().Add(10 * time.Second); status != http.StatusOK && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		status, _, body = negotiate()
	}
	var info struct{ URL, AccessToken string }
	if err := json.Unmarshal([]byte(body), &info); status != http.StatusOK || err != nil ||
		info.URL != "https://signalr.example.com/client/?hub=chat" {
		t.Fatalf("negotiate: %d %s, want 200 with the public URL", status, body)
	}
	v, err := token.NewVerifier(token.VerifierConfig{Keys: []string{"secret-key-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(info.AccessToken, token.Audience{Path: "/client/", Hub: "chat", Hosts: []string{"signalr.example.com"}}); err != nil {
		t.Errorf("access token not signed with the secret's key for the public audience: %v", err)
	}
	if n := reads.Load(); n != 2 {
		t.Errorf("the extension was read %d times, want 2 (one failure, then once for good)", n)
	}
}

// The api function serves health and REST calls signed with any key of
// HERALD_ACCESS_KEYS. A send needs a live gateway node: with none, the
// bus refuses it (503), since nobody could receive it (redisbus,
// "Durability").
func TestAPIFunction(t *testing.T) {
	redisURL, prefix := redistest.Addr(t), redistest.KeyPrefix(t)
	f := newFunction(t, lambdafn.API, config.Functions{
		AccessKeys: []string{"new-key", "old-key"}, RedisURL: redisURL, RedisPrefix: prefix,
	})
	if status, _, body := serve(t, f.Handler, httptest.NewRequest(http.MethodGet, "/api/health", nil)); status != http.StatusOK {
		t.Fatalf("health: %d %s", status, body)
	}
	iss, err := token.NewIssuer(token.IssuerConfig{Key: "old-key"})
	if err != nil {
		t.Fatal(err)
	}
	const target = "https://herald.example.net/api/hubs/chat/:send?api-version=2022-06-01"
	tok, err := iss.Issue(target, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	send := func() (int, string, string) {
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"target":"recv","arguments":["x"]}`))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/json")
		return serve(t, f.Handler, r)
	}
	if status, code, body := send(); status != http.StatusServiceUnavailable || code != "Error.Service.Unavailable" {
		t.Fatalf("send with no gateway: %d %s, want 503", status, body)
	}
	client, err := redisbus.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	gw, err := redisbus.New(redisbus.Config{Client: client, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	// Register returns after the node's first heartbeat.
	if _, err := gw.Register(t.Context(), bus.Conn{Hub: "chat", ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	defer gw.Unregister(context.Background(), "chat", "c1")
	if status, _, body := send(); status != http.StatusAccepted {
		t.Fatalf("send: %d %s, want 202", status, body)
	}
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(`{"target":"recv","arguments":[]}`))
	if status, _, _ := serve(t, f.Handler, r); status != http.StatusUnauthorized {
		t.Errorf("send without a token: %d, want 401", status)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := lambdafn.New("nope", config.Functions{}, nil); !errors.Is(err, lambdafn.ErrUnknown) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := lambdafn.New(lambdafn.ChatHub, config.Functions{AccessKeys: []string{"k"}}, nil); err == nil ||
		!strings.Contains(err.Error(), "HERALD_PUBLIC_URL") {
		t.Errorf("chat hub without a public URL: %v", err)
	}
	if _, err := lambdafn.New(lambdafn.API, config.Functions{RedisURL: "http://not-redis"}, nil); err == nil ||
		!strings.Contains(err.Error(), "REDIS_URL") {
		t.Errorf("bad REDIS_URL: %v", err)
	}
	// A URL that does not parse must not reach the logs with its password.
	for _, u := range []string{"rediss://:s3cret%zz@redis.internal:6379/0", "rediss+cluster://:s3cret@h1:6379,:s3cret@h 2:6379"} {
		if _, err := lambdafn.New(lambdafn.API, config.Functions{RedisURL: u}, nil); err == nil ||
			!strings.Contains(err.Error(), "REDIS_URL") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("unparsable REDIS_URL: %v", err)
		}
	}
}
