package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFunctionsDefaults(t *testing.T) {
	f, err := FunctionsFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS_SECRET": "arn:aws:secretsmanager:us-east-1:1:secret:k"}))
	if err != nil {
		t.Fatal(err)
	}
	if f.RedisURL != "redis://127.0.0.1:6379/0" || f.RedisPrefix != "herald" || f.TokenLifetime != time.Hour ||
		f.RedisURLSecret != "" || f.PublicURL != "" || len(f.AccessKeys) != 0 {
		t.Fatalf("defaults: %+v", f)
	}
}

func TestFunctionsConnectionString(t *testing.T) {
	f, err := FunctionsFromEnv(env(map[string]string{
		"HERALD_CONNECTION_STRING": "Endpoint=http://localhost;Port=8888;AccessKey=the-key;Version=1.0;",
	}))
	if err != nil || len(f.AccessKeys) != 1 || f.AccessKeys[0] != "the-key" || f.PublicURL != "http://localhost:8888/" {
		t.Fatalf("%+v %v", f, err)
	}
}

func TestFunctionsErrors(t *testing.T) {
	cases := []struct {
		env  map[string]string
		name string
	}{
		{map[string]string{}, "HERALD_ACCESS_KEYS"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_ACCESS_KEYS_SECRET": "s"}, "HERALD_ACCESS_KEYS"},
		{map[string]string{"HERALD_ACCESS_KEYS_SECRET": "s", "HERALD_ACCESS_KEYS_PARAMETER": "p"}, "HERALD_ACCESS_KEYS"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_PUBLIC_URL": "signalr.example.com"}, "HERALD_PUBLIC_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_TOKEN_LIFETIME": "1 hour"}, "HERALD_TOKEN_LIFETIME"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_APP_SECRET": "s", "HERALD_APP_JWKS_URL": "https://x/jwks"}, "HERALD_APP_SECRET"},
		{map[string]string{"HERALD_CONNECTION_STRING": "garbage-secret"}, "HERALD_CONNECTION_STRING"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "REDIS_URL": "rediss://:secret%zz@redis.internal:6379/0"}, "REDIS_URL"},
		{map[string]string{"HERALD_ACCESS_KEYS": "k", "REDIS_URL": "rediss+cluster://:secret@h1:6379,:secret@h 2:6379"}, "REDIS_URL"},
	}
	for _, tc := range cases {
		_, err := FunctionsFromEnv(env(tc.env))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%v: err %v, want one naming %s", tc.env, err, tc.name)
		}
		if err != nil && (strings.Contains(err.Error(), ":secret") || strings.Contains(err.Error(), "garbage")) {
			t.Errorf("error leaks a value: %v", err)
		}
	}
}

func TestFunctionsSafeDefaults(t *testing.T) {
	f, err := FunctionsFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k"}))
	if err != nil || f.AllowAnonymousNegotiate || len(f.CORSOrigins) != 0 {
		t.Fatalf("anonymous negotiate and CORS must be off by default: %+v %v", f, err)
	}
	f, err = FunctionsFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k",
		"HERALD_ALLOW_ANONYMOUS_NEGOTIATE": "true", "HERALD_CORS_ORIGINS": "https://a.example, http://localhost:3000"}))
	if err != nil || !f.AllowAnonymousNegotiate || len(f.CORSOrigins) != 2 {
		t.Fatalf("%+v %v", f, err)
	}
	for k, v := range map[string]string{"HERALD_ALLOW_ANONYMOUS_NEGOTIATE": "perhaps", "HERALD_CORS_ORIGINS": "*,https://a.example"} {
		_, err := FunctionsFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", k: v}))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
}

func TestFunctionsRedisURLSecret(t *testing.T) {
	f, err := FunctionsFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_REDIS_URL_SECRET": "arn:aws:secretsmanager:us-east-1:1:secret:redis"}))
	if err != nil || f.RedisURLSecret == "" {
		t.Fatalf("%+v %v", f, err)
	}
	_, err = FunctionsFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_REDIS_URL_SECRET": "s", "REDIS_URL": "redis://x:6379/0"}))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "HERALD_REDIS_URL_SECRET") {
		t.Errorf("both set: %v", err)
	}
}
