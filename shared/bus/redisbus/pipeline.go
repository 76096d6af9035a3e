package redisbus

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bounds of the batcher.
const (
	// pipeBatch is the most commands one pipeline carries.
	pipeBatch = 128
	// pipeQueue is how many commands may wait for a lane's next pipeline;
	// callers beyond it wait (or give up with their context).
	pipeQueue = 512
)

// batcher sends the per-connection commands of concurrent callers (a
// claim, the register and unregister scripts, the quota scripts when
// quotas are configured) in shared pipelines: each
// command costs a pool checkout, a write, a read and wakeups on its own,
// and a gateway runs several per connection. A command that finds its
// lane idle goes at once, so one caller waits no longer than before; the
// commands that queue while a pipeline is out go together in the next.
//
// There is a lane per Redis server: one on a *redis.Client, one per
// master on a Redis Cluster, so a shard that is down holds up only the
// commands for its slots. Each lane is a goroutine started under wg and
// stopped by stop; after stop, commands go to the client one at a time.
type batcher struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient // nil on one server
	stop    <-chan struct{}      // closed when the bus closes
	wg      *sync.WaitGroup

	mu     sync.Mutex
	lanes  map[string]*lane // on a Redis Cluster, by master address
	one    *lane            // on one server
	closed bool             // shut: no lane starts
}

// shut starts no lane after it returns, so that the bus's Close can wait
// for the lanes with no lane added to wg meanwhile. Call it before stop
// is closed.
func (p *batcher) shut() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// lane queues the commands for one server.
type lane struct {
	q chan *pipeCall
}

// Call states: a lane takes a queued call to send it; a caller abandons a
// queued call when its context ends or the batcher stops.
const (
	callQueued int32 = iota
	callTaken
	callAbandoned
)

// pipeCall is one caller's command.
type pipeCall struct {
	ctx   context.Context
	state atomic.Int32
	cmd   redis.Cmder
	done  chan struct{}
}

// newBatcher returns a batcher for rdb whose lanes stop when stop is
// closed; wg counts them. With a nil stop (a Stateless Bus) it starts no
// lane: every command goes to the client on its own.
func newBatcher(rdb redis.UniversalClient, stop <-chan struct{}, wg *sync.WaitGroup) *batcher {
	p := &batcher{rdb: rdb, stop: stop, wg: wg}
	p.cluster, _ = rdb.(*redis.ClusterClient)
	return p
}

var _ redis.Scripter = (*batcher)(nil)

// do runs cmd, a command on key, and returns its reply in cmd, or ctx's
// error when ctx ends first (see run).
func (p *batcher) do(ctx context.Context, key string, cmd redis.Cmder) error {
	if err := p.run(ctx, key, cmd); err != nil {
		return err
	}
	return cmd.Err()
}

// EvalSha queues an EVALSHA: with the batcher as its redis.Scripter,
// redis.Script.Run sends its script in a shared pipeline, and on NOSCRIPT
// (a restarted or flushed server) its EVAL too. keys must not be empty.
func (p *batcher) EvalSha(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.script(ctx, "evalsha", sha1, keys, args)
}

// Eval queues an EVAL, like EvalSha.
func (p *batcher) Eval(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.script(ctx, "eval", script, keys, args)
}

// EvalShaRO queues an EVALSHA_RO, like EvalSha.
func (p *batcher) EvalShaRO(ctx context.Context, sha1 string, keys []string, args ...any) *redis.Cmd {
	return p.script(ctx, "evalsha_ro", sha1, keys, args)
}

// EvalRO queues an EVAL_RO, like EvalSha.
func (p *batcher) EvalRO(ctx context.Context, script string, keys []string, args ...any) *redis.Cmd {
	return p.script(ctx, "eval_ro", script, keys, args)
}

// ScriptExists asks the client, not batched.
func (p *batcher) ScriptExists(ctx context.Context, hashes ...string) *redis.BoolSliceCmd {
	return p.rdb.ScriptExists(ctx, hashes...)
}

// ScriptLoad asks the client, not batched.
func (p *batcher) ScriptLoad(ctx context.Context, script string) *redis.StringCmd {
	return p.rdb.ScriptLoad(ctx, script)
}

// script runs the script command name (EVAL, EVALSHA and their _RO
// forms) on keys, routed by keys[0].
func (p *batcher) script(ctx context.Context, name, script string, keys []string, args []any) *redis.Cmd {
	cmdArgs := make([]any, 0, 3+len(keys)+len(args))
	cmdArgs = append(cmdArgs, name, script, len(keys))
	for _, k := range keys {
		cmdArgs = append(cmdArgs, k)
	}
	cmdArgs = append(cmdArgs, args...)
	cmd := redis.NewCmd(ctx, cmdArgs...)
	if err := p.run(ctx, keys[0], cmd); err != nil {
		cmd = redis.NewCmd(ctx, cmdArgs...) // the lane may still write the other
		cmd.SetErr(err)
	}
	return cmd
}

// run sends cmd through the lane of key's server and waits for its reply,
// which it leaves in cmd. When ctx ends first it returns ctx's error, and
// cmd may still be written to: a command still queued is never sent; one
// already sent may run (like a command whose connection fails under it),
// its reply unread.
func (p *batcher) run(ctx context.Context, key string, cmd redis.Cmder) error {
	l := p.lane(ctx, key)
	if l == nil {
		return p.direct(ctx, cmd)
	}
	c := &pipeCall{ctx: ctx, cmd: cmd, done: make(chan struct{})}
	select {
	case l.q <- c:
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stop:
		return p.direct(ctx, cmd)
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		c.state.CompareAndSwap(callQueued, callAbandoned) // else sent, maybe run
		return ctx.Err()
	case <-p.stop:
		if c.state.CompareAndSwap(callQueued, callAbandoned) {
			return p.direct(ctx, cmd)
		}
		<-c.done // a lane finishes its pipeline before it stops
		return nil
	}
}

// direct runs cmd on its own.
func (p *batcher) direct(ctx context.Context, cmd redis.Cmder) error {
	_ = p.rdb.Process(ctx, cmd) // the error is cmd's
	return nil
}

// lane returns the lane of key's server, starting it if needed, or nil
// when commands go to the client one at a time: on a batcher without
// lanes or a stopped one, or when the cluster's slots are unknown (the
// client then reports why).
func (p *batcher) lane(ctx context.Context, key string) *lane {
	if p.stop == nil {
		return nil
	}
	master := "" // one server
	if p.cluster != nil {
		m, err := p.cluster.MasterForKey(ctx, key)
		if err != nil {
			return nil
		}
		master = m.Options().Addr
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if master == "" && p.one != nil {
		return p.one
	}
	if l := p.lanes[master]; l != nil {
		return l
	}
	if p.closed {
		return nil
	}
	select {
	case <-p.stop:
		return nil
	default:
	}
	l := &lane{q: make(chan *pipeCall, pipeQueue)}
	if master == "" {
		p.one = l
	} else {
		if p.lanes == nil {
			p.lanes = make(map[string]*lane)
		}
		p.lanes[master] = l
	}
	p.wg.Add(1)
	go p.serve(l)
	return l
}

// serve sends l's commands until the batcher stops: whatever queued,
// up to pipeBatch, in one pipeline.
func (p *batcher) serve(l *lane) {
	defer p.wg.Done()
	batch := make([]*pipeCall, 0, pipeBatch)
	for {
		select {
		case <-p.stop:
			return
		case c := <-l.q:
			batch = append(batch[:0], c)
		}
	fill:
		for len(batch) < pipeBatch {
			select {
			case c := <-l.q:
				batch = append(batch, c)
			default:
				break fill
			}
		}
		p.send(batch)
		clear(batch)
	}
}

// send runs the calls of batch that their callers still wait for as one
// pipeline and hands each call its reply.
func (p *batcher) send(batch []*pipeCall) {
	calls := batch[:0] // filtered in place
	for _, c := range batch {
		if c.ctx.Err() == nil && c.state.CompareAndSwap(callQueued, callTaken) {
			calls = append(calls, c)
		}
	}
	if len(calls) == 0 {
		return
	}
	ctx, cancel := pipeContext(calls)
	defer cancel()
	if p.cluster != nil { // the record sentOnce keeps (cluster.go)
		ctx = context.WithValue(ctx, sendOnceKey{}, newPipeAttempts(calls))
	}
	pipe := p.rdb.Pipeline()
	for _, c := range calls {
		_ = pipe.Process(c.ctx, c.cmd)
	}
	_, _ = pipe.Exec(ctx) // each command has its error
	for _, c := range calls {
		close(c.done)
	}
}

// pipeContext returns the context of a pipeline sent for calls: not
// cancelled by any one caller (each stops waiting on its own), with the
// latest of their deadlines, or none when one has none (the client's
// timeouts apply).
func pipeContext(calls []*pipeCall) (context.Context, context.CancelFunc) {
	var last time.Time
	for _, c := range calls {
		d, ok := c.ctx.Deadline()
		if !ok {
			last = time.Time{}
			break
		}
		if d.After(last) {
			last = d
		}
	}
	ctx := context.Background()
	if last.IsZero() {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, last)
}
