package config

import (
	"fmt"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/connstr"
)

// Functions is the configuration of the Lambda functions (functions/) and
// of functions/chathub run outside Lambda. Fields are documented by their
// usage tags (docs/configuration.md); a setting the nodes share has their
// variable and flag.
type Functions struct {
	OptionsFile string `flag:"options-file" env:"HERALD_OPTIONS_FILE" usage:"a JSON options file: an object of settings by flag name (or variable name), below the environment and the flags in precedence"`

	AccessKeys          []string `flag:"access-key,access-keys" env:"HERALD_ACCESS_KEYS" secret:"true" usage:"comma-separated AccessKeys; the first signs. Exactly one key source must be set: this (or HERALD_CONNECTION_STRING), HERALD_ACCESS_KEYS_SECRET or HERALD_ACCESS_KEYS_PARAMETER"`
	ConnectionString    string   `flag:"connection-string" env:"HERALD_CONNECTION_STRING" secret:"true" usage:"an Azure-style connection string whose AccessKey is used when no AccessKey is given, and whose endpoint is the public URL when none is given"`
	AccessKeysSecret    string   `flag:"access-keys-secret" env:"HERALD_ACCESS_KEYS_SECRET" usage:"Secrets Manager secret (name or ARN) whose SecretString holds the comma-separated keys, read with the AWS SDK at the first invocation"`
	AccessKeysParameter string   `flag:"access-keys-parameter" env:"HERALD_ACCESS_KEYS_PARAMETER" usage:"SSM Parameter Store parameter (SecureString) holding the keys, read the same way"`

	RedisURL       string `flag:"redis,redis-url" env:"REDIS_URL" default:"redis://127.0.0.1:6379/0" secret:"true" usage:"Redis (rediss:// for TLS); a Redis Cluster: redis+cluster://host:port[,host:port…] (rediss+cluster:// for TLS); the chat hub does not use it"`
	RedisURLSecret string `flag:"redis-url-secret" env:"HERALD_REDIS_URL_SECRET" usage:"Secrets Manager secret (name or ARN) holding the Redis URL with its password, read at cold start instead of REDIS_URL"`
	RedisPrefix    string `flag:"redis-prefix" env:"HERALD_REDIS_PREFIX" default:"herald" usage:"prefix of every Redis key and channel; the same as the gateways'"`

	PublicURL string `flag:"public-url,client-url" env:"HERALD_PUBLIC_URL" doc:"none: derived per request" usage:"the endpoint clients and REST callers reach (e.g. https://signalr.example.com/): base of the client URLs negotiate hands out and audience of their tokens; the chat hub calls the REST API there"`

	AppSecret               string        `flag:"app-secret" env:"HERALD_APP_SECRET" secret:"true" usage:"require an HS256 app token (with exp) signed with this secret on /api/negotiate; the user is its sub"`
	AppJWKSURL              string        `flag:"app-jwks,app-jwks-url" env:"HERALD_APP_JWKS_URL" usage:"require an app token on /api/negotiate verified against this JWKS URL (RS/ES)"`
	AppAudience             string        `flag:"app-audience" env:"HERALD_APP_AUDIENCE" usage:"an app token's aud must include this (set it with a JWKS: an identity provider signs tokens for many applications)"`
	AppIssuer               string        `flag:"app-issuer" env:"HERALD_APP_ISSUER" usage:"an app token's iss must equal this"`
	AllowAnonymousNegotiate bool          `flag:"allow-anonymous-negotiate" env:"HERALD_ALLOW_ANONYMOUS_NEGOTIATE" default:"false" usage:"let the negotiate function start without HERALD_APP_SECRET or HERALD_APP_JWKS_URL (callers then choose their user id); otherwise it refuses to start"`
	Claims                  []string      `flag:"claims" env:"HERALD_CLAIMS" usage:"comma-separated app-token claims copied into access tokens (keep tokens small)"`
	TokenLifetime           time.Duration `flag:"token-lifetime" env:"HERALD_TOKEN_LIFETIME" default:"1h" usage:"lifetime of access tokens from /api/negotiate"`
	CORSOrigins             []string      `flag:"cors-origins" env:"HERALD_CORS_ORIGINS" doc:"none: no cross-origin calls" usage:"comma-separated browser origins (https://app.example.com) allowed to call /api/negotiate cross-origin with credentials, or * for every origin without credentials"`

	MaxBodyBytes        int `flag:"max-body-bytes" env:"HERALD_MAX_BODY_BYTES" default:"750000" min:"1" usage:"largest REST message body of the api function; larger ones get 413 (750000 fits the load balancer's 1 MB Lambda body limit even base64-encoded)"`
	MaxConnectionGroups int `flag:"max-connection-groups" env:"HERALD_MAX_CONNECTION_GROUPS" default:"1000" usage:"most groups of one connection; a join beyond answers 409 (0: no limit)"`
	MaxUserGroups       int `flag:"max-user-groups" env:"HERALD_MAX_USER_GROUPS" default:"1000" usage:"most recorded group memberships of one user in a hub; a join beyond answers 409 (0: no limit)"`

	Addr string `flag:"addr" env:"ADDR" default:"127.0.0.1:7071" usage:"functions/chathub outside Lambda: its listen address"`
}

func (*Functions) family() string { return "functions" }

// GroupLimits returns the bus's group limits (where 0 means its default
// and a negative value no limit).
func (f *Functions) GroupLimits() bus.GroupLimits {
	return groupLimits(f.MaxConnectionGroups, f.MaxUserGroups)
}

// GroupLimits returns the bus's group limits (where 0 means its default
// and a negative value no limit).
func (n *Node) GroupLimits() bus.GroupLimits {
	return groupLimits(n.MaxConnectionGroups, n.MaxUserGroups)
}

func groupLimits(perConnection, perUser int) bus.GroupLimits {
	return bus.GroupLimits{PerConnection: NoLimitNegative(perConnection), PerUser: NoLimitNegative(perUser)}
}

// NoLimitNegative maps a limit where 0 means none to the convention of
// settings whose zero value means a default: 0 becomes -1.
func NoLimitNegative(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

func (f *Functions) validate(set func(string) bool) error {
	v := &validator{fields: fieldsOf(reflectType(f))}
	if f.ConnectionString != "" && len(f.AccessKeys) == 0 {
		if cs, err := connstr.Parse(f.ConnectionString); err != nil {
			v.fail("connection-string", err)
		} else {
			f.AccessKeys = []string{cs.AccessKey}
			if f.PublicURL == "" {
				f.PublicURL = cs.ServerBase()
			}
		}
	}
	sources := 0
	for _, s := range []bool{len(f.AccessKeys) > 0, f.AccessKeysSecret != "", f.AccessKeysParameter != ""} {
		if s {
			sources++
		}
	}
	if sources != 1 {
		v.fail("access-key", fmt.Errorf("set exactly one of it (or HERALD_CONNECTION_STRING), HERALD_ACCESS_KEYS_SECRET and HERALD_ACCESS_KEYS_PARAMETER; %d are set", sources))
	}
	if f.RedisURLSecret != "" && set("redis") {
		v.fail("redis-url-secret", fmt.Errorf("set it or REDIS_URL, not both"))
	}
	v.redisURL("redis", f.RedisURL)
	if f.AppSecret != "" && f.AppJWKSURL != "" {
		v.fail("app-secret", fmt.Errorf("set it or HERALD_APP_JWKS_URL, not both"))
	}
	v.cors("cors-origins", f.CORSOrigins)
	v.absoluteURL("public-url", f.PublicURL)
	return v.err
}
