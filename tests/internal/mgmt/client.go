package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// APIVersion is the api-version the Management SDK sends.
const APIVersion = "2022-06-01"

// DefaultLifetime is the lifetime of the tokens the SDK signs.
const DefaultLifetime = time.Hour

// Client calls the data-plane REST API like the Management SDK. Create it with New and
// release its idle connections with Close.
type Client struct {
	serverBase   string // ServerEndpoint (or Endpoint with Port applied) + "/"
	audienceBase string // "{scheme}://{host}/", port dropped
	accessKey    string
	serverName   string // the nameid claim: <host>_<uuid "N" format>
	http         *http.Client
}

// New parses a connection string (Endpoint, Port, AccessKey, optional ServerEndpoint; keys
// are case-insensitive) the way the SDK does and returns a client for it.
func New(connectionString string) (*Client, error) {
	props := map[string]string{}
	for _, part := range strings.Split(connectionString, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mgmt: connection string segment %q has no '='", part)
		}
		props[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	endpoint, err := url.Parse(strings.TrimRight(props["endpoint"], "/"))
	if err != nil || (endpoint.Scheme != "http" && endpoint.Scheme != "https") || endpoint.Host == "" {
		return nil, fmt.Errorf("mgmt: connection string needs an absolute http(s) Endpoint, got %q", props["endpoint"])
	}
	if props["accesskey"] == "" {
		return nil, errors.New("mgmt: connection string has no AccessKey")
	}
	server := *endpoint
	if p, ok := props["port"]; ok {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n >= 65536 {
			return nil, fmt.Errorf("mgmt: invalid Port %q", p)
		}
		server.Host = endpoint.Hostname() + ":" + strconv.Itoa(n)
	}
	if s, ok := props["serverendpoint"]; ok {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("mgmt: invalid ServerEndpoint %q", s)
		}
		server = *u
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return &Client{
		serverBase:   strings.TrimRight(server.String(), "/") + "/",
		audienceBase: endpoint.Scheme + "://" + endpoint.Hostname() + "/",
		accessKey:    props["accesskey"],
		serverName:   host + "_" + strings.ReplaceAll(uuid.NewString(), "-", ""),
		http: &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			Timeout:   10 * time.Second,
		},
	}, nil
}

// Close releases idle keep-alive connections (and with them their goroutines).
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Response is a completed REST call with its body read.
type Response struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Header is the response header.
	Header http.Header
	// Body is the whole response body.
	Body []byte
}

// ErrorCode returns the x-ms-error-code response header.
func (r *Response) ErrorCode() string { return r.Header.Get("x-ms-error-code") }

// String summarises the response for failure messages.
func (r *Response) String() string {
	return fmt.Sprintf("%d (x-ms-error-code %q) %s", r.StatusCode, r.ErrorCode(), r.Body)
}

// Message is the body of the :send routes, serialised with the SDK's PascalCase keys.
type Message struct {
	Target    string `json:"Target"`
	Arguments []any  `json:"Arguments"`
}

// Option changes how one call is authenticated; the default is a valid SDK token.
type Option func(*callOptions)

type callOptions struct {
	noToken  bool
	key      string
	now      time.Time
	lifetime time.Duration
}

// WithoutToken sends no Authorization header.
func WithoutToken() Option { return func(o *callOptions) { o.noToken = true } }

// SignedWith signs the token with key instead of the connection string's AccessKey.
func SignedWith(key string) Option { return func(o *callOptions) { o.key = key } }

// IssuedAt sets nbf and iat to at and exp to at + lifetime (e.g. two hours ago for an
// expired token).
func IssuedAt(at time.Time, lifetime time.Duration) Option {
	return func(o *callOptions) { o.now, o.lifetime = at, lifetime }
}

// Do performs one call: method on "api/hubs/{hub}" + path, where path is already escaped
// (use Escape for each segment). query holds the extra parameters appended after
// api-version (sorted by key, values in order, escaped like the SDK). msg, when non-nil,
// is sent as the JSON body.
func (c *Client) Do(ctx context.Context, method, hub, path string, query url.Values, msg *Message, opts ...Option) (*Response, error) {
	if msg == nil {
		return c.DoBody(ctx, method, hub, path, query, "", nil, opts...)
	}
	m := *msg
	if m.Arguments == nil {
		m.Arguments = []any{}
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("mgmt: encode message: %w", err)
	}
	return c.DoBody(ctx, method, hub, path, query, "application/json; charset=utf-8", body, opts...)
}

// DoBody is Do with a ready body of the given Content-Type (none when contentType is
// empty). Like the SDK's payload contents, the body has no declared length and is sent
// chunked.
func (c *Client) DoBody(ctx context.Context, method, hub, path string, query url.Values, contentType string, body []byte, opts ...Option) (*Response, error) {
	o := callOptions{key: c.accessKey, now: time.Now(), lifetime: DefaultLifetime}
	for _, opt := range opts {
		opt(&o)
	}
	hubPath := "api/hubs/" + Escape(strings.ToLower(hub)) + path + "?api-version=" + APIVersion
	target := c.serverBase + hubPath + encodeQuery(query)

	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, fmt.Errorf("mgmt: %w", err)
	}
	if !o.noToken {
		token, err := c.token(c.audienceBase+hubPath, o)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = -1
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("mgmt: %s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("mgmt: %s %s: read body: %w", method, target, err)
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: data}, nil
}

// Token returns the token the SDK would send for a call to hub and the escaped path.
func (c *Client) Token(hub, path string, opts ...Option) (string, error) {
	o := callOptions{key: c.accessKey, now: time.Now(), lifetime: DefaultLifetime}
	for _, opt := range opts {
		opt(&o)
	}
	return c.token(c.audienceBase+"api/hubs/"+Escape(strings.ToLower(hub))+path+"?api-version="+APIVersion, o)
}

// URL returns the URL the SDK would call for hub and the escaped path, without extra query.
func (c *Client) URL(hub, path string) string {
	return c.serverBase + "api/hubs/" + Escape(strings.ToLower(hub)) + path + "?api-version=" + APIVersion
}

func (c *Client) token(audience string, o callOptions) (string, error) {
	claims := jwt.MapClaims{
		"nameid": c.serverName,
		"nbf":    o.now.Unix(),
		"iat":    o.now.Unix(),
		"exp":    o.now.Add(o.lifetime).Unix(),
		"aud":    audience,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	// .NET sets kid to the key string's GetHashCode(): a per-process random int32.
	t.Header["kid"] = strconv.FormatInt(int64(int32(rand.Uint32())), 10)
	s, err := t.SignedString([]byte(o.key))
	if err != nil {
		return "", fmt.Errorf("mgmt: sign token: %w", err)
	}
	return s, nil
}

// encodeQuery renders extra parameters as "&k=v..." escaped like Uri.EscapeDataString.
func encodeQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			b.WriteString("&" + Escape(k) + "=" + Escape(v))
		}
	}
	return b.String()
}

// Escape escapes s like .NET Uri.EscapeDataString: every byte except the RFC 3986
// unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex).
func Escape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}
