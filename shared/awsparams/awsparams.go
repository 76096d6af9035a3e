// Package awsparams reads Secrets Manager secrets and SSM Parameter Store
// parameters inside a Lambda function through the AWS Parameters and
// Secrets Lambda Extension, without an AWS SDK: the extension (a Lambda
// layer) serves them on http://localhost:2773, authenticated by the
// function's session token, caches them and makes the signed AWS calls.
//
// Lambda lets functions call the extension during invocations only, not
// during the init phase, so callers read at their first invocation.
package awsparams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// TokenHeader carries the session token the extension requires.
const TokenHeader = "X-Aws-Parameters-Secrets-Token"

// DefaultPort is the extension's port unless
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise.
const DefaultPort = 2773

// ErrUnavailable wraps every failure to read a value.
var ErrUnavailable = errors.New("awsparams: value unavailable")

// Client reads through the extension. It is safe for concurrent use.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// Config configures a Client.
type Config struct {
	// BaseURL is the extension's address. Default
	// "http://localhost:<Port>".
	BaseURL string
	// Port is used when BaseURL is empty. Default DefaultPort.
	Port int
	// SessionToken is AWS_SESSION_TOKEN. Required.
	SessionToken string
	// Timeout bounds one read. Default 5s.
	Timeout time.Duration
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.SessionToken == "" {
		return nil, fmt.Errorf("%w: no session token (AWS_SESSION_TOKEN is set by Lambda)", ErrUnavailable)
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://localhost:" + strconv.Itoa(cfg.Port)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	return &Client{base: cfg.BaseURL, token: cfg.SessionToken, http: &http.Client{Timeout: cfg.Timeout}}, nil
}

// Secret returns the SecretString of the secret id (name or ARN).
func (c *Client) Secret(ctx context.Context, id string) (string, error) {
	var out struct {
		SecretString *string `json:"SecretString"`
	}
	if err := c.get(ctx, "/secretsmanager/get?secretId="+url.QueryEscape(id), &out); err != nil {
		return "", fmt.Errorf("secret %s: %w", id, err)
	}
	if out.SecretString == nil {
		return "", fmt.Errorf("%w: secret %s has no SecretString (binary secrets are not supported)", ErrUnavailable, id)
	}
	return *out.SecretString, nil
}

// Parameter returns the (decrypted) value of the parameter name.
func (c *Client) Parameter(ctx context.Context, name string) (string, error) {
	var out struct {
		Parameter *struct {
			Value string `json:"Value"`
		} `json:"Parameter"`
	}
	if err := c.get(ctx, "/systemsmanager/parameters/get?name="+url.QueryEscape(name)+"&withDecryption=true", &out); err != nil {
		return "", fmt.Errorf("parameter %s: %w", name, err)
	}
	if out.Parameter == nil {
		return "", fmt.Errorf("%w: parameter %s: answer without Parameter", ErrUnavailable, name)
	}
	return out.Parameter.Value, nil
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	req.Header.Set(TokenHeader, c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: is the Parameters and Secrets extension layer attached? %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: extension answered %d: %.200s", ErrUnavailable, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}
