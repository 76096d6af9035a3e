package connstr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/connstr"
)

const emulator = "Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;"

func TestParseValid(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		endpoint string
		key      string
		version  string
		port     int
		client   string
		server   string
		audience string
		authType string
	}{
		{
			name:     "emulator",
			in:       emulator,
			endpoint: "http://localhost",
			key:      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH",
			version:  "1.0",
			port:     8888,
			client:   "http://localhost:8888/",
			server:   "http://localhost:8888/",
			audience: "http://localhost/",
		},
		{
			name:     "azure",
			in:       "Endpoint=https://herald.service.signalr.net;AccessKey=abc+/=;Version=1.0;",
			endpoint: "https://herald.service.signalr.net",
			key:      "abc+/=",
			version:  "1.0",
			client:   "https://herald.service.signalr.net/",
			server:   "https://herald.service.signalr.net/",
			audience: "https://herald.service.signalr.net/",
		},
		{
			name:     "keys case-insensitive, values trimmed, trailing slash",
			in:       " ENDPOINT = https://aaa/ ; accesskey = bbb ",
			endpoint: "https://aaa",
			key:      "bbb",
			client:   "https://aaa/",
			server:   "https://aaa/",
			audience: "https://aaa/",
		},
		{
			name:     "empty segments and unknown keys ignored",
			in:       ";;Endpoint=http://aaa:7071;;AccessKey=k;ClientId=x;junk;",
			endpoint: "http://aaa:7071",
			key:      "k",
			client:   "http://aaa:7071/",
			server:   "http://aaa:7071/",
			audience: "http://aaa/",
		},
		{
			name:     "port overrides endpoint port",
			in:       "Endpoint=http://aaa:1234;Port=5678;AccessKey=k",
			endpoint: "http://aaa:1234",
			key:      "k",
			port:     5678,
			client:   "http://aaa:5678/",
			server:   "http://aaa:5678/",
			audience: "http://aaa/",
		},
		{
			name:     "default port omitted",
			in:       "Endpoint=https://AAA.example;Port=443;AccessKey=k",
			endpoint: "https://AAA.example",
			key:      "k",
			port:     443,
			client:   "https://aaa.example/",
			server:   "https://aaa.example/",
			audience: "https://aaa.example/",
		},
		{
			name:     "client and server endpoints",
			in:       "Endpoint=http://aaa;Port=8080;AccessKey=k;ClientEndpoint=https://gw.example/prod;ServerEndpoint=http://internal:9000/",
			endpoint: "http://aaa",
			key:      "k",
			port:     8080,
			client:   "https://gw.example/prod/",
			server:   "http://internal:9000/",
			audience: "http://aaa/",
		},
		{
			name:     "version with suffix",
			in:       "Endpoint=http://aaa;AccessKey=k;Version=1.1-preview",
			endpoint: "http://aaa",
			key:      "k",
			version:  "1.1-preview",
			client:   "http://aaa/",
			server:   "http://aaa/",
			audience: "http://aaa/",
		},
		{
			name:     "auth type without access key",
			in:       "Endpoint=https://aaa;AuthType=aad;ClientId=foo",
			endpoint: "https://aaa",
			authType: "aad",
			client:   "https://aaa/",
			server:   "https://aaa/",
			audience: "https://aaa/",
		},
		{
			name:     "ipv6",
			in:       "Endpoint=http://[::1]:80;Port=8888;AccessKey=k",
			endpoint: "http://[::1]:80",
			key:      "k",
			port:     8888,
			client:   "http://[::1]:8888/",
			server:   "http://[::1]:8888/",
			audience: "http://[::1]/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := connstr.Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("Endpoint", c.Endpoint.String(), tt.endpoint)
			check("AccessKey", c.AccessKey, tt.key)
			check("Version", c.Version, tt.version)
			check("AuthType", c.AuthType, tt.authType)
			check("ClientBase", c.ClientBase(), tt.client)
			check("ServerBase", c.ServerBase(), tt.server)
			check("AudienceBase", c.AudienceBase(), tt.audience)
			if c.Port != tt.port {
				t.Errorf("Port = %d, want %d", c.Port, tt.port)
			}

			// String round-trips.
			again, err := connstr.Parse(c.String())
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if again.String() != c.String() {
				t.Errorf("round trip: %q != %q", again.String(), c.String())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	const secret = "SUPERSECRETKEY"
	tests := []struct {
		name string
		in   string
		key  string // key name the error must mention
	}{
		{"empty", "", "Endpoint"},
		{"single property", "Endpoint=http://aaa;", "Endpoint"},
		{"missing endpoint", "AccessKey=" + secret + ";Version=1.0", "Endpoint"},
		{"missing access key", "Endpoint=http://aaa;Version=1.0", "AccessKey"},
		{"empty access key", "Endpoint=http://aaa;AccessKey=", "AccessKey"},
		{"duplicate key", "Endpoint=http://aaa;AccessKey=" + secret + ";accesskey=" + secret, "accesskey"},
		{"relative endpoint", "Endpoint=aaa;AccessKey=" + secret, "Endpoint"},
		{"ws endpoint", "Endpoint=ws://aaa;AccessKey=" + secret, "Endpoint"},
		{"endpoint without host", "Endpoint=http://;AccessKey=" + secret, "Endpoint"},
		{"bad endpoint", "Endpoint=http://a a%zz;AccessKey=" + secret, "Endpoint"},
		{"version 2", "Endpoint=http://aaa;AccessKey=" + secret + ";Version=2.0", "Version"},
		{"version garbage", "Endpoint=http://aaa;AccessKey=" + secret + ";Version=1.", "Version"},
		{"port zero", "Endpoint=http://aaa;AccessKey=" + secret + ";Port=0", "Port"},
		{"port too big", "Endpoint=http://aaa;AccessKey=" + secret + ";Port=65536", "Port"},
		{"port not a number", "Endpoint=http://aaa;AccessKey=" + secret + ";Port=eighty", "Port"},
		{"client endpoint relative", "Endpoint=http://aaa;AccessKey=" + secret + ";ClientEndpoint=/x", "ClientEndpoint"},
		{"server endpoint ftp", "Endpoint=http://aaa;AccessKey=" + secret + ";ServerEndpoint=ftp://x", "ServerEndpoint"},
		{"secret glued to endpoint", "Endpoint=http://aaa AccessKey=" + secret + ";Version=1.0", "Endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connstr.Parse(tt.in)
			if !errors.Is(err, connstr.ErrMalformed) {
				t.Fatalf("Parse error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error %q does not name %q", err, tt.key)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q echoes the access key", err)
			}
		})
	}
}

func TestZeroValue(t *testing.T) {
	var c connstr.ConnectionString
	if c.ClientBase() != "" || c.ServerBase() != "" || c.AudienceBase() != "" || c.String() != "" {
		t.Errorf("zero value: %q %q %q %q", c.ClientBase(), c.ServerBase(), c.AudienceBase(), c.String())
	}
}

func TestStringEmulator(t *testing.T) {
	c, err := connstr.Parse(" accesskey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH ; version=1.0; port=8888; endpoint=http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.String(); got != emulator {
		t.Errorf("String() = %q, want %q", got, emulator)
	}
}

func ExampleParse() {
	c, err := connstr.Parse("Endpoint=http://localhost;Port=8888;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH;Version=1.0;")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.ClientBase() + "client/?hub=chat")
	fmt.Println(c.AudienceBase() + "client/?hub=chat")
	// Output:
	// http://localhost:8888/client/?hub=chat
	// http://localhost/client/?hub=chat
}
