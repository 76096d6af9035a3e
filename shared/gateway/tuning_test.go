package gateway

import (
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/config"
)

// The exported Default* constants document what WithDefaults applies,
// which comes from config.GatewayTuning's tags: they must agree.
func TestDefaultsAreTheTags(t *testing.T) {
	d := config.GatewayTuning{}.WithDefaults()
	for name, c := range map[string][2]int64{
		"BusTimeout":               {int64(d.BusTimeout), int64(DefaultBusTimeout)},
		"MaxHubs":                  {int64(d.MaxHubs), DefaultMaxHubs},
		"InvokeTimeout":            {int64(d.InvokeTimeout), int64(DefaultInvokeTimeout)},
		"MaxConnectionInvocations": {int64(d.MaxConnectionInvocations), DefaultMaxConnectionInvocations},
		"MaxInvocations":           {int64(d.MaxInvocations), DefaultMaxInvocations},
		"MaxConnectionStreams":     {int64(d.MaxConnectionStreams), DefaultMaxConnectionStreams},
		"MaxDiagnosticConnections": {int64(d.MaxDiagnosticConnections), DefaultMaxDiagnosticConnections},
	} {
		if c[0] != c[1] {
			t.Errorf("%s: WithDefaults gives %d, the constant says %d", name, c[0], c[1])
		}
	}
}

// A library user's zero Config gets what the gateway always defaulted
// to; a negative MaxHubs is no limit; a negative duration is the default.
func TestConfigTuningDefaults(t *testing.T) {
	var c Config
	c.BusTimeout = -time.Second
	c.MaxAddressConnections = 0
	s, err := New(Config{Keys: []string{testKey}, Bus: registryOnly{}, GatewayTuning: c.GatewayTuning})
	if err != nil {
		t.Fatal(err)
	}
	want := config.GatewayTuning{
		ConnectWindow: 15 * time.Second, MaxMessageBytes: 1 << 20, MaxHubs: 1000,
		InvokeTimeout: 30 * time.Second, MaxConnectionInvocations: 16, MaxInvocations: 10000,
		MaxConnectionStreams: 16, BusTimeout: 5 * time.Second, MaxDiagnosticConnections: 100,
		StatefulReconnect: "on", StatefulReconnectWindow: 30 * time.Second, StatefulBufferBytes: 100000,
	}
	if got := s.Tuning(); got != want {
		t.Fatalf("defaults:\n got %+v\nwant %+v", got, want)
	}
	s, err = New(Config{Keys: []string{testKey}, Bus: registryOnly{}, GatewayTuning: config.GatewayTuning{MaxHubs: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Tuning().MaxHubs != 0 {
		t.Fatalf("MaxHubs -1: %d, want 0 (no limit)", s.Tuning().MaxHubs)
	}
}
