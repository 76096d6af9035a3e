package lambdafn_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/heraldrt/herald/shared/awsparams"
	"github.com/heraldrt/herald/shared/awstest"
	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/bus/redisbus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/shared/token"
)

// secrets starts moto (Secrets Manager and SSM, an AWS-side component),
// points the SDK at it through the environment as Lambda would, and
// returns a function that creates a secret and one that creates a
// SecureString parameter.
func secrets(t *testing.T) (putSecret func(name, value string), putParameter func(name, value string)) {
	t.Helper()
	srv := awstest.Start(t)
	srv.Env(t)
	cfg := srv.Config()
	ctx := awstest.Context(t)
	putSecret = func(name, value string) {
		t.Helper()
		if _, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
	}
	putParameter = func(name, value string) {
		t.Helper()
		if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
			t.Fatal(err)
		}
	}
	return putSecret, putParameter
}

func TestKeys(t *testing.T) {
	putSecret, putParameter := secrets(t)
	putSecret("keys", " k1 , k2 ")
	putSecret("empty", " , ")
	putParameter("/keys", "k1,k2")
	ctx := context.Background()
	for name, tc := range map[string]struct {
		cfg  config.Functions
		want string
	}{
		"env":       {config.Functions{AccessKeys: []string{"e1"}}, "e1"},
		"secret":    {config.Functions{AccessKeysSecret: "keys"}, "k1,k2"},
		"parameter": {config.Functions{AccessKeysParameter: "/keys"}, "k1,k2"},
	} {
		keys, err := lambdafn.Keys(ctx, tc.cfg)
		if err != nil || strings.Join(keys, ",") != tc.want {
			t.Errorf("%s: %q %v, want %s", name, keys, err, tc.want)
		}
	}
	if _, err := lambdafn.Keys(ctx, config.Functions{AccessKeysSecret: "empty"}); !errors.Is(err, lambdafn.ErrNoKeys) {
		t.Errorf("empty secret: %v, want ErrNoKeys", err)
	}
	if _, err := lambdafn.Keys(ctx, config.Functions{AccessKeysSecret: "other"}); !errors.Is(err, awsparams.ErrUnavailable) {
		t.Errorf("unknown secret: %v, want ErrUnavailable", err)
	}
}

// The Redis URL comes from its secret (HERALD_REDIS_URL_SECRET); a missing
// secret stops the cold start without quoting any URL.
func TestRedisURLSecret(t *testing.T) {
	putSecret, _ := secrets(t)
	redisURL := redistest.Addr(t)
	putSecret("redis-url", redisURL+"\n")
	f := newFunction(t, lambdafn.API, config.Functions{AccessKeys: []string{"k"}, RedisURLSecret: "redis-url", RedisPrefix: redistest.KeyPrefix(t)})
	if status, _, body := serve(t, f.Handler, httptest.NewRequest(http.MethodGet, "/api/health", nil)); status != http.StatusOK {
		t.Fatalf("health with the secret's Redis: %d %s", status, body)
	}
	if _, err := lambdafn.New(lambdafn.API, config.Functions{AccessKeys: []string{"k"}, RedisURLSecret: "missing"}, nil); !errors.Is(err, awsparams.ErrUnavailable) ||
		!strings.Contains(err.Error(), "HERALD_REDIS_URL_SECRET") {
		t.Errorf("missing Redis secret: %v", err)
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
// and retries while it cannot (the secret does not exist yet), then hands
// out the public URL once a gateway node is alive on the same Redis.
func TestNegotiateFunction(t *testing.T) {
	putSecret, _ := secrets(t)
	redisURL, prefix := redistest.Addr(t), redistest.KeyPrefix(t)
	f := newFunction(t, lambdafn.Negotiate, config.Functions{
		AccessKeysSecret: "keys",
		RedisURL:         redisURL, RedisPrefix: prefix, PublicURL: "https://signalr.example.com",
		TokenLifetime: time.Hour, AllowAnonymousNegotiate: true,
	})
	negotiate := func() (int, string, string) {
		return serve(t, f.Handler, httptest.NewRequest(http.MethodPost, "/api/negotiate?hub=chat", nil))
	}
	if status, code, _ := negotiate(); status != http.StatusServiceUnavailable || code != "Error.Service.Unavailable" {
		t.Fatalf("while the secret is missing: %d %s, want 503", status, code)
	}
	putSecret("keys", "secret-key-1")
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
	var status int
	var body string
	testsupport.Until(10*time.Second, func() bool {
		status, _, body = negotiate()
		return status == http.StatusOK
	})
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
	liveGateway(t, redisURL, prefix, "chat")
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
	// Negotiate does not start open by accident: app authentication or the explicit opt-out.
	if _, err := lambdafn.New(lambdafn.Negotiate, config.Functions{AccessKeys: []string{"k"}}, nil); !errors.Is(err, lambdafn.ErrAnonymousNegotiate) {
		t.Errorf("anonymous negotiate without the opt-out: %v, want ErrAnonymousNegotiate", err)
	}
	if _, err := lambdafn.New(lambdafn.Negotiate, config.Functions{AccessKeys: []string{"k"}, AllowAnonymousNegotiate: true, CORSOrigins: []string{"*", "https://a.example"}}, nil); !errors.Is(err, httpapi.ErrCORSOrigin) {
		t.Errorf("bad CORS origins: %v, want ErrCORSOrigin", err)
	}
	for _, cfg := range []config.Functions{
		{AccessKeys: []string{"k"}, AppSecret: "s", RedisURL: "redis://127.0.0.1:1/0"},
		{AccessKeys: []string{"k"}, AllowAnonymousNegotiate: true, RedisURL: "redis://127.0.0.1:1/0"},
	} {
		f, err := lambdafn.New(lambdafn.Negotiate, cfg, nil)
		if err != nil {
			t.Errorf("%+v: %v", cfg, err)
			continue
		}
		_ = f.Close()
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

// The api function's default body limit fits the load balancer's 1 MB
// Lambda body limit even base64-encoded: a body over it gets Herald's 413
// (the ALB would pass a JSON body up to 1,000,000 bytes, and the old
// 1 MiB limit let bodies through that the ALB refuses itself).
func TestAPIFunctionBodyLimit(t *testing.T) {
	redisURL, prefix := redistest.Addr(t), redistest.KeyPrefix(t)
	cfg, err := config.FunctionsFromEnv(func(k string) string {
		return map[string]string{"HERALD_ACCESS_KEYS": "key", "REDIS_URL": redisURL, "HERALD_REDIS_PREFIX": prefix}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(cfg.MaxBodyBytes); (limit+2)/3*4 > 1_000_000 {
		t.Fatalf("default limit %d: base64-encoded it exceeds the ALB's 1,000,000 bytes", limit)
	}
	f := newFunction(t, lambdafn.API, cfg)
	// A live gateway node: without one the Redis bus refuses sends (503).
	liveGateway(t, redisURL, prefix, "chat")
	iss, err := token.NewIssuer(token.IssuerConfig{Key: "key"})
	if err != nil {
		t.Fatal(err)
	}
	const target = "https://herald.example.net/api/hubs/chat/:send?api-version=2022-06-01"
	tok, err := iss.Issue(target, nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	send := func(size int) (int, string, string) {
		body := `{"target":"recv","arguments":["` + strings.Repeat("x", size-len(`{"target":"recv","arguments":[""]}`)) + `"]}`
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		r.Header.Set("Content-Type", "application/json")
		return serve(t, f.Handler, r)
	}
	if status, _, body := send(httpapi.ALBMaxBodyBytes); status != http.StatusAccepted {
		t.Fatalf("a body at the limit: %d %s, want 202", status, body)
	}
	status, code, body := send(900_000)
	if status != http.StatusRequestEntityTooLarge || code != "Error.Request.TooLarge" || !strings.Contains(body, "750000 bytes") {
		t.Fatalf("a 900,000-byte body (under the ALB's limit): %d %s %s, want Herald's 413 naming the limit", status, code, body)
	}
}

// liveGateway runs a gateway node on the Redis at redisURL under prefix
// holding one connection in hub, until t ends. Register returns after the
// node's first heartbeat.
func liveGateway(t *testing.T, redisURL, prefix, hub string) {
	t.Helper()
	client, err := redisbus.NewClient(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	gw, err := redisbus.New(redisbus.Config{Client: client, KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close() })
	if _, err := gw.Register(t.Context(), bus.Conn{Hub: hub, ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Unregister(context.Background(), hub, "c1") })
}
