package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/heraldrt/herald/shared/bus"
)

// Limits is the per-caller limits part of the environment of the gateway
// and the functions, read by LimitsFromEnv. Each bounds what one caller
// can make a node or Redis hold; 0 switches one off.
type Limits struct {
	// MaxHubs is HERALD_MAX_HUBS, the most hubs a gateway node holds
	// connections in (gateway.Config.MaxHubs). Default 1000.
	MaxHubs int
	// MaxAddressConnections is HERALD_MAX_ADDRESS_CONNECTIONS, the most
	// connections of one client address on a gateway node. Default 1000.
	MaxAddressConnections int
	// ForwardedHops is HERALD_FORWARDED_HOPS, the trusted proxies in front
	// of the gateway appending to X-Forwarded-For: the client address is
	// the ForwardedHops-th entry from the right. Default 1 (the load
	// balancer of the AWS template), 0 when HERALD_TLS_CERT is set (the
	// gateway then faces clients itself, and X-Forwarded-For is theirs to
	// forge).
	ForwardedHops int
	// MaxLiveTraceWatchers is HERALD_MAX_LIVETRACE_WATCHERS, the most live
	// trace streams per process. Default 16.
	MaxLiveTraceWatchers int
	// MaxConnectionGroups is HERALD_MAX_CONNECTION_GROUPS, the most groups
	// of one connection (enforced by the functions). Default 1000.
	MaxConnectionGroups int
	// MaxUserGroups is HERALD_MAX_USER_GROUPS, the most recorded group
	// memberships of one user in one hub (enforced by the functions).
	// Default 1000.
	MaxUserGroups int
}

// LimitsFromEnv reads the limits' variables. Every problem is an error
// wrapping ErrInvalid that names the variable.
func LimitsFromEnv(get Getenv) (Limits, error) {
	r := &reader{get: get}
	hops := 1
	if r.str("HERALD_TLS_CERT", "") != "" {
		hops = 0
	}
	l := Limits{
		MaxHubs:               r.limit("HERALD_MAX_HUBS", 1000),
		MaxAddressConnections: r.limit("HERALD_MAX_ADDRESS_CONNECTIONS", 1000),
		ForwardedHops:         r.limit("HERALD_FORWARDED_HOPS", hops),
		MaxLiveTraceWatchers:  r.limit("HERALD_MAX_LIVETRACE_WATCHERS", 16),
		MaxConnectionGroups:   r.limit("HERALD_MAX_CONNECTION_GROUPS", bus.DefaultMaxConnectionGroups),
		MaxUserGroups:         r.limit("HERALD_MAX_USER_GROUPS", bus.DefaultMaxUserGroups),
	}
	return l, r.err
}

// GroupLimits returns the bus's group limits (where 0 means its default
// and a negative value no limit).
func (l Limits) GroupLimits() bus.GroupLimits {
	return bus.GroupLimits{PerConnection: NoLimitNegative(l.MaxConnectionGroups), PerUser: NoLimitNegative(l.MaxUserGroups)}
}

// NoLimitNegative maps a limit where 0 means none to the convention of
// settings whose zero value means a default: 0 becomes -1.
func NoLimitNegative(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// limit reads a non-negative integer, def when empty; 0 switches the
// limit off.
func (r *reader) limit(name string, def int) int {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		r.fail(name, fmt.Errorf("%q is not a non-negative integer (0: no limit)", v))
		return def
	}
	return n
}
