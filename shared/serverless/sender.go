package serverless

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/token"
	"github.com/heraldrt/herald/shared/upstream"
)

// apiVersion is the REST API version Sender calls, that of the current
// Management SDK and Functions extension.
const apiVersion = "2022-06-01"

// DefaultSenderTimeout is the timeout of Sender's default HTTP client:
// 100 seconds, the default of the Functions extension's REST client.
const DefaultSenderTimeout = 100 * time.Second

// SenderConfig configures a Sender. Zero values mean the documented
// defaults.
type SenderConfig struct {
	// ConnectionString is the service's connection string, with an
	// AccessKey (Entra ID authentication is not supported). Required.
	ConnectionString string
	// HTTPClient sends the requests. Default: a client with
	// DefaultSenderTimeout (100s).
	HTTPClient *http.Client
	// TokenLifetime is the lifetime of the token on each call. Default
	// token.DefaultLifetime (1h), as the SDK.
	TokenLifetime time.Duration
}

// Sender calls the service's data-plane REST API (api-version 2022-06-01)
// as the Functions output bindings do: every call carries an HS256 token
// signed with the AccessKey whose aud is the call's URL built from the
// connection string's audience base (no port). It is safe for concurrent
// use.
type Sender struct {
	base     string // ServerBase, ends with "/"
	audBase  string // AudienceBase, ends with "/"
	issuer   *token.Issuer
	client   *http.Client
	lifetime time.Duration
}

// NewSender returns a Sender for cfg. It fails when the connection string
// does not parse or has no AccessKey.
func NewSender(cfg SenderConfig) (*Sender, error) {
	cs, err := connstr.Parse(cfg.ConnectionString)
	if err != nil {
		return nil, fmt.Errorf("serverless: %w", err)
	}
	if cs.AccessKey == "" {
		return nil, errors.New("serverless: the connection string has no AccessKey (Entra ID authentication is not supported)")
	}
	issuer, err := token.NewIssuer(token.IssuerConfig{Key: cs.AccessKey, Lifetime: cfg.TokenLifetime})
	if err != nil {
		return nil, fmt.Errorf("serverless: %w", err)
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: DefaultSenderTimeout}
	}
	return &Sender{
		base: cs.ServerBase(), audBase: cs.AudienceBase(),
		issuer: issuer, client: client, lifetime: cfg.TokenLifetime,
	}, nil
}

// Send sends m to the recipients its fields select (see Message).
func (s *Sender) Send(ctx context.Context, hub string, m Message) error {
	if m.Target == "" {
		return errors.New("serverless: Message.Target is required")
	}
	var path string
	switch {
	case m.ConnectionID != "":
		path = "/connections/" + esc(m.ConnectionID) + "/:send"
	case m.UserID != "":
		path = "/users/" + esc(m.UserID) + "/:send"
	case m.GroupName != "":
		path = "/groups/" + esc(m.GroupName) + "/:send"
	default:
		path = "/:send"
	}
	args := m.Arguments
	if args == nil {
		args = []any{}
	}
	body, err := json.Marshal(struct {
		Target    string `json:"target"`
		Arguments []any  `json:"arguments"`
	}{m.Target, args})
	if err != nil {
		return fmt.Errorf("serverless: marshal arguments: %w", err)
	}
	return s.do(ctx, http.MethodPost, hub, path, body)
}

// SendToAll invokes target with args on every client of hub.
func (s *Sender) SendToAll(ctx context.Context, hub, target string, args ...any) error {
	return s.Send(ctx, hub, Message{Target: target, Arguments: args})
}

// SendToUser invokes target with args on every connection of userID.
func (s *Sender) SendToUser(ctx context.Context, hub, userID, target string, args ...any) error {
	if userID == "" {
		return errors.New("serverless: user id is required")
	}
	return s.Send(ctx, hub, Message{Target: target, Arguments: args, UserID: userID})
}

// SendToGroup invokes target with args on every connection in group.
func (s *Sender) SendToGroup(ctx context.Context, hub, group, target string, args ...any) error {
	if group == "" {
		return errors.New("serverless: group name is required")
	}
	return s.Send(ctx, hub, Message{Target: target, Arguments: args, GroupName: group})
}

// SendToConnection invokes target with args on one connection.
func (s *Sender) SendToConnection(ctx context.Context, hub, connectionID, target string, args ...any) error {
	if connectionID == "" {
		return errors.New("serverless: connection id is required")
	}
	return s.Send(ctx, hub, Message{Target: target, Arguments: args, ConnectionID: connectionID})
}

// Apply performs a group action (see GroupAction): add or remove a
// connection or a user, or remove either from every group. As in the
// Management SDK, adding a connection that no longer exists (404 with
// x-ms-error-code Error.Connection.NotExisted) succeeds; every other
// non-2xx status is a *StatusError.
func (s *Sender) Apply(ctx context.Context, hub string, a GroupAction) error {
	var who string
	switch {
	case a.ConnectionID != "" && a.UserID != "":
		return errors.New("serverless: GroupAction names both a connection and a user")
	case a.ConnectionID != "":
		who = "/connections/" + esc(a.ConnectionID)
	case a.UserID != "":
		who = "/users/" + esc(a.UserID)
	default:
		return errors.New("serverless: GroupAction needs a ConnectionID or a UserID")
	}
	switch {
	case strings.EqualFold(a.Action, ActionRemoveAll):
		return s.do(ctx, http.MethodDelete, hub, who+"/groups", nil)
	case a.GroupName == "":
		return errors.New("serverless: GroupAction.GroupName is required")
	case strings.EqualFold(a.Action, ActionAdd):
		err := s.do(ctx, http.MethodPut, hub, who+"/groups/"+esc(a.GroupName), nil)
		if a.ConnectionID != "" && isConnectionNotExisted(err) {
			return nil // as the Management SDK: the connection is already gone
		}
		return err
	case strings.EqualFold(a.Action, ActionRemove):
		return s.do(ctx, http.MethodDelete, hub, who+"/groups/"+esc(a.GroupName), nil)
	default:
		return fmt.Errorf("serverless: unknown GroupAction.Action %q", a.Action)
	}
}

// isConnectionNotExisted reports a 404 whose x-ms-error-code says the
// connection does not exist.
func isConnectionNotExisted(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.StatusCode == http.StatusNotFound &&
		strings.EqualFold(se.Code, "Error.Connection.NotExisted")
}

// AddToGroup adds a connection to group. A connection that no longer exists
// is not an error, as in the Management SDK.
func (s *Sender) AddToGroup(ctx context.Context, hub, connectionID, group string) error {
	return s.Apply(ctx, hub, GroupAction{Action: ActionAdd, ConnectionID: connectionID, GroupName: group})
}

// RemoveFromGroup removes a connection from group.
func (s *Sender) RemoveFromGroup(ctx context.Context, hub, connectionID, group string) error {
	return s.Apply(ctx, hub, GroupAction{Action: ActionRemove, ConnectionID: connectionID, GroupName: group})
}

// AddUserToGroup adds every connection of a user, present and future, to
// group.
func (s *Sender) AddUserToGroup(ctx context.Context, hub, userID, group string) error {
	return s.Apply(ctx, hub, GroupAction{Action: ActionAdd, UserID: userID, GroupName: group})
}

// RemoveUserFromGroup removes a user from group.
func (s *Sender) RemoveUserFromGroup(ctx context.Context, hub, userID, group string) error {
	return s.Apply(ctx, hub, GroupAction{Action: ActionRemove, UserID: userID, GroupName: group})
}

// RemoveUserFromAllGroups removes a user from every group.
func (s *Sender) RemoveUserFromAllGroups(ctx context.Context, hub, userID string) error {
	return s.Apply(ctx, hub, GroupAction{Action: ActionRemoveAll, UserID: userID})
}

// do calls method on "api/hubs/<hub><path>?api-version=..." and returns a
// *StatusError for a status other than 2xx.
func (s *Sender) do(ctx context.Context, method, hub, path string, body []byte) error {
	if hub == "" {
		return errors.New("serverless: hub name is required")
	}
	rel := "api/hubs/" + esc(strings.ToLower(hub)) + path + "?api-version=" + apiVersion
	tok, err := s.issuer.Issue(s.audBase+rel, nil, s.lifetime)
	if err != nil {
		return fmt.Errorf("serverless: issue token: %w", err)
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+rel, rd)
	if err != nil {
		return fmt.Errorf("serverless: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("serverless: %s %s: %w", method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return &StatusError{
		Method: method, Path: req.URL.Path, StatusCode: resp.StatusCode,
		Code: resp.Header.Get("x-ms-error-code"), Body: strings.TrimSpace(string(b)),
	}
}

// esc escapes a path segment as the SDK does (Uri.EscapeDataString).
func esc(s string) string { return upstream.EscapeDataString(s) }
