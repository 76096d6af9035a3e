package config

import (
	"reflect"
	"time"
)

// GatewayTuning are the gateway's limits, timeouts and quotas: the
// settings written once here, with their variable, flag, default and
// meaning, and carried unchanged from the options (config.Node embeds
// it) through node.Config to gateway.Config (which embeds it too), so a
// new one needs no copying by hand (docs/configuration.md).
//
// A zero field means its default (WithDefaults): the Development
// default, which differs from the production one only where 0 is itself
// a meaningful value (MaxAddressConnections and ForwardedHops: no limit
// and the TCP peer, right for an embedding with no proxy in front).
type GatewayTuning struct {
	// ConnectWindow is how long a connection token from negotiate stays
	// valid for the connect request (Azure: about 5s; longer here so slow
	// networks and transport fallback still make it).
	ConnectWindow time.Duration `flag:"connect-window" env:"HERALD_CONNECT_WINDOW" default:"15s" usage:"how long a negotiated connection may take to connect"`
	// MaxMessageBytes is the largest client message accepted; larger ones
	// close the connection.
	MaxMessageBytes int `flag:"max-message-bytes" env:"HERALD_MAX_MESSAGE_BYTES" default:"1048576" min:"1" usage:"largest client message; a larger one closes that connection (close code 1009)"`

	// MaxConnections is the most concurrent client connections of the
	// deployment, counted through the bus (which must implement
	// bus.Quotas): over it, negotiate and connect answer 429 "Connection
	// count reaches limit". 0: no limit.
	MaxConnections int `flag:"max-connections" env:"HERALD_MAX_CONNECTIONS" default:"0" usage:"most concurrent client connections of the deployment, all hubs (counted in Redis across nodes); over it negotiate and connect answer 429 (0: no limit)"`
	// MaxUserConnections is the most concurrent connections of one user
	// in one hub, counted like MaxConnections. 0: no limit.
	MaxUserConnections int `flag:"max-user-connections" env:"HERALD_MAX_USER_CONNECTIONS" default:"0" usage:"most concurrent connections of one user in one hub (0: no limit)"`
	// NegotiateRate is the most negotiates per second of the deployment,
	// counted through the bus: over it, negotiate answers 429 with
	// Retry-After. 0: no limit.
	NegotiateRate int `flag:"negotiate-rate" env:"HERALD_NEGOTIATE_RATE" default:"0" usage:"most client negotiates per second of the deployment; over it 429 with Retry-After (0: no limit)"`
	// MaxHubs is the most hubs a node holds connections in at once; a
	// connect to one more hub gets 429 (gateway.ReasonHubLimit). Hub
	// names come from clients, and each hub costs the node a subscription
	// and index entries. Zero means the default (1000): no limit is
	// negative, what the option's 0 is stored as (the nolimit tag).
	MaxHubs int `flag:"max-hubs" env:"HERALD_MAX_HUBS" default:"1000" nolimit:"-1" usage:"most hubs a gateway node holds connections in; a connect to one more gets 429 (0: no limit)"`
	// MaxAddressConnections is the most concurrent connections from one
	// client address on a node; the next connect gets 429
	// (gateway.ReasonAddressLimit). The address is the request's remote
	// IP, or with ForwardedHops the one the trusted proxies saw. 0: no
	// limit.
	MaxAddressConnections int `flag:"max-address-connections" env:"HERALD_MAX_ADDRESS_CONNECTIONS" default:"1000" dev:"0" usage:"most connections of one client address on a gateway node; the next gets 429 (0: no limit)"`
	// ForwardedHops is the number of trusted proxies in front of the node
	// (1 behind an AWS Application Load Balancer), each appending the
	// address it saw to X-Forwarded-For: the client address is then the
	// ForwardedHops-th entry from the right. 0: the remote IP
	// (X-Forwarded-For is ignored; it is the client's to forge).
	ForwardedHops int `flag:"forwarded-hops" env:"HERALD_FORWARDED_HOPS" default:"1" dev:"0" doc:"1; 0 with HERALD_TLS_CERT" usage:"trusted proxies in front appending to X-Forwarded-For: the client address is this many entries from its right (the load balancer appends the address it saw); 0 uses the TCP peer"`

	// InvokeTimeout bounds the wait for a client's result to a REST
	// :invoke.
	InvokeTimeout time.Duration `flag:"invoke-timeout" env:"HERALD_INVOKE_TIMEOUT" default:"30s" usage:"how long a REST :invoke waits for the client's result before 504"`
	// MaxConnectionInvocations is the most REST :invoke calls waiting on
	// one connection; the next is refused (429).
	MaxConnectionInvocations int `flag:"max-connection-invocations" env:"HERALD_MAX_CONNECTION_INVOCATIONS" default:"16" min:"1" usage:"most REST :invoke calls waiting on one connection; the next gets 429"`
	// MaxInvocations is the most REST :invoke calls waiting on a node.
	MaxInvocations int `flag:"max-invocations" env:"HERALD_MAX_INVOCATIONS" default:"10000" min:"1" usage:"most REST :invoke calls waiting on one gateway node; the next gets 429"`
	// MaxConnectionStreams is the most server-to-client streams open on
	// one connection; the next StreamInvocation is answered with an error.
	MaxConnectionStreams int `flag:"max-connection-streams" env:"HERALD_MAX_CONNECTION_STREAMS" default:"16" min:"1" usage:"most server-to-client streams open on one connection; the next stream() gets an error"`
	// BusTimeout bounds one call the gateway makes to the bus: registering
	// and unregistering a connection, claiming its connection token,
	// locating the node that holds it, and the quota counts. A call over
	// it fails (the connect gets 503, a teardown logs it).
	BusTimeout time.Duration `flag:"bus-timeout" env:"HERALD_BUS_TIMEOUT" default:"5s" usage:"one bus call of the gateway (register, unregister, token claim, locate, quota counts)"`
	// MaxDiagnosticConnections is the most diagnostic clients (tokens
	// with the asrs.s.dc claim) connected to a node at once; the next
	// connect gets 429.
	MaxDiagnosticConnections int `flag:"max-diagnostic-connections" env:"HERALD_MAX_DIAGNOSTIC_CONNECTIONS" default:"100" min:"1" usage:"diagnostic clients per gateway node; the next gets 429"`

	// StatefulReconnect grants stateful reconnect to the clients that ask
	// for it (withStatefulReconnect in the JavaScript client): "on" or
	// "off" (docs/compat/stateful-reconnect.md).
	StatefulReconnect string `flag:"stateful-reconnect" env:"HERALD_STATEFUL_RECONNECT" default:"on" enum:"on,off" usage:"grant stateful reconnect to WebSocket clients that ask for it: on or off"`
	// StatefulReconnectWindow is how long a stateful WebSocket connection
	// whose socket dropped stays open, buffering what is sent to it, for
	// its client to reconnect.
	StatefulReconnectWindow time.Duration `flag:"stateful-reconnect-window" env:"HERALD_STATEFUL_RECONNECT_WINDOW" default:"30s" usage:"how long a stateful connection whose WebSocket dropped waits for its client to reconnect"`
	// StatefulBufferBytes bounds the frames a stateful connection keeps
	// until the client acknowledges them; over it the connection is
	// closed.
	StatefulBufferBytes int `flag:"stateful-buffer-bytes" env:"HERALD_STATEFUL_BUFFER_BYTES" default:"100000" min:"1" usage:"most bytes of unacknowledged messages a stateful connection keeps for a reconnect; over it the connection is closed"`
}

// WithDefaults returns t with each zero field, and each below its least
// value (a negative duration), set to its default (the Development one,
// see GatewayTuning), and a negative no-limit value (MaxHubs) set to 0,
// the gateway's "no limit".
func (t GatewayTuning) WithDefaults() GatewayTuning {
	withDefaults(reflect.ValueOf(&t).Elem())
	return t
}

// withDefaults sets the zero fields of the settings struct v, and those
// below their least value, to their Development defaults, and negative
// no-limit values to 0.
func withDefaults(v reflect.Value) {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.FieldByIndex(f.index)
		if fv.IsZero() || (f.min > 0 && fv.Int() < int64(f.min)) {
			if d := f.defaultFor(Development); d != "" {
				if err := f.set(fv, d); err != nil {
					panic("config: default of " + f.label() + ": " + err.Error())
				}
			}
		}
		if f.nolimit != 0 && fv.Int() < 0 {
			fv.SetInt(0)
		}
	}
}
