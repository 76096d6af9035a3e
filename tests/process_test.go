package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/shared/testsupport"
	"github.com/heraldrt/herald/tests/internal/awsstack"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// The multi-process tier (multinode_test.go) runs real processes on one throwaway
// redis-server per test: gateway nodes are the shipped gateway binary (./gateway, the
// one the container image runs), configured by its environment as ECS configures it;
// the functions process (negotiate and REST) is `local --role functions` (the Lambda
// bootstraps behind a load balancer stand-in are the deployment tier's). Tests that
// need a gateway's death noticed within a second use `local --role gateway` with a
// short node TTL and heartbeat (newLocalCluster), which the gateway binary does not
// let its environment set.

const (
	nodeTTL   = time.Second            // --node-ttl of every `local --role gateway` process
	heartbeat = 200 * time.Millisecond // --heartbeat of every `local --role gateway` process
	probe     = "probe"                // a second client method, for messages outside settle's accounting
	logTail   = 64 << 10               // bytes of each child's log printed when a test fails
	logsEnv   = "HERALD_CHILD_LOGS"    // set (to anything) to print the children's logs even when a test passes

	// x-ms-error-code of the 404 answers to existence checks.
	codeConnNotExisted  = "Warning.Connection.NotExisted"
	codeUserNotExisted  = "Warning.User.NotExisted"
	codeGroupNotExisted = "Warning.Group.NotExisted"
)

var (
	buildDir = sync.OnceValues(func() (string, error) { return os.MkdirTemp("", "herald-multinode-") })
	// localBinary builds ./local once per test binary, on first use, with -race when the
	// tests run with it, so the race detector watches the child processes too.
	localBinary = sync.OnceValues(func() (string, error) {
		return buildBinary("herald-local", proc.Package)
	})
	// gatewayBinary builds ./gateway, the shipped gateway, like localBinary.
	gatewayBinary = sync.OnceValues(func() (string, error) {
		return buildBinary("herald-gateway", proc.GatewayPackage)
	})
)

// buildBinary builds the main package pkg into buildDir as name, with -race when the
// tests run with it.
func buildBinary(name, pkg string) (string, error) {
	dir, err := buildDir()
	if err != nil {
		return "", err
	}
	var flags []string
	if raceEnabled {
		flags = append(flags, "-race")
	}
	return proc.BuildPackage(dir, name, pkg, flags...)
}

// removeBuildDir deletes what localBinary and gatewayBinary built (TestMain calls it
// after the tests).
func removeBuildDir() {
	if dir, err := buildDir(); err == nil {
		_ = os.RemoveAll(dir)
	}
}

// cluster is one Redis server (or Redis Cluster), gateway processes, one functions
// process, the REST client pointed at the functions process and one node driver. The
// embedded env gives it payload, expectRecv and settle (REST through the functions
// process).
type cluster struct {
	*env
	bin       string            // ./local
	gwBin     string            // ./gateway
	local     bool              // gateway nodes are `local --role gateway` (newLocalCluster)
	redis     *redistest.Server // nil on a Redis Cluster
	redisURL  string
	gateways  []*proc.Child // gateways[0] is "gateway 1"
	nodes     []string      // the node name of each gateway in its diagnostic events (a prefix of it for the gateway binary)
	functions *proc.Child
	http      *http.Client
}

// newCluster starts Redis, `gateways` gateway processes (the gateway binary) and one
// functions process whose negotiate hands out gateway 1's URL (a placeholder when there
// is no gateway), the REST client and the node driver. Everything is stopped in Cleanup,
// clients first.
func newCluster(t *testing.T, gateways int, functionsFlags ...string) *cluster {
	t.Helper()
	s := redistest.Start(t)
	c := newClusterOf(t, false, s.URL(), gateways, functionsFlags...)
	c.redis = s
	return c
}

// newLocalCluster is newCluster whose gateway nodes are `local --role gateway` with a
// node TTL of nodeTTL and a heartbeat of heartbeat, for tests that wait for a killed
// gateway to be noticed (the gateway binary has the production 15 s TTL).
func newLocalCluster(t *testing.T, gateways int, functionsFlags ...string) *cluster {
	t.Helper()
	s := redistest.Start(t)
	c := newClusterOf(t, true, s.URL(), gateways, functionsFlags...)
	c.redis = s
	return c
}

// newClusterOn is newCluster on the Redis (or Redis Cluster) at redisURL; the
// functions process gets functionsFlags too.
func newClusterOn(t *testing.T, redisURL string, gateways int, functionsFlags ...string) *cluster {
	t.Helper()
	return newClusterOf(t, false, redisURL, gateways, functionsFlags...)
}

// newClusterOf is newClusterOn with local gateways (newLocalCluster) or not.
func newClusterOf(t *testing.T, local bool, redisURL string, gateways int, functionsFlags ...string) *cluster {
	t.Helper()
	bin, err := localBinary()
	if err != nil {
		t.Fatalf("build ./local: %v", err)
	}
	gwBin, err := gatewayBinary()
	if err != nil {
		t.Fatalf("build ./gateway: %v", err)
	}
	c := &cluster{env: &env{}, bin: bin, gwBin: gwBin, local: local, redisURL: redisURL}
	c.http = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: wait}
	t.Cleanup(c.http.CloseIdleConnections)
	for range gateways {
		if local {
			c.addLocalGateway(t)
		} else {
			c.addGateway(t)
		}
	}
	clientBase := "http://127.0.0.1:1/" // nobody listens: with no gateway, negotiate must not hand it out
	if gateways > 0 {
		clientBase = c.gateways[0].URL() + "/"
	}
	c.functions = c.start(t, "functions", append([]string{"--role", "functions", "--client-url", clientBase}, functionsFlags...)...)
	cs := connStringLine.FindString(c.functions.Stdout())
	if cs == "" {
		t.Fatalf("functions process printed no connection string:\n%s", c.functions.Stdout())
	}
	if c.rest, err = mgmt.New(cs); err != nil {
		t.Fatalf("mgmt.New(%q): %v", cs, err)
	}
	t.Cleanup(c.rest.Close)
	c.js = jsclient.Start(t) // cleaned up first: clients stop before the processes do
	return c
}

// adminLine matches the admin listener's URL a process prints.
var adminLine = regexp.MustCompile(`Admin listener \(pprof, metrics\): (\S+)`)

// adminURLs holds the admin listener of each gateway binary process (*proc.Child →
// URL): it does not print it, the test chose it.
var adminURLs sync.Map

// adminURL is the admin listener (pprof, /metrics) of a process.
func adminURL(t *testing.T, p *proc.Child) string {
	t.Helper()
	if u, ok := adminURLs.Load(p); ok {
		return u.(string)
	}
	m := adminLine.FindStringSubmatch(p.Stdout())
	if m == nil {
		t.Fatalf("%s printed no admin listener:\n%s", p.Addr, p.Stdout())
	}
	return m[1]
}

// connStringLine matches the connection string the functions process prints.
var connStringLine = regexp.MustCompile(`Endpoint=\S+`)

// addGateway starts one more gateway node, the gateway binary, configured by its
// environment as a task definition configures it, with extra "NAME=value" variables,
// and returns it. It listens on a loopback port the test picks (HERALD_ADDR, and
// HERALD_INTERNAL_URL for the other nodes' forwarding), with an admin listener
// (HERALD_ADMIN_ADDR) and debug logs.
func (c *cluster) addGateway(t *testing.T, extra ...string) *proc.Child {
	t.Helper()
	if c.local {
		t.Fatal("addGateway on a newLocalCluster: use addLocalGateway")
	}
	n := len(c.gateways) + 1
	name := fmt.Sprintf("gateway %d", n)
	nodeID := fmt.Sprintf("gw%d-%s", n, strings.ReplaceAll(t.Name(), "/", "-"))
	var gw *proc.Child
	var err error
	for range 3 { // a port picked may be taken before the gateway binds it
		addr := fmt.Sprintf("127.0.0.1:%d", awsstack.FreePort(t))
		admin := fmt.Sprintf("127.0.0.1:%d", awsstack.FreePort(t))
		env := append([]string{
			"REDIS_URL=" + c.redisURL,
			"HERALD_ADDR=" + addr,
			"HERALD_INTERNAL_URL=http://" + addr,
			"HERALD_ADMIN_ADDR=" + admin,
			"HERALD_ACCESS_KEYS=" + node.DevAccessKey, // the functions process's key
			"HERALD_NODE_ID=" + nodeID,
			"HERALD_LOG_LEVEL=debug",
			"HERALD_LOG_FORMAT=text",
			"HERALD_SHUTDOWN_TIMEOUT=10s", // local's default, below proc.StopTimeout's
		}, extra...)
		if gw, err = proc.StartEnv(c.gwBin, env); err == nil {
			adminURLs.Store(gw, "http://"+admin)
			break
		}
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c.watch(t, name, gw)
	c.gateways = append(c.gateways, gw)
	c.nodes = append(c.nodes, nodeID)
	return gw
}

// addLocalGateway starts one more `local --role gateway` process, with extra flags,
// and returns it (newLocalCluster).
func (c *cluster) addLocalGateway(t *testing.T, extra ...string) *proc.Child {
	t.Helper()
	name := fmt.Sprintf("gateway %d", len(c.gateways)+1)
	args := append([]string{"--role", "gateway", "--node-ttl", nodeTTL.String(), "--heartbeat", heartbeat.String()}, extra...)
	gw := c.start(t, name, args...)
	c.gateways = append(c.gateways, gw)
	c.nodes = append(c.nodes, gw.Addr)
	return gw
}

// start runs the local binary on Redis with args and debug logs, watched (see watch).
func (c *cluster) start(t *testing.T, name string, args ...string) *proc.Child {
	t.Helper()
	args = append([]string{"--redis", c.redisURL, "--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--log-level", "debug"}, args...)
	child, err := proc.Start(c.bin, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	c.watch(t, name, child)
	return child
}

// watch makes Cleanup stop child (a graceful exit is required unless the test killed
// it), report data races it found and print the tail of its logs when the test failed
// (or HERALD_CHILD_LOGS is set).
func (c *cluster) watch(t *testing.T, name string, child *proc.Child) {
	t.Helper()
	t.Cleanup(func() {
		defer adminURLs.Delete(child)
		if err := child.Stop(); err != nil {
			t.Errorf("%s (%s) did not stop cleanly: %v", name, child.Addr, err)
		}
		logs := child.Logs()
		if strings.Contains(logs, "WARNING: DATA RACE") {
			t.Errorf("%s (%s): the race detector reported a data race", name, child.Addr)
		}
		if t.Failed() || os.Getenv(logsEnv) != "" {
			if len(logs) > logTail {
				logs = "…" + logs[len(logs)-logTail:]
			}
			t.Logf("%s (%s) logs:\n%s", name, child.Addr, logs)
		}
	})
}

// connectionInfo is the app negotiate endpoint's answer.
type connectionInfo struct {
	URL         string `json:"url"`
	AccessToken string `json:"accessToken"`
}

// negotiate calls the functions process's POST /api/negotiate?hub=chat for user ("" =
// anonymous) and returns the status and body.
func (c *cluster) negotiate(t *testing.T, user string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.functions.URL()+"/api/negotiate?hub="+hub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.Header.Set(userHeader, user)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("negotiate: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("negotiate: read body: %v", err)
	}
	return resp.StatusCode, body
}

// clientURL negotiates with the functions process for the client named name of user
// and returns the URL it got, pointed at host, and the access token.
func (c *cluster) clientURL(t *testing.T, name, user, host string) (string, string) {
	t.Helper()
	status, body := c.negotiate(t, user)
	if status != http.StatusOK {
		t.Fatalf("negotiate for %s: got %d %s, want 200", name, status, body)
	}
	var info connectionInfo
	if err := json.Unmarshal(body, &info); err != nil || info.URL == "" || info.AccessToken == "" {
		t.Fatalf("negotiate for %s: body %s: want {url, accessToken} (%v)", name, body, err)
	}
	u, err := url.Parse(info.URL)
	if err != nil {
		t.Fatalf("negotiate for %s: url %q: %v", name, info.URL, err)
	}
	u.Host = host
	return u.String(), info.AccessToken
}

// connectTo places a JSON WebSocket client named name for user on gateway gw (0 is
// gateway 1): it negotiates with the functions process, points the URL it got at the
// gateway's port and lets the client negotiate with that gateway. It returns the
// connection id.
func (c *cluster) connectTo(t *testing.T, gw int, name, user string) string {
	t.Helper()
	u, tok := c.clientURL(t, name, user, c.gateways[gw].Addr)
	return c.js.ConnectWait(t, jsclient.ConnectOptions{
		Name:        name,
		URL:         u,
		AccessToken: tok,
		Transport:   jsclient.WebSockets,
		Methods:     []string{recv, probe},
	}, wait)
}

// health returns the status of GET /api/health on child.
func (c *cluster) health(t *testing.T, child *proc.Child) int {
	t.Helper()
	resp, err := c.http.Get(child.URL() + "/api/health")
	if err != nil {
		t.Fatalf("health of %s: %v", child.Addr, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// within is testsupport.Eventually: it calls check until it returns nil, at most
// until timeout has passed, and returns how long that took; it fails the test with
// check's last error otherwise.
func within(t *testing.T, timeout time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	return testsupport.Eventually(t, timeout, what, check)
}

// want404 is for checks given to within: it takes a call's results and returns nil
// when the call answered 404 with x-ms-error-code code.
//
//	want404(codeConnNotExisted)(c.rest.ConnectionExists(ctx, hub, id))
func want404(code string) func(*mgmt.Response, error) error {
	return func(resp *mgmt.Response, err error) error {
		switch {
		case err != nil:
			return err
		case resp.StatusCode != http.StatusNotFound || !strings.EqualFold(resp.ErrorCode(), code):
			return fmt.Errorf("%s: got %v, want 404 %s", resp.Header.Get("X-Herald-Trace-Id"), resp, code)
		}
		return nil
	}
}

// wantStatus is want404 for any status.
func wantStatus(want int) func(*mgmt.Response, error) error {
	return func(resp *mgmt.Response, err error) error {
		switch {
		case err != nil:
			return err
		case resp.StatusCode != want:
			return fmt.Errorf("got %v, want %d", resp, want)
		}
		return nil
	}
}

// nextWithin waits up to timeout for the first unconsumed event match accepts.
func (c *cluster) nextWithin(timeout time.Duration, match func(jsclient.Event) bool) (jsclient.Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.js.Next(ctx, match)
}

// isText matches a message event for connection name, client method target, with the
// one string argument text.
func isText(name, target, text string) func(jsclient.Event) bool {
	return func(ev jsclient.Event) bool {
		var got string
		return ev.Name == name && ev.Kind == jsclient.KindMessage && ev.Target == target &&
			len(ev.Args) == 1 && ev.Arg(0, &got) == nil && got == text
	}
}
