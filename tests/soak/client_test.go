//go:build soak

package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/heraldrt/herald/shared/hubproto"
)

// client is a plain SignalR JSON client over WebSockets: app negotiate,
// client negotiate, connect, handshake, then one goroutine counting the
// invocations it receives until the socket ends.
type client struct {
	id       string
	nc       net.Conn
	received atomic.Int64
	done     chan struct{} // closed when the reader returns
}

func dial(ctx context.Context, hc *http.Client, base, hub, user string) (*client, error) {
	var info struct{ URL, AccessToken string }
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/negotiate?hub="+hub, nil)
	req.Header.Set("x-ms-signalr-userid", user)
	if err := postJSON(hc, req, &info); err != nil {
		return nil, fmt.Errorf("app negotiate: %w", err)
	}
	u, err := url.Parse(info.URL)
	if err != nil {
		return nil, err
	}
	nu := *u
	nu.Path = strings.TrimSuffix(u.Path, "/") + "/negotiate"
	q := u.Query()
	q.Set("negotiateVersion", "1")
	nu.RawQuery = q.Encode()
	var nr hubproto.NegotiateResponse
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, nu.String(), nil)
	req.Header.Set("Authorization", "Bearer "+info.AccessToken)
	if err := postJSON(hc, req, &nr); err != nil {
		return nil, fmt.Errorf("client negotiate: %w", err)
	}
	q = u.Query()
	q.Set("id", nr.ConnectionToken)
	wu := "ws" + strings.TrimPrefix(u.Scheme, "http") + "://" + u.Host + u.Path + "?" + q.Encode()
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer " + info.AccessToken}})}
	nc, br, _, err := d.Dial(ctx, wu)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if err := wsutil.WriteClientText(nc, []byte(`{"protocol":"json","version":1}`+"\x1e")); err != nil {
		_ = nc.Close()
		return nil, err
	}
	var r io.Reader = nc
	if br != nil {
		r = io.MultiReader(br, nc)
	}
	c := &client{id: nr.ConnectionID, nc: nc, done: make(chan struct{})}
	go c.read(bufio.NewReader(r))
	return c, nil
}

func postJSON(hc *http.Client, req *http.Request, v any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%d %s", resp.StatusCode, body)
	}
	return json.Unmarshal(body, v)
}

// read counts invocations until the connection ends.
func (c *client) read(r *bufio.Reader) {
	defer close(c.done)
	for {
		data, err := wsutil.ReadServerText(struct {
			io.Reader
			io.Writer
		}{r, c.nc})
		if err != nil {
			return
		}
		c.received.Add(int64(strings.Count(string(data), `"type":1,`)))
	}
}

// close sends a Close message, or just drops the socket when abrupt.
func (c *client) close(abrupt bool) {
	if !abrupt {
		_ = wsutil.WriteClientText(c.nc, []byte(`{"type":7}`+"\x1e"))
		_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	} else {
		_ = c.nc.Close()
	}
	<-c.done
	_ = c.nc.Close()
}
