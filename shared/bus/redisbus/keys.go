package redisbus

import (
	"fmt"
	"strings"

	"github.com/heraldrt/herald/shared/bus"
)

// keys builds every key and channel name of one deployment (see doc.go for
// the layout). Nothing else in this package concatenates key names, apart
// from the Lua scripts, which extend a hub's base the same way.
type keys struct {
	prefix string
}

// hubKeys are the keys and the channel of one hub; they all carry the
// hash tag {h:<hub>}, so they live in one Redis Cluster slot.
type hubKeys struct {
	hub     string
	base    string // "<prefix>:{h:<hub>}:"
	channel string // the hub's sharded pub/sub channel
}

func (k keys) hub(hub string) hubKeys {
	base := k.prefix + ":{h:" + hub + "}:"
	return hubKeys{hub: hub, base: base, channel: base + "ch"}
}

func (h hubKeys) conns() string             { return h.base + "conns" }
func (h hubKeys) user(user string) string   { return h.base + "u:" + user }
func (h hubKeys) group(group string) string { return h.base + "g:" + group }
func (h hubKeys) claim(id string) string    { return h.base + "used:" + id }

// The node registry and the expiry index are the only keys shared by all
// hubs; each set lives in one slot of its own ({nodes}, {expiry}).

func (k keys) nodes() string               { return k.prefix + ":{nodes}:alive" }
func (k keys) epoch() string               { return k.prefix + ":{nodes}:epoch" }
func (k keys) perNodeAddr() string         { return k.prefix + ":{nodes}:pernodeaddr" }
func (k keys) reaping() string             { return k.prefix + ":{nodes}:reaping" }
func (k keys) nodeHubs(node string) string { return k.prefix + ":{nodes}:hubs:" + node }

// Quota counts live in the {nodes} slot too: a count belongs to a node
// and stops counting when the node is no longer alive.

func (k keys) quotaPrefix() string      { return k.prefix + ":{nodes}:quota:" }
func (k keys) quota(node string) string { return k.quotaPrefix() + node }
func (k keys) quotaNodes() string       { return k.prefix + ":{nodes}:quotanodes" }
func (k keys) negotiatePrefix() string  { return k.prefix + ":{nodes}:negotiates:" }
func (k keys) expiryDue() string        { return k.prefix + ":{expiry}:due" }
func (k keys) expiryVersion() string    { return k.prefix + ":{expiry}:version" }

// checkName rejects names that would break a hash tag: hub names and key
// prefixes must not contain braces. Herald's hub names never do.
func checkName(what, name string) error {
	if err := bus.CheckName(what, name); err != nil {
		return err
	}
	if strings.ContainsAny(name, "{}") {
		return fmt.Errorf("%w: %s %q contains a brace", bus.ErrInvalidArgument, what, name)
	}
	return nil
}
