package config

import (
	"errors"
	"strings"
	"testing"
)

func TestGatewayQuotas(t *testing.T) {
	g, err := GatewayFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k"}))
	if err != nil || g.MaxConnections != 0 || g.MaxUserConnections != 0 || g.NegotiateRate != 0 {
		t.Fatalf("quotas must be off by default: %+v %v", g, err)
	}
	g, err = GatewayFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k",
		"HERALD_MAX_CONNECTIONS": "1000", "HERALD_MAX_USER_CONNECTIONS": "5", "HERALD_NEGOTIATE_RATE": "400"}))
	if err != nil || g.MaxConnections != 1000 || g.MaxUserConnections != 5 || g.NegotiateRate != 400 {
		t.Fatalf("%+v %v", g, err)
	}
	for _, name := range []string{"HERALD_MAX_CONNECTIONS", "HERALD_MAX_USER_CONNECTIONS", "HERALD_NEGOTIATE_RATE"} {
		_, err := GatewayFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", name: "-3"}))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=-3: %v", name, err)
		}
	}
}

func TestGatewayTLS(t *testing.T) {
	g, err := GatewayFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_TLS_CERT": "/c.pem", "HERALD_TLS_KEY": "/k.pem"}))
	if err != nil || g.TLSCert != "/c.pem" || g.TLSKey != "/k.pem" {
		t.Fatalf("%+v %v", g, err)
	}
	_, err = GatewayFromEnv(env(map[string]string{"HERALD_ACCESS_KEYS": "k", "HERALD_TLS_CERT": "/c.pem"}))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "HERALD_TLS_KEY") {
		t.Fatalf("certificate without key: %v", err)
	}
}

func TestLimits(t *testing.T) {
	l, err := LimitsFromEnv(env(map[string]string{}))
	if err != nil || l.MaxHubs != 1000 || l.MaxAddressConnections != 1000 || l.ForwardedHops != 1 ||
		l.MaxLiveTraceWatchers != 16 || l.MaxConnectionGroups != 1000 || l.MaxUserGroups != 1000 {
		t.Fatalf("defaults: %+v %v", l, err)
	}
	l, err = LimitsFromEnv(env(map[string]string{"HERALD_TLS_CERT": "/c.pem", "HERALD_MAX_CONNECTION_GROUPS": "0", "HERALD_MAX_HUBS": "5"}))
	if err != nil || l.ForwardedHops != 0 || l.MaxHubs != 5 || l.GroupLimits().PerConnection != -1 || l.GroupLimits().PerUser != 1000 {
		t.Fatalf("%+v %v", l, err)
	}
	_, err = LimitsFromEnv(env(map[string]string{"HERALD_MAX_USER_GROUPS": "x"}))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "HERALD_MAX_USER_GROUPS") {
		t.Fatalf("bad value: %v", err)
	}
}
