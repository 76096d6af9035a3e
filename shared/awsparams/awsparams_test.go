package awsparams_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.uber.org/goleak"

	"github.com/heraldrt/herald/shared/awsparams"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// extension is a local stand-in for the Parameters and Secrets extension's
// HTTP interface (an AWS-side component): it checks the token and serves
// the documented GetSecretValue and GetParameter answer shapes.
func extension(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(awsparams.TokenHeader) != "session-token" {
			http.Error(w, "missing token", http.StatusForbidden)
			return
		}
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/secretsmanager/get" && q.Get("secretId") == "herald/access-keys":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:herald/access-keys-AbCdEf", "Name": "herald/access-keys",
				"SecretString": "k1,k2", "VersionId": "v1", "VersionStages": []string{"AWSCURRENT"},
			})
		case r.URL.Path == "/secretsmanager/get" && q.Get("secretId") == "binary":
			_ = json.NewEncoder(w).Encode(map[string]any{"Name": "binary", "SecretBinary": "AAE="})
		case r.URL.Path == "/systemsmanager/parameters/get" && q.Get("name") == "/herald/keys" && q.Get("withDecryption") == "true":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"Parameter": map[string]any{"Name": "/herald/keys", "Type": "SecureString", "Value": "p1", "Version": 3},
			})
		default:
			http.Error(w, `{"__type":"ResourceNotFoundException"}`, http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T, base, token string) *awsparams.Client {
	t.Helper()
	c, err := awsparams.New(awsparams.Config{BaseURL: base, SessionToken: token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestReads(t *testing.T) {
	srv := extension(t)
	c := client(t, srv.URL, "session-token")
	ctx := context.Background()
	if v, err := c.Secret(ctx, "herald/access-keys"); err != nil || v != "k1,k2" {
		t.Errorf("Secret: %q %v", v, err)
	}
	if v, err := c.Parameter(ctx, "/herald/keys"); err != nil || v != "p1" {
		t.Errorf("Parameter: %q %v", v, err)
	}
}

func TestFailures(t *testing.T) {
	srv := extension(t)
	ctx := context.Background()
	good := client(t, srv.URL, "session-token")
	for name, read := range map[string]func() (string, error){
		"unknown secret": func() (string, error) { return good.Secret(ctx, "nope") },
		"binary secret":  func() (string, error) { return good.Secret(ctx, "binary") },
		"unknown param":  func() (string, error) { return good.Parameter(ctx, "/nope") },
		"wrong token":    func() (string, error) { return client(t, srv.URL, "other").Secret(ctx, "herald/access-keys") },
		"no extension":   func() (string, error) { return client(t, "http://127.0.0.1:1", "session-token").Secret(ctx, "x") },
	} {
		if v, err := read(); !errors.Is(err, awsparams.ErrUnavailable) || v != "" {
			t.Errorf("%s: %q %v, want ErrUnavailable", name, v, err)
		}
	}
	if _, err := awsparams.New(awsparams.Config{}); !errors.Is(err, awsparams.ErrUnavailable) {
		t.Errorf("New without a token: %v", err)
	}
}
