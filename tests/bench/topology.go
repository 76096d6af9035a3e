package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gobwas/ws"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// Cluster is the scale-out topology on one Redis: gateway processes that
// hold the client connections, and one functions process that serves app
// negotiate and the REST API and reaches the gateways only through Redis.
type Cluster struct {
	Gateways  []*Child
	Functions *Child
}

// StartCluster runs gateways gateway processes of the emulator binary bin
// on the Redis at redisURL (redis://host:port), then one functions process
// whose app negotiate hands out the first gateway's URL. All listen on free
// 127.0.0.1 ports and log errors only. Stop them with Stop.
func StartCluster(bin, redisURL string, gateways int) (*Cluster, error) {
	if gateways < 1 {
		return nil, errors.New("bench: a cluster needs a gateway")
	}
	args := func(role string, more ...string) []string {
		return append([]string{"--redis", redisURL, "--role", role, "--addr", "127.0.0.1:0", "--log-level", "error"}, more...)
	}
	c := &Cluster{}
	for i := range gateways {
		gw, err := proc.Start(bin, args("gateway")...)
		if err != nil {
			_ = c.Stop()
			return nil, fmt.Errorf("bench: gateway %d: %w", i+1, err)
		}
		c.Gateways = append(c.Gateways, gw)
	}
	fn, err := proc.Start(bin, args("functions", "--client-url", c.Gateways[0].URL()+"/")...)
	if err != nil {
		_ = c.Stop()
		return nil, fmt.Errorf("bench: functions: %w", err)
	}
	c.Functions = fn
	return c, nil
}

// Stop stops the functions process, then the gateways (SIGTERM, then
// SIGKILL after proc.StopTimeout), and reports every one that did not exit
// cleanly.
func (c *Cluster) Stop() error {
	var errs []error
	if c.Functions != nil {
		if err := c.Functions.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("functions: %w", err))
		}
	}
	for i, gw := range c.Gateways {
		if err := gw.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("gateway %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

// Logs returns every process's stderr so far, each under a heading.
func (c *Cluster) Logs() string {
	var sb strings.Builder
	for i, gw := range c.Gateways {
		fmt.Fprintf(&sb, "--- gateway %d (%s):\n%s", i+1, gw.Addr, gw.Logs())
	}
	if c.Functions != nil {
		fmt.Fprintf(&sb, "--- functions (%s):\n%s", c.Functions.Addr, c.Functions.Logs())
	}
	return sb.String()
}

// ConnectVia opens one client connection for user across a Cluster, with c
// made for the functions process: the app negotiate goes to c's address;
// the client URL it answers is re-pointed at gateway ("127.0.0.1:PORT"), as
// a load balancer in front of several gateways would, and the client
// negotiate, the WebSocket upgrade and the JSON handshake go there.
func (c *Client) ConnectVia(ctx context.Context, user, gateway string) (*Conn, error) {
	var app struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	if err := c.post(ctx, "http://"+c.addr+"/api/negotiate?hub="+url.QueryEscape(c.hub), UserHeader, user, &app); err != nil {
		return nil, fmt.Errorf("app negotiate: %w", err)
	}
	u, err := url.Parse(app.URL)
	if err != nil {
		return nil, fmt.Errorf("bench: client URL %q: %w", app.URL, err)
	}
	u.Scheme, u.Host = "http", gateway
	neg := *u
	neg.Path = strings.TrimSuffix(u.Path, "/") + "/negotiate"
	q := neg.Query()
	q.Set("negotiateVersion", "1")
	neg.RawQuery = q.Encode()
	var answer struct {
		ConnectionToken string `json:"connectionToken"`
	}
	if err := c.post(ctx, neg.String(), "Authorization", "Bearer "+app.AccessToken, &answer); err != nil {
		return nil, fmt.Errorf("client negotiate: %w", err)
	}
	if answer.ConnectionToken == "" {
		return nil, errors.New("client negotiate: no connectionToken")
	}
	u.Scheme = "ws"
	q = u.Query()
	q.Set("id", answer.ConnectionToken)
	u.RawQuery = q.Encode()
	return dialWebSocket(ctx, u.String(), app.AccessToken, c.Protocol, c.source())
}

// dialWebSocket upgrades target (ws://…) with the access token and runs the
// handshake of protocol p, from local address source ("" for any).
func dialWebSocket(ctx context.Context, target, accessToken string, p Protocol, source string) (*Conn, error) {
	return dialAcking(ctx, target, accessToken, p, source, nil)
}

// dialAcking is dialWebSocket for a connection that, with acks, handshakes
// stateful reconnect's version 2 and acknowledges what it receives.
func dialAcking(ctx context.Context, target, accessToken string, p Protocol, source string, acks *Acker) (*Conn, error) {
	d := ws.Dialer{
		Header:  ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + accessToken}}),
		Timeout: ioTimeout,
	}
	if source != "" {
		nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Control: bindNoPort}
		d.NetDial = nd.DialContext
	}
	nc, br, _, err := d.Dial(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	var src io.Reader = nc
	if br != nil { // bytes that arrived with the upgrade response
		pre, _ := br.Peek(br.Buffered())
		src = io.MultiReader(bytes.NewReader(bytes.Clone(pre)), nc)
		ws.PutReader(br)
	}
	conn := &Conn{nc: nc, proto: p, br: bufio.NewReaderSize(src, ReadBufferSize), acks: acks}
	if err := conn.handshake(); err != nil {
		_ = nc.Close()
		return nil, fmt.Errorf("handshake: %w", err)
	}
	return conn, nil
}

// RedisPID asks the Redis server at addr (host:port) for its process id
// (INFO server, process_id), so its CPU time can be read from /proc.
func RedisPID(addr string) (int, error) {
	nc, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		return 0, fmt.Errorf("bench: redis: %w", err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := nc.Write([]byte("INFO server\r\n")); err != nil {
		return 0, fmt.Errorf("bench: redis INFO: %w", err)
	}
	r := bufio.NewReader(nc)
	head, err := r.ReadString('\n') // "$<length>\r\n"
	if err != nil {
		return 0, fmt.Errorf("bench: redis INFO: %w", err)
	}
	size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(head, "$")))
	if !strings.HasPrefix(head, "$") || err != nil || size < 0 || size > 1<<20 {
		return 0, fmt.Errorf("bench: redis INFO answered %q", head)
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, fmt.Errorf("bench: redis INFO: %w", err)
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, errors.New("bench: redis INFO server has no process_id")
}
