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
//	P:{h:H}:nodeaddr            hash   node → its internal URL (bus.Conn.Addr; forwarding), while it holds connections in the hub
//	P:{h:H}:addr                hash   connection id → its node's URL: the earlier layout, written only while a node of that version is alive
//	P:{h:H}:n:<node>            set    connections the node holds in the hub (for reaping a dead node)
//	P:{h:H}:det                 hash   connection id → meta: detached by its node, may be taken over (Handover)
//	P:{h:H}:u:<user>            set    the user's connections
//	P:{h:H}:g:<group>           set    the group's connections
//	P:{h:H}:cg:<conn>           set    the connection's groups
//	P:{h:H}:ug:<user>           zset   the user's user-level groups, score = expiry (server ms; +inf: recorded before the one-year bound)
//	P:{h:H}:ugn:<user>          zset   the user's groups added without ttl, score = when last added (server ms); the oldest beyond 100 is removed
//	P:{h:H}:used:<conn>         string a claimed connection id (single-use connection tokens; expires with the connect window)
//	P:{h:H}:exp                 zset   "<len(user)>:<user><group>" → expiry, the hub's expiring memberships
//	P:{h:H}:live                zset   node → expiry (server ms): the nodes serving the hub (see Durability)
//	P:{nodes}:alive             zset   node → time its heartbeat runs out (server ms)
//	P:{nodes}:reaping           zset   dead node → end of its reaper's lease
//	P:{nodes}:epoch             string ready-at time (server ms); lives NodeTTL after any node's heartbeat (see Durability)
//	P:{nodes}:pernodeaddr       set    nodes that keep their address in nodeaddr (a live node not in it keeps one per connection)
//	P:{nodes}:hubs:<node>       set    hubs in which the node registered connections
//	P:{nodes}:quota:<node>      hash   the node's quota counts: t → connections, <hub>\x00<user> → the user's
//	P:{nodes}:quotanodes        set    nodes with quota counts (summed by every acquisition)
//	P:{nodes}:negotiates:<sec>  string negotiates in that second of the Redis clock (expires after 2 s)
//	P:{expiry}:due              zset   hub → its earliest membership expiry (a hint for the sweepers)
//	P:{expiry}:version          hash   hub → counter bumped by each expiring AddUserToGroup
//	P:{diag}:switches           string the deployment's diagnostics switches (JSON; absent: each node's environment)
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
// A gateway node sends the per-connection commands of concurrent calls
// (ClaimConnection's SET NX, the register, unregister and quota scripts) in
// shared pipelines, one lane per Redis server (pipeline.go): a command
// that finds its lane idle goes at once, the commands queued meanwhile go
// together next. Each call still gets its own reply, so the order above
// holds: a pipeline's commands run in the order their calls queued, and a
// call returns after its command ran. A call whose context ends first
// returns its error: a queued command is then never sent, one already sent
// may have run, as when a connection fails under a command.
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
// as a failure, unless Redis does not answer on an ordinary connection
// either (it is frozen or paused): then the connection is kept, so that
// what Redis delivers on it once it resumes arrives. Publishing while a
// node is not subscribed fails instead of reaching nobody (see
// Durability).
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
// takes a new incarnation and registers its connections again, with
// their connection-level groups (see Durability). Close marks the node
// dead and reaps it at once.
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
//     asks the ClusterClient to refresh its slot map first, and checks
//     (ROLE) that the node the map names is a master before subscribing
//     there. Meanwhile the hub's publishing calls fail (see Durability).
//   - Ordering holds per hub, which is what clients can observe (a
//     connection belongs to one hub); envelopes of hubs on different
//     shards reach a node in no particular order relative to each other.
//   - go-redis's ClusterClient follows MOVED and ASK redirections (the
//     redirecting node did not run the command) but would also resend a
//     command whose connection failed under it, which could run a script
//     twice; the client NewClient makes does not (see its retry policy),
//     nor for the batched pipelines, whose other attempts it refuses.
//   - Live trace events use plain pub/sub, which a Cluster forwards to
//     every node.
//
// # Durability
//
// A publishing call that returns nil (Publish, the membership changes;
// REST's 2xx) has reached every gateway node that held connections of
// the hub when it ran and was subscribed to it, and it was refused with
// bus.ErrUnavailable (REST 503) when any such node was not: nothing is
// published then. A connection connected when the call ran, which stays
// connected, therefore receives it, across Redis restarting empty, Redis
// frozen or paused (SIGSTOP, CLIENT PAUSE), a dropped subscription and a
// failover on a Redis Cluster. Two records make it checkable inside the
// publishing script (ready.go, lua/prelude.lua):
//
//   - Per hub, P:{h:H}:live names the nodes serving the hub with an
//     expiry: written by Register once the node's subscription is
//     confirmed, refreshed by each heartbeat (one script per hub the node
//     holds connections in), dropped with the node's last connection in
//     the hub or by its reaper. A script refuses when fewer connections
//     subscribe the hub's channel (PUBSUB SHARDNUMSUB) than live nodes
//     are named.
//   - On one Redis server, the deployment's epoch P:{nodes}:epoch, which
//     lives NodeTTL after the last heartbeat of any node. Missing, Redis
//     lost or froze the nodes' state (restart empty, a freeze past
//     NodeTTL) or no gateway runs: scripts refuse. The first heartbeat
//     that finds it missing recreates it "warming up" for two
//     HeartbeatIntervals and a second (11 s by default), time for every
//     node to beat, find itself gone, resubscribe and register its
//     connections (and their groups) again; scripts refuse until then. A
//     deployment's very first node skips the warm-up.
//
// Limits. Availability is traded for it: sends to a hub answer 503 while
// one of its nodes reconnects (up to the reconnection backoff, 5 s; 1 s
// on a Cluster), during the warm-up after a restart, and, for a node that
// died without Close, until its entry expires or it is reaped (up to
// NodeTTL + HeartbeatInterval). With no gateway running, sends answer 503
// (nobody would receive them). A node that takes longer than the warm-up
// to register again is not waited for. A Redis Cluster cannot read the
// epoch in a hub's script (another slot): there a shard that restarts
// empty without failing over is not detected (run replicas: the Cluster
// fails over instead). A message published right before a node's
// subscription connection breaks, on a Redis that still runs, can be
// written to the closing connection (TCP gives no delivery receipt): the
// check narrows that to the moment the connection fails. A REST call
// that timed out (503) may still have been delivered.
//
// Group memberships. Each gateway node tracks the connection-level groups
// of its own connections from the envelopes it receives, and its resync
// records them again with the connections, so after Redis restarts empty
// REST's existence checks agree with what the gateways deliver (no
// "ghost" memberships). User-level memberships (P:{h:H}:ug:<user>) and
// their expiry are not rebuilt: the user's current connections keep the
// groups as connection memberships (without expiry); later connections of
// the user do not join them, and UserInGroup answers false.
//
// # Handover
//
// TakeOver (bus.Handover) is one script on the hub's slot, like every
// change: it moves a connection that its node detached (P:{h:H}:det), or
// whose node no longer serves the hub (its P:{h:H}:live entry ran out: it
// died), to the calling node in the node and n:<node> records, and
// SPUBLISHes the KindHandover envelope on the hub's channel in the same
// step. The taker subscribes to the hub first, as Register does, so it
// receives the handover envelope and everything after it; the old node,
// still subscribed, receives everything before it. Detach, Attach and
// EndDetached are scripts too, each checking that the calling node still
// holds the connection, so Redis orders every race between them and a
// TakeOver: one wins. A node registering its connections again (see
// Durability) leaves alone a connection held by a node with another
// address: it was taken over.
//
// A node's address is a property of the node: P:{h:H}:nodeaddr keeps it
// once per node and hub, written by every script that adds a connection
// to the node's set (register, takeover, readd) and dropped with the
// node's last connection in the hub, as its live entry is; Locate and
// TakeOver resolve connection → node → address. Node ids are
// incarnations (a Bus, and each re-registration of it, has its own), so
// a gateway restarted on another port records its new address under a
// new id, and the connections of the old process keep the old address
// until they are reaped or taken over. Connections recorded by a version
// that kept an address per connection (P:{h:H}:addr, connection →
// address) are still located through it. TakeOver updates their entry
// there to the taker's address, so that the node of that version,
// draining during a deploy, finds the taker to send the handed-over
// connection's state to. And while a node of that version is alive
// anywhere in the deployment (every heartbeat checks: newer nodes join a
// set that nodes of that version never join), the scripts that add a
// connection record its address that way too, so the older node's Locate
// finds connections newer nodes hold, in any hub; once it is gone, they
// stop. What this cannot cover: an older functions process, which does
// not beat, finds no address for connections registered the new way
// while both versions run (its client-result calls to them answer 503),
// and after a rollback older nodes find none for the connections newer
// ones registered while no older node was alive, until those end.
//
// # Failures
//
// Every call fails with an error wrapping bus.ErrUnavailable when Redis
// cannot be reached (as fast as the client's timeouts; see NewClient) and
// works again, on the same Bus, when Redis returns. Failed Unregisters are
// retried with the heartbeat. A Stateless Bus (Config.Stateless) is what
// the functions use: no goroutine, no heartbeat, no subscriptions.
package redisbus
