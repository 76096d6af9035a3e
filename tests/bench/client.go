package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/golang-jwt/jwt/v5"
)

const (
	// ReadBufferSize is each connection's read buffer: small, like a
	// frugal client, so 10,000 readers fit in the benchmark process.
	ReadBufferSize = 512
	// UserHeader carries the user id to the emulator's app negotiate.
	UserHeader = "x-ms-signalr-userid"
	// APIVersion is the data-plane REST API version the benchmarks call.
	APIVersion = "2022-06-01"

	ioTimeout  = 10 * time.Second
	maxPayload = 1 << 20
)

// Protocol is the hub protocol of a Client's connections.
type Protocol int

// Hub protocols.
const (
	// JSON is the JSON hub protocol (text frames); the default.
	JSON Protocol = iota
	// MessagePack is the MessagePack hub protocol (binary frames).
	MessagePack
)

var (
	handshakeRequests = [...][]byte{
		JSON:        []byte(`{"protocol":"json","version":1}` + "\x1e"),
		MessagePack: []byte(`{"protocol":"messagepack","version":1}` + "\x1e"),
	}
	handshakeResponse = []byte("{}\x1e")
	pingRecords       = [...][]byte{
		JSON:        []byte(`{"type":6}` + "\x1e"),
		MessagePack: {0x02, 0x91, 0x06}, // length 2, [6]
	}
	jsonInvocationPrefix = []byte(`{"type":1,`)
)

// IsInvocation reports whether payload is a hub protocol Invocation record
// as the gateway writes it: JSON starting with {"type":1, or MessagePack
// whose array (after the VarInt length) starts with type 1.
func IsInvocation(payload []byte) bool {
	if bytes.HasPrefix(payload, jsonInvocationPrefix) {
		return true
	}
	i := 0
	for i < len(payload) && i < 5 && payload[i]&0x80 != 0 {
		i++
	}
	i++ // the last VarInt byte
	return len(payload) > i+1 && payload[i]&0xf0 == 0x90 && payload[i+1] == 0x01
}

// Client drives one emulator over loopback: both negotiate hops, WebSocket
// connects and REST broadcasts, all on one keep-alive HTTP client. It is
// safe for concurrent use. Close it to release idle HTTP connections.
type Client struct {
	// Protocol is the hub protocol of the connections Connect and
	// ConnectVia open. Default JSON; set it before connecting.
	Protocol Protocol
	// Sources are loopback addresses ("127.0.0.2", …) the WebSocket
	// connections are opened from, in turn, so that more connections than
	// one source address has ephemeral ports (about 28,000) fit. Default
	// none: the system picks. Set it before connecting.
	Sources []string
	// Acker, when set, makes the connections Connect opens ask for
	// stateful reconnect (useStatefulReconnect=true on both negotiate hops,
	// handshake version 2) and acknowledge what they receive through it,
	// as the official clients do. Set it before connecting.
	Acker *Acker

	nextSource atomic.Uint64

	addr, hub string
	tr        *http.Transport
	hc        *http.Client
	sendURL   string
	sendAuth  string
}

// NewClient returns a Client for hub on the emulator at addr
// ("127.0.0.1:PORT"), signing REST tokens with accessKey.
func NewClient(addr, hub, accessKey string) (*Client, error) {
	path := "/api/hubs/" + url.PathEscape(hub) + "/:send?api-version=" + APIVersion
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"aud": "http://localhost" + path,
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(accessKey))
	if err != nil {
		return nil, fmt.Errorf("bench: sign REST token: %w", err)
	}
	tr := &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		DialContext:         (&net.Dialer{Timeout: ioTimeout}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &Client{
		addr: addr, hub: hub, tr: tr,
		hc:       &http.Client{Transport: tr, Timeout: ioTimeout},
		sendURL:  "http://" + addr + path,
		sendAuth: "Bearer " + tok,
	}, nil
}

// source is the local address of the next WebSocket ("" for any).
func (c *Client) source() string {
	if len(c.Sources) == 0 {
		return ""
	}
	return c.Sources[(c.nextSource.Add(1)-1)%uint64(len(c.Sources))]
}

// Close closes the idle HTTP connections (and so their goroutines).
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Negotiation is what a client has after both negotiate hops.
type Negotiation struct {
	// URL is the client URL from the app negotiate,
	// e.g. "http://localhost:PORT/client/?hub=bench".
	URL string
	// AccessToken authorizes the client on the gateway.
	AccessToken string
	// ConnectionToken is the id to connect with (negotiateVersion 1).
	ConnectionToken string
	// Stateful: the client asked for stateful reconnect and it was granted.
	Stateful bool
}

// Negotiate runs both hops for user: POST /api/negotiate?hub=H (the app
// negotiate, user in the x-ms-signalr-userid header), then POST
// <client URL path>/negotiate?hub=H&negotiateVersion=1 with the access
// token. Both go to the emulator's loopback address.
func (c *Client) Negotiate(ctx context.Context, user string) (Negotiation, error) {
	var app struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	appURL := "http://" + c.addr + "/api/negotiate?hub=" + url.QueryEscape(c.hub)
	if c.Acker != nil {
		appURL += "&useStatefulReconnect=true"
	}
	if err := c.post(ctx, appURL, UserHeader, user, &app); err != nil {
		return Negotiation{}, fmt.Errorf("app negotiate: %w", err)
	}
	u, err := c.loopbackURL(app.URL, "http")
	if err != nil {
		return Negotiation{}, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/negotiate"
	q := u.Query()
	q.Set("negotiateVersion", "1")
	if c.Acker != nil {
		q.Set("useStatefulReconnect", "true")
	}
	u.RawQuery = q.Encode()
	var neg struct {
		ConnectionToken      string `json:"connectionToken"`
		UseStatefulReconnect bool   `json:"useStatefulReconnect"`
	}
	if err := c.post(ctx, u.String(), "Authorization", "Bearer "+app.AccessToken, &neg); err != nil {
		return Negotiation{}, fmt.Errorf("client negotiate: %w", err)
	}
	if neg.ConnectionToken == "" {
		return Negotiation{}, errors.New("client negotiate: no connectionToken")
	}
	if c.Acker != nil && !neg.UseStatefulReconnect {
		return Negotiation{}, errors.New("client negotiate: stateful reconnect not granted")
	}
	return Negotiation{URL: app.URL, AccessToken: app.AccessToken, ConnectionToken: neg.ConnectionToken,
		Stateful: neg.UseStatefulReconnect}, nil
}

// loopbackURL parses a URL the emulator handed out and points it at the
// emulator's loopback address with scheme.
func (c *Client) loopbackURL(raw, scheme string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bench: client URL %q: %w", raw, err)
	}
	u.Scheme, u.Host = scheme, c.addr
	return u, nil
}

// post sends an empty POST with one extra header and decodes a 200 JSON
// answer into out.
func (c *Client) post(ctx context.Context, target, hk, hv string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set(hk, hv)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return json.Unmarshal(body, out)
}

// Broadcast sends body, a JSON object {"target":...,"arguments":[...]}, to
// every connection of the hub through the REST API (POST
// /api/hubs/<hub>/:send) and expects 202 Accepted.
func (c *Client) Broadcast(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", c.sendAuth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("bench: broadcast: %w", err)
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("bench: broadcast: %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// Connect opens one client connection for user the way a SignalR client
// does: both negotiate hops, the WebSocket upgrade of
// ws://ADDR/client/?hub=H&id=TOKEN with the access token, and the
// handshake of c.Protocol (version 2 with stateful reconnect).
func (c *Client) Connect(ctx context.Context, user string) (*Conn, error) {
	n, err := c.Negotiate(ctx, user)
	if err != nil {
		return nil, err
	}
	u, err := c.loopbackURL(n.URL, "ws")
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("id", n.ConnectionToken)
	u.RawQuery = q.Encode()
	var acks *Acker
	if n.Stateful {
		acks = c.Acker
	}
	return dialAcking(ctx, u.String(), n.AccessToken, c.Protocol, c.source(), acks)
}

// Conn is one connected client past the handshake. One goroutine may call
// Next while others call Ping and Close.
type Conn struct {
	nc    net.Conn
	proto Protocol
	br    *bufio.Reader
	buf   []byte // payload buffer reused by Next
	// acks, for a stateful connection, acknowledges what Next returns.
	acks *Acker
	ack  ackState

	wmu sync.Mutex // serializes writes
}

func (c *Conn) handshake() error {
	_ = c.nc.SetDeadline(time.Now().Add(ioTimeout))
	req := handshakeRequests[c.proto]
	if c.acks != nil {
		req = statefulHandshakes[c.proto]
	}
	if err := c.write(req, false); err != nil {
		return err
	}
	p, err := c.Next()
	if err != nil {
		return err
	}
	if !bytes.Equal(p, handshakeResponse) {
		return fmt.Errorf("unexpected response %q", p)
	}
	return c.nc.SetDeadline(time.Time{})
}

// Next returns the payload of the next data message, valid until the next
// call. It returns io.EOF when the server closes the WebSocket.
func (c *Conn) Next() ([]byte, error) {
	for {
		h, err := ws.ReadHeader(c.br)
		if err != nil {
			return nil, err
		}
		if h.Length > maxPayload {
			return nil, fmt.Errorf("bench: %d-byte frame", h.Length)
		}
		if int64(cap(c.buf)) < h.Length {
			c.buf = make([]byte, h.Length)
		}
		p := c.buf[:h.Length]
		if _, err := io.ReadFull(c.br, p); err != nil {
			return nil, err
		}
		if h.Masked {
			ws.Cipher(p, h.Mask, 0)
		}
		switch h.OpCode {
		case ws.OpClose:
			return nil, io.EOF
		case ws.OpText, ws.OpBinary:
			if !h.Fin {
				return nil, errors.New("bench: fragmented message (the gateway never fragments)")
			}
			if c.acks != nil {
				c.acks.received(c, p)
			}
			return p, nil
		}
		// Ping/pong control frames: the gateway keeps connections alive
		// with hub protocol pings (data messages), not WebSocket pings.
	}
}

// Ping sends a hub protocol Ping record, as SignalR clients do every 15s
// so the server's client timeout does not close an idle connection.
func (c *Conn) Ping() error { return c.write(pingRecords[c.proto], c.proto == MessagePack) }

// write sends p in one text frame, or a binary one when binary is set.
func (c *Conn) write(p []byte, binary bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.nc.SetWriteDeadline(time.Now().Add(ioTimeout)); err != nil {
		return err
	}
	if binary {
		return wsutil.WriteClientBinary(c.nc, p)
	}
	return wsutil.WriteClientText(c.nc, p)
}

// Close closes the socket; a blocked Next returns an error.
func (c *Conn) Close() error { return c.nc.Close() }
