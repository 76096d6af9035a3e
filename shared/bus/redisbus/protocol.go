package redisbus

import "github.com/redis/go-redis/v9"

// subscriptionProtocol is the Redis protocol version of every client
// NewClient makes: RESP2, even when the URL asks for another.
//
// On a RESP3 connection go-redis (v9.17) runs its push-notification
// processor before each read of a PubSub. The processor tells the pushes
// the PubSub handles (smessage, ssubscribe, ...) from others by peeking at
// the name of the next buffered push, but only as far as the read buffer
// holds. When the subscriber is behind, its buffer fills with a backlog of
// smessages; if one message's header is cut by the buffer's end, the
// truncated name ("smess", say) matches nothing the PubSub handles, and
// the processor reads that whole smessage and throws it away. Nothing is
// logged and the connection stays up: an envelope Redis acknowledged to
// its publisher never reaches the node, and its connections miss a
// message or a group join. On RESP2 the processor does not run: sharded
// messages arrive as ordinary replies and the PubSub reads each one.
//
// The Bus needs nothing of RESP3: its scripts return the same replies on
// both, and go-redis reads either form of the commands it sends.
const subscriptionProtocol = 2

// clientProtocol returns the protocol version rdb speaks, a *redis.Client
// or a *redis.ClusterClient (go-redis takes 0 for RESP3).
func clientProtocol(rdb redis.UniversalClient) int {
	p := 0
	switch c := rdb.(type) {
	case *redis.Client:
		p = c.Options().Protocol
	case *redis.ClusterClient:
		p = c.Options().Protocol
	}
	if p == 0 {
		return 3
	}
	return p
}
