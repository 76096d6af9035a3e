package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkInvokeCrossNode: client results across processes. Two gateway
// processes and a functions process on one Redis; one client on each
// gateway answers every Invocation with an invocation id at once. 1,000
// REST :invoke calls go to the functions process, alternating between the
// two clients, one at a time; p50 and p99 are the round trips of the REST
// calls (functions → owning gateway → client → back).
func BenchmarkInvokeCrossNode(b *testing.B) {
	const calls = 1000
	r := startRedis(b)
	ids := make([]string, 2)
	conns := make([]*Conn, 2)
	for i, gw := range r.cluster.Gateways {
		c, id, err := connectWithID(context.Background(), r.client, fmt.Sprintf("inv%d", i), gw.Addr)
		if err != nil {
			b.Fatalf("connect: %v\n%s", err, r.cluster.Logs())
		}
		conns[i], ids[i] = c, id
	}
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answer(c)
		}()
	}
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
		wg.Wait()
	}()
	b.ResetTimer()
	for range b.N {
		rtts := make([]time.Duration, 0, calls)
		for i := range calls {
			start := time.Now()
			if err := invoke(r.client, ids[i%2], i); err != nil {
				b.Fatalf("invoke %d: %v\n%s", i, err, r.cluster.Logs())
			}
			rtts = append(rtts, time.Since(start))
		}
		slices.Sort(rtts)
		report(b, float64(rtts[len(rtts)/2].Microseconds())/1000, "p50-ms")
		report(b, float64(rtts[len(rtts)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// answer replies to every Invocation carrying an invocation id with a
// Completion whose result is its first argument, until the connection ends.
func answer(c *Conn) {
	for {
		payload, err := c.Next()
		if err != nil {
			return
		}
		for _, rec := range bytes.Split(payload, []byte{0x1e}) {
			var m struct {
				Type         int               `json:"type"`
				InvocationID string            `json:"invocationId"`
				Arguments    []json.RawMessage `json:"arguments"`
			}
			if json.Unmarshal(rec, &m) != nil || m.Type != 1 || m.InvocationID == "" || len(m.Arguments) == 0 {
				continue
			}
			reply := fmt.Sprintf(`{"type":3,"invocationId":%q,"result":%s}`+"\x1e", m.InvocationID, m.Arguments[0])
			if c.write([]byte(reply), false) != nil {
				return
			}
		}
	}
}

// invoke posts one :invoke of echo(n) to connection id and checks the result.
func invoke(c *Client, id string, n int) error {
	path := "/api/hubs/" + url.PathEscape(hub) + "/connections/" + url.PathEscape(id) + "/:invoke?api-version=2024-12-01"
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"aud": "http://localhost" + path,
		"exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(accessKey))
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+c.addr+path, strings.NewReader(fmt.Sprintf(`{"target":"echo","arguments":[%d]}`, n)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if want := fmt.Sprintf(`{"result":%d}`, n); resp.StatusCode != http.StatusOK || string(bytes.TrimSpace(body)) != want {
		return fmt.Errorf("%s %s, want 200 %s", resp.Status, body, want)
	}
	return nil
}

// connectWithID is ConnectVia that also returns the connection id.
func connectWithID(ctx context.Context, c *Client, user, gateway string) (*Conn, string, error) {
	var app struct {
		URL         string `json:"url"`
		AccessToken string `json:"accessToken"`
	}
	if err := c.post(ctx, "http://"+c.addr+"/api/negotiate?hub="+url.QueryEscape(c.hub), UserHeader, user, &app); err != nil {
		return nil, "", err
	}
	u, err := url.Parse(app.URL)
	if err != nil {
		return nil, "", err
	}
	u.Scheme, u.Host = "http", gateway
	neg := *u
	neg.Path = strings.TrimSuffix(u.Path, "/") + "/negotiate"
	q := neg.Query()
	q.Set("negotiateVersion", "1")
	neg.RawQuery = q.Encode()
	var answer struct {
		ConnectionID    string `json:"connectionId"`
		ConnectionToken string `json:"connectionToken"`
	}
	if err := c.post(ctx, neg.String(), "Authorization", "Bearer "+app.AccessToken, &answer); err != nil {
		return nil, "", err
	}
	u.Scheme = "ws"
	q = u.Query()
	q.Set("id", answer.ConnectionToken)
	u.RawQuery = q.Encode()
	conn, err := dialWebSocket(ctx, u.String(), app.AccessToken, JSON, "")
	return conn, answer.ConnectionID, err
}
