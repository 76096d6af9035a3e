package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvClusterURL names the environment variable that points tests at an
// existing Redis Cluster, as a redis+cluster:// URL.
const EnvClusterURL = "REDIS_CLUSTER_URL"

// ClusterMasters is how many masters StartCluster creates.
const ClusterMasters = 3

// clusterReadyTimeout is how long a new cluster has to reach
// cluster_state:ok on every node.
const clusterReadyTimeout = 20 * time.Second

// cliHint is how a test reports a missing redis-cli.
const cliHint = "redis-cli (Redis ≥ 7) is not on PATH: it creates the test cluster; install it " +
	"(apt-get install redis-tools; brew install redis) or set " + EnvClusterURL + " to a running cluster"

// ClusterAddr returns the URL (redis+cluster://host:port,host:port,...) of
// a Redis Cluster for t: the value of REDIS_CLUSTER_URL when it is set,
// else that of a throwaway cluster that ClusterAddr starts and that is
// stopped when t ends.
func ClusterAddr(t testing.TB) string {
	t.Helper()
	SkipShort(t)
	if u := os.Getenv(EnvClusterURL); u != "" {
		return u
	}
	return StartCluster(t).URL()
}

// Cluster is a throwaway Redis Cluster of ClusterMasters masters, with or
// without a replica each: redis-server processes with cluster mode on, no
// persistence, listening on 127.0.0.1 only, the slots spread evenly by
// redis-cli --cluster create. With replicas, a master that stops
// answering for 2 s counts as failed and its replica takes over its slots;
// without, the default 15 s applies (a busy test machine must not bring
// the cluster down).
type Cluster struct {
	nodes []*Server
}

// StartCluster starts a throwaway Redis Cluster of ClusterMasters masters
// without replicas, waits until every node reports cluster_state:ok and
// stops it when t ends. It fails t with an install hint when redis-server
// or redis-cli is missing, and skips it under -short.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	return startClusterT(t, 0)
}

// StartReplicatedCluster is StartCluster with one replica per master
// (2·ClusterMasters nodes), for failover tests.
func StartReplicatedCluster(t testing.TB) *Cluster {
	t.Helper()
	return startClusterT(t, 1)
}

func startClusterT(t testing.TB, replicas int) *Cluster {
	t.Helper()
	SkipShort(t)
	c, err := startCluster(t.TempDir(), replicas)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// startCluster starts the nodes with their files in dir and joins them.
func startCluster(dir string, replicas int) (*Cluster, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New(installHint)
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		return nil, errors.New(cliHint)
	}
	c := &Cluster{}
	for range ClusterMasters * (1 + replicas) {
		s, err := startNode(dir, nodeTimeout(replicas))
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.nodes = append(c.nodes, s)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(replicas), "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %w\n%s", err, tail(out, 2000))
	}
	if err := c.waitOK(); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// nodeTimeout returns the cluster-node-timeout of a cluster with replicas
// per master.
func nodeTimeout(replicas int) time.Duration {
	if replicas > 0 {
		return 2 * time.Second
	}
	return 15 * time.Second
}

// startNode starts one cluster node on a free port, with its cluster bus
// on another free port (the default, port+10000, may be taken or out of
// range).
func startNode(dir string, timeout time.Duration) (*Server, error) {
	var err error
	for range 3 {
		var port, busPort int
		if port, err = freePort(); err != nil {
			return nil, err
		}
		if busPort, err = freePort(); err != nil {
			return nil, err
		}
		s := &Server{port: port, dir: dir, extra: []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes-" + strconv.Itoa(port) + ".conf",
			"--cluster-port", strconv.Itoa(busPort),
			"--cluster-node-timeout", strconv.FormatInt(timeout.Milliseconds(), 10),
		}}
		if err = s.launch(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// waitOK polls every node until it reports cluster_state:ok and knows
// every node.
func (c *Cluster) waitOK() error {
	deadline := time.Now().Add(clusterReadyTimeout)
	want := "cluster_known_nodes:" + strconv.Itoa(len(c.nodes))
	for _, s := range c.nodes {
		for {
			info, err := clusterInfo(s.Addr())
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, want) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("redistest: cluster node %s not ready after %v: %q %v", s.Addr(), clusterReadyTimeout, info, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// URL returns the cluster's seed addresses as a redis+cluster:// URL
// (redisbus.NewClient's form).
func (c *Cluster) URL() string { return "redis+cluster://" + strings.Join(c.Addrs(), ",") }

// Addrs returns the host:port of every node.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.nodes))
	for i, s := range c.nodes {
		out[i] = s.Addr()
	}
	return out
}

// Node returns the node listening on addr (host:port), or nil.
func (c *Cluster) Node(addr string) *Server {
	for _, s := range c.nodes {
		if s.Addr() == addr {
			return s
		}
	}
	return nil
}

// Stop kills every node and waits for them to exit. Stopping twice does
// nothing.
func (c *Cluster) Stop() {
	for _, s := range c.nodes {
		s.Stop()
	}
}

// clusterInfo returns the answer of CLUSTER INFO at addr, over a fresh
// connection.
func clusterInfo(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("CLUSTER INFO\r\n")); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
	if !strings.HasPrefix(line, "$") || err != nil {
		return "", fmt.Errorf("CLUSTER INFO answered %q", line)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return "", err
	}
	return string(body), nil
}
