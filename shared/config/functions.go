package config

import (
	"fmt"
	"net/url"
	"time"

	"github.com/heraldrt/herald/shared/connstr"
	"github.com/heraldrt/herald/shared/httpapi"
)

// Functions is the configuration of the Lambda functions (functions/), read
// by FunctionsFromEnv. Each field names its variable and default.
type Functions struct {
	// AccessKeys is HERALD_ACCESS_KEYS, comma-separated; the first signs.
	// When empty, the AccessKey of HERALD_CONNECTION_STRING is used. In AWS
	// the keys come from AccessKeysSecret or AccessKeysParameter instead;
	// exactly one of the three sources must be set.
	AccessKeys []string
	// AccessKeysSecret is HERALD_ACCESS_KEYS_SECRET: the name or ARN of a
	// Secrets Manager secret whose SecretString holds the comma-separated
	// keys, read with the AWS SDK (shared/awsparams) at the first
	// invocation. Default: none.
	AccessKeysSecret string
	// AccessKeysParameter is HERALD_ACCESS_KEYS_PARAMETER: the name of an
	// SSM Parameter Store parameter (SecureString) holding the keys, read
	// the same way. Default: none.
	AccessKeysParameter string
	// RedisURL is REDIS_URL: one server, redis:// or rediss://
	// (TLS); a Redis Cluster, redis+cluster://host:port[,host:port...] or
	// rediss+cluster:// (see redisbus.NewClient). Default
	// "redis://127.0.0.1:6379/0". The chat hub does not use it.
	RedisURL string
	// RedisURLSecret is HERALD_REDIS_URL_SECRET: the name or ARN of a
	// Secrets Manager secret whose SecretString is the Redis URL (with its
	// password), read with the AWS SDK at cold start instead of REDIS_URL.
	// Set one of the two. Default: none.
	RedisURLSecret string
	// RedisPrefix is HERALD_REDIS_PREFIX; it must match the gateways'.
	// Default "herald".
	RedisPrefix string
	// PublicURL is HERALD_PUBLIC_URL, the endpoint clients and REST callers
	// reach (the load balancer or its domain), e.g.
	// https://signalr.example.com/. It is the base of the client URLs
	// negotiate hands out and the audience base of the tokens it signs,
	// and the chat hub calls the REST API there. Default: none (negotiate
	// derives the base from each request; the chat hub needs it).
	PublicURL string
	// AppSecret is HERALD_APP_SECRET: require an HS256 app token (with exp)
	// signed with it on /api/negotiate. Default: none.
	AppSecret string
	// AppJWKSURL is HERALD_APP_JWKS_URL: require an app token on
	// /api/negotiate verified against this JWKS (RS/ES). Default: none.
	AppJWKSURL string
	// AppAudience is HERALD_APP_AUDIENCE and AppIssuer HERALD_APP_ISSUER:
	// when set, an app token's aud must include it and its iss equal it
	// (set both with HERALD_APP_JWKS_URL: an identity provider signs
	// tokens for many applications). Default: not checked.
	AppAudience string
	AppIssuer   string
	// AllowAnonymousNegotiate is HERALD_ALLOW_ANONYMOUS_NEGOTIATE: let the
	// negotiate function start without HERALD_APP_SECRET or
	// HERALD_APP_JWKS_URL, taking the user id from the request (anyone
	// may then connect as anyone). Default false: the negotiate function
	// refuses to start without app authentication.
	AllowAnonymousNegotiate bool
	// CORSOrigins is HERALD_CORS_ORIGINS, the comma-separated browser
	// origins (https://app.example.com) allowed to call /api/negotiate
	// cross-origin with credentials, or "*" for every origin without
	// credentials. Default: none.
	CORSOrigins []string
	// MaxBodyBytes is HERALD_MAX_BODY_BYTES, the largest REST message
	// body the api function accepts; larger ones get 413. Default 750000
	// (httpapi.ALBMaxBodyBytes): what fits the load balancer's 1 MB Lambda
	// body limit even base64-encoded.
	MaxBodyBytes int
	// Claims is HERALD_CLAIMS, the comma-separated app-token claims copied
	// into access tokens. Default: none.
	Claims []string
	// TokenLifetime is HERALD_TOKEN_LIFETIME, the lifetime of access tokens
	// from /api/negotiate. Default 1h.
	TokenLifetime time.Duration
}

// FunctionsFromEnv reads the functions' variables. Every problem is an error
// wrapping ErrInvalid that names the variable.
func FunctionsFromEnv(get Getenv) (Functions, error) {
	r := &reader{get: get}
	f := Functions{
		AccessKeys:              r.list("HERALD_ACCESS_KEYS"),
		AccessKeysSecret:        r.str("HERALD_ACCESS_KEYS_SECRET", ""),
		AccessKeysParameter:     r.str("HERALD_ACCESS_KEYS_PARAMETER", ""),
		RedisURL:                r.secretURL("REDIS_URL", "redis://127.0.0.1:6379/0"),
		RedisURLSecret:          r.str("HERALD_REDIS_URL_SECRET", ""),
		RedisPrefix:             r.str("HERALD_REDIS_PREFIX", "herald"),
		PublicURL:               r.str("HERALD_PUBLIC_URL", ""),
		AppSecret:               r.str("HERALD_APP_SECRET", ""),
		AppJWKSURL:              r.str("HERALD_APP_JWKS_URL", ""),
		AppAudience:             r.str("HERALD_APP_AUDIENCE", ""),
		AppIssuer:               r.str("HERALD_APP_ISSUER", ""),
		AllowAnonymousNegotiate: r.boolean("HERALD_ALLOW_ANONYMOUS_NEGOTIATE"),
		CORSOrigins:             r.corsOrigins("HERALD_CORS_ORIGINS"),
		MaxBodyBytes:            r.integer("HERALD_MAX_BODY_BYTES", httpapi.ALBMaxBodyBytes),
		Claims:                  r.list("HERALD_CLAIMS"),
		TokenLifetime:           r.duration("HERALD_TOKEN_LIFETIME", time.Hour),
	}
	if cs := r.str("HERALD_CONNECTION_STRING", ""); cs != "" && len(f.AccessKeys) == 0 {
		parsed, err := connstr.Parse(cs)
		if err != nil {
			r.fail("HERALD_CONNECTION_STRING", err)
		} else {
			f.AccessKeys = []string{parsed.AccessKey}
			if f.PublicURL == "" {
				f.PublicURL = parsed.ServerBase()
			}
		}
	}
	sources := 0
	for _, set := range []bool{len(f.AccessKeys) > 0, f.AccessKeysSecret != "", f.AccessKeysParameter != ""} {
		if set {
			sources++
		}
	}
	if sources != 1 && r.err == nil {
		r.fail("HERALD_ACCESS_KEYS", fmt.Errorf("set exactly one of it (or HERALD_CONNECTION_STRING), HERALD_ACCESS_KEYS_SECRET and HERALD_ACCESS_KEYS_PARAMETER; %d are set", sources))
	}
	if f.RedisURLSecret != "" && r.str("REDIS_URL", "") != "" {
		r.fail("HERALD_REDIS_URL_SECRET", fmt.Errorf("set it or REDIS_URL, not both"))
	}
	if f.AppSecret != "" && f.AppJWKSURL != "" {
		r.fail("HERALD_APP_SECRET", fmt.Errorf("set it or HERALD_APP_JWKS_URL, not both"))
	}
	if f.PublicURL != "" {
		if u, err := url.Parse(f.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			r.fail("HERALD_PUBLIC_URL", fmt.Errorf("%q is not an absolute http(s) URL", f.PublicURL))
		}
	}
	return f, r.err
}
