// Package redisbus is the Redis implementation of bus.Bus (package bus has
// the contract; it passes the same conformance suite, bustest.Run, as
// bus.Memory). Gateway nodes and the stateless functions of a deployment
// each make a Bus on one Redis (≥ 7); membership and presence live in
// Redis, and envelopes travel over sharded pub/sub. It is built with
// github.com/redis/go-redis/v9, which no other Herald package imports.
//
// # Key layout
//
// Every name starts with Config.KeyPrefix (P, default "herald"). All keys
// and the channel of hub H carry the hash tag {h:H}: they live in one
// Redis Cluster slot, and every operation on a hub, including its
// envelopes, runs on that slot (see "Redis Cluster" below). Hub names therefore must not contain
// braces (Herald's hub names never do); calls naming such a hub fail with
// bus.ErrInvalidArgument.
//
//	key                         type   contents
//	P:{h:H}:ch                  chan   the hub's envelopes (JSON of bus.Envelope), SPUBLISH/SSUBSCRIBE
//	P:{h:H}:conns               hash   connection id → user id ("" for anonymous): presence, HLEN counts
//	P:{h:H}:node                hash   connection id → id of the node holding it
//	P:{h:H}:addr                hash   connection id → internal URL of its node (bus.Conn.Addr; forwarding)
//	P:{h:H}:n:<node>            set    connections the node holds in the hub (for reaping a dead node)
//	P:{h:H}:u:<user>            set    the user's connections
//	P:{h:H}:g:<group>           set    the group's connections
//	P:{h:H}:cg:<conn>           set    the connection's groups
//	P:{h:H}:ug:<user>           zset   the user's user-level groups, score = expiry (server ms; +inf for none)
//	P:{h:H}:exp                 zset   "<len(user)>:<user><group>" → expiry, the hub's expiring memberships
//	P:{h:H}:live                zset   node → expiry (server ms): the nodes serving the hub (see Durability)
//	P:{nodes}:alive             zset   node → time its heartbeat runs out (server ms)
//	P:{nodes}:reaping           zset   dead node → end of its reaper's lease
//	P:{nodes}:epoch             string ready-at time (server ms); lives NodeTTL after any node's heartbeat (see Durability)
//	P:{nodes}:hubs:<node>       set    hubs in which the node registered connections
//	P:{nodes}:quota:<node>      hash   the node's quota counts: t → connections, <hub>\x00<user> → the user's
//	P:{nodes}:quotanodes        set    nodes with quota counts (summed by every acquisition)
//	P:{nodes}:negotiates:<sec>  string negotiates in that second of the Redis clock (expires after 2 s)
//	P:{expiry}:due              zset   hub → its earliest membership expiry (a hint for the sweepers)
//	P:{expiry}:version          hash   hub → counter bumped by each expiring AddUserToGroup
//
// Empty sets and zsets disappear on their own, so an idle hub leaves no key.
// The {nodes} and {expiry} keys are the only ones shared by all hubs; each
// group sits in a slot of its own and is touched by heartbeats, reaping and
// sweeping only, never by a call on a hub, except the quota keys, touched
// by connects and negotiates when quotas are configured. They deliberately step outside
// the one-slot-per-hub rule: without them a node would have to scan the
// keyspace to find dead nodes or due memberships.
//
// # Ordering
//
// Each state change and the envelope it delivers is one Lua script
// (EVALSHA) on the hub's slot: it updates the sets and SPUBLISHes the
// envelope, atomically. Publish is one SPUBLISH on the same channel. Redis
// runs them one at a time, so every subscriber of the hub, on every node,
// sees changes and messages in one order, the order in which the calls
// returned. Existence checks read the same keys and see every change that
// returned.
//
// # Subscriptions
//
// A gateway node keeps one pub/sub connection (on a Redis Cluster, one per
// hub: see below) and subscribes to a hub's channel while it holds
// connections in the hub (a reference count per
// hub). Register subscribes first and waits until Redis confirms it (a
// numbered PING written after the SSUBSCRIBE comes back on the connection),
// then runs its script: every envelope published after Register returns
// reaches the node. When the hub's last local connection unregisters, the
// node unsubscribes at once. A reader goroutine per pub/sub connection
// receives and decodes; the node's handlers run one call at a time. When
// the connection fails, the reader reconnects with exponential backoff and
// jitter (100 ms to 5 s; to 1 s on a Cluster), subscribes every hub again
// and confirms them; a PING unanswered for two HeartbeatIntervals counts
// as a failure. Envelopes published during an
// outage are lost (pub/sub), but the REST calls that would publish them
// fail with bus.ErrUnavailable rather than succeed.
//
// # Nodes
//
// Each gateway node records a heartbeat every HeartbeatInterval in
// P:{nodes}:alive, good for NodeTTL, and every node reaps the nodes whose
// heartbeat ran out: it claims them with a lease (a reaper that dies is
// replaced when the lease ends), drops their connections hub by hub from
// presence and groups (publishing nothing: nobody holds them) and keeps
// their users' user-level memberships. A dead node's connections leave
// presence within NodeTTL + HeartbeatInterval, 20 s by default. LiveNodes
// counts live nodes, for negotiate's 503 "no gateway is available". Node
// ids carry a random incarnation suffix: a node that finds itself gone
// from Redis (reaped while paused or cut off, or Redis restarted empty)
// takes a new incarnation and registers its connections again, without
// the groups Redis lost. Close marks the node dead and reaps it at once.
//
// # Expiry
//
// An expiring user-level membership is in the hub's exp zset and the hub
// in P:{expiry}:due. Every SweepInterval each gateway node asks the index
// for due hubs and runs expire.lua on each, which pops the due memberships,
// removes the users' connections from the groups and publishes the
// KindRemoveFromGroup envelopes in one step; however many nodes sweep, each
// expiry is delivered exactly once. A version per hub keeps a sweep from
// rescheduling a hub past a membership added while it ran. Expired
// memberships stop counting (UserInGroup, Register) at their expiry even
// before a sweep.
//
// # Redis Cluster
//
// The Bus runs on one Redis server (a *redis.Client; a primary with
// replicas counts as one) or on a Redis Cluster (a *redis.ClusterClient;
// NewClient makes one for a redis+cluster:// or rediss+cluster:// URL, and
// an ElastiCache configuration endpoint is a good seed). Nothing else
// changes: the Cluster does the sharding, go-redis the routing.
//
//   - Every script touches the keys of one slot: a hub's scripts get the
//     hub's channel as their one declared key (it routes them to the hub's
//     slot) and build the hub's other key names from it; the {nodes} and
//     {expiry} scripts declare a key of their slot. Redis Cluster accepts
//     undeclared keys of the node's own slots in scripts without flags.
//     No command spans two slots; no request path scans the keyspace.
//   - A hub's envelopes are SPUBLISHed on its channel, which Redis delivers
//     to the subscribers on the shard owning the slot. A connection may
//     SSUBSCRIBE only on that shard, so on a Cluster a gateway node keeps
//     one pub/sub connection per hub it holds connections in (rather than
//     one in all), to the master of the hub's slot; it opens with the hub's
//     first local connection and closes with its last (so a node holding
//     clients in thousands of hubs holds as many pub/sub connections;
//     grouping hubs per master would need re-homing them when slots
//     move, which this version does not do). Each runs the
//     confirmation, health check and reconnection described above on its
//     own. When a slot moves (resharding) the old master ends the
//     subscriptions of its channels (an unsolicited sunsubscribe): the
//     connection is replaced, and so is one whose master failed; a new one
//     asks the ClusterClient to refresh its slot map first, and lands on
//     the slot's current master. Envelopes published meanwhile are lost,
//     as in any outage, while calls on the hub fail or are redirected.
//   - Ordering holds per hub, which is what clients can observe (a
//     connection belongs to one hub); envelopes of hubs on different
//     shards reach a node in no particular order relative to each other.
//   - go-redis's ClusterClient follows MOVED and ASK redirections (the
//     redirecting node did not run the command) but would also resend a
//     command whose connection failed under it, which could run a script
//     twice; the client NewClient makes does not (see its retry policy).
//   - Live trace events use plain pub/sub, which a Cluster forwards to
//     every node.
//
// # Failures
//
// Every call fails with an error wrapping bus.ErrUnavailable when Redis
// cannot be reached (as fast as the client's timeouts; see NewClient) and
// works again, on the same Bus, when Redis returns. Failed Unregisters are
// retried with the heartbeat. A Stateless Bus (Config.Stateless) is what
// the functions use: no goroutine, no heartbeat, no subscriptions.
package redisbus
