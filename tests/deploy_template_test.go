package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/heraldrt/herald/shared/awstest"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/tests/internal/cfn"
)

// The deployment tier, part 1: template.yaml (and infra/redis.yaml) parsed and checked
// against the code: what the functions and the gateway read from the environment is set,
// the Makefile targets sam build runs exist and build the right packages, the listener
// rules send every route to the process that serves it, and draining, timeouts and ports
// agree with the gateway's.

const templatePath = "../template.yaml"

var loadTemplate = sync.OnceValues(func() (*cfn.Template, error) { return cfn.Load(templatePath) })

func template(t *testing.T) *cfn.Template {
	t.Helper()
	tpl, err := loadTemplate()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// scenarios are parameter sets a user may deploy with.
var scenarios = map[string]map[string]string{
	"defaults": {},
	"existing secret, Redis and upstream": {
		"AccessKeySecretArn":      "arn:aws:secretsmanager:us-east-1:123456789012:secret:herald-keys-AbCdEf",
		"RedisUrl":                "rediss://my-redis.example.com:6379/0",
		"UpstreamUrlTemplate":     "https://app.example.com/runtime/webhooks/signalr?code=k",
		"AllowAnonymousNegotiate": "true",
		"CorsOrigins":             "https://app.example.com,http://localhost:3000",
	},
	"https with a domain, app tokens and the sample hub": {
		"CertificateArn":  "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
		"DomainName":      "signalr.example.com",
		"AppJwksUrl":      "https://idp.example.com/.well-known/jwks.json",
		"AppAudience":     "app-client-id",
		"AppIssuer":       "https://idp.example.com/",
		"DeploySampleHub": "true",
	},
}

// lambdaProvided are variables Lambda itself sets in every function.
var lambdaProvided = map[string]string{
	"AWS_SESSION_TOKEN": "session-token", "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "AWS_REGION": "us-east-1",
}

// Variables the code reads that the template leaves unset on purpose, with the reason.
var (
	functionsDefaults = map[string]string{
		"HERALD_ACCESS_KEYS":           "the keys come from HERALD_ACCESS_KEYS_SECRET",
		"HERALD_CONNECTION_STRING":     "the keys come from HERALD_ACCESS_KEYS_SECRET",
		"HERALD_ACCESS_KEYS_PARAMETER": "the keys come from HERALD_ACCESS_KEYS_SECRET",
		"HERALD_APP_SECRET":            "app authentication is opt-in (README, deploy guide)",
		"HERALD_APP_AUDIENCE":          "app authentication is opt-in (README, deploy guide)",
		"HERALD_APP_ISSUER":            "app authentication is opt-in (README, deploy guide)",
		"HERALD_APP_JWKS_URL":          "app authentication is opt-in (README, deploy guide)",
		"HERALD_CLAIMS":                "no app-token claims without app authentication",
		"HERALD_TOKEN_LIFETIME":        "1h default; only negotiate issues tokens",
		"HERALD_MAX_CONNECTION_GROUPS": "1,000 groups per connection (docs/limits-and-validation.md)",
		"HERALD_MAX_USER_GROUPS":       "1,000 groups per user and hub (docs/limits-and-validation.md)",
		"REDIS_URL":                    "the URL comes from HERALD_REDIS_URL_SECRET",
		"HERALD_MAX_BODY_BYTES":        "set on ApiFunction; the other functions take no REST bodies",
		// Set on NegotiateFunction; the other functions read them and ignore them.
		"HERALD_ALLOW_ANONYMOUS_NEGOTIATE": "only the negotiate function uses it",
		"HERALD_CORS_ORIGINS":              "only the negotiate function answers browsers",
		"HERALD_OPTIONS_FILE":              "Lambda takes its settings from variables",
		"ADDR":                             "the listen address of functions/chathub outside Lambda",
	}
	chatHubDefaults = map[string]string{
		"HERALD_REDIS_URL_SECRET": "the chat hub does not use Redis",
		"HERALD_REDIS_PREFIX":     "the chat hub does not use Redis",
	}
	gatewayDefaults = map[string]string{
		"HERALD_OPTIONS_FILE":               "the task takes its settings from variables",
		"HERALD_ROLE":                       "gateway, the default of the gateway binary",
		"HERALD_NODE_TTL":                   "15 s: a node that stopped heartbeating is dead after it",
		"HERALD_HEARTBEAT":                  "5 s, a third of the node TTL",
		"HERALD_UPSTREAM_TIMEOUT":           "100 s, the Azure emulator's upstream timeout",
		"HERALD_SIGNALR_JS":                 "the sample chat page is served by the functions role only",
		"HERALD_APP_SECRET":                 "the gateway role serves no app negotiate",
		"HERALD_APP_JWKS_URL":               "the gateway role serves no app negotiate",
		"HERALD_APP_AUDIENCE":               "the gateway role serves no app negotiate",
		"HERALD_APP_ISSUER":                 "the gateway role serves no app negotiate",
		"HERALD_CLAIMS":                     "the gateway role serves no app negotiate",
		"HERALD_TOKEN_LIFETIME":             "the gateway role serves no app negotiate",
		"HERALD_MAX_BODY_BYTES":             "the gateway role serves no REST API",
		"HERALD_NODE_ID":                    "generated per task: tasks are interchangeable",
		"HERALD_UPSTREAM_SETTINGS":          "a settings file; the template uses HERALD_UPSTREAM_URL_TEMPLATE",
		"HERALD_CONNECTION_STRING":          "the keys come from HERALD_ACCESS_KEYS (a Secrets Manager secret)",
		"HERALD_INTERNAL_URL":               "detected per task: the task's private IP (awsvpc) and the listen port",
		"HERALD_TLS_CERT":                   "the load balancer terminates TLS (CertificateArn)",
		"HERALD_TLS_KEY":                    "the load balancer terminates TLS (CertificateArn)",
		"HERALD_LOG_CONNECTIVITY":           "resource logs are off until an operator turns them on",
		"HERALD_LOG_MESSAGING":              "resource logs are off until an operator turns them on",
		"HERALD_LOG_HTTP":                   "resource logs are off until an operator turns them on",
		"HERALD_DIAG_POLL":                  "2 s: tasks follow the deployment's diagnostics switches in Redis within it",
		"HERALD_ADMIN_ADDR":                 "pprof stays off in production unless an operator opens it",
		"HERALD_MAX_DIAGNOSTIC_CONNECTIONS": "Azure's 100 per node",
		"HERALD_PUBLIC_METRICS":             "metrics stay off the public listener; scrape the admin listener",
		"HERALD_HTTP_READ_HEADER_TIMEOUT":   "10 s",
		"HERALD_HTTP_READ_TIMEOUT":          "30 s; streams are exempt",
		"HERALD_HTTP_WRITE_TIMEOUT":         "30 s; per write on streams",
		"HERALD_HTTP_IDLE_TIMEOUT":          "130 s, above the load balancer's 120 s idle timeout",
		"HERALD_HTTP_MAX_HEADER_BYTES":      "16 KiB",
		"HERALD_MAX_HUBS":                   "1,000 hubs per node (docs/limits-and-validation.md)",
		"HERALD_MAX_ADDRESS_CONNECTIONS":    "1,000 connections per client address and node",
		"HERALD_FORWARDED_HOPS":             "1: the load balancer appends the client's address to X-Forwarded-For",
		"HERALD_MAX_LIVETRACE_WATCHERS":     "16 live trace streams per task",
		"HERALD_MAX_CONNECTION_GROUPS":      "1,000 groups per connection (enforced by the functions)",
		"HERALD_MAX_USER_GROUPS":            "1,000 groups per user and hub (enforced by the functions)",
		"ECS_CONTAINER_METADATA_URI_V4":     "set by ECS in every container",
		"HERALD_METRICS_EMF_INTERVAL":       "60 s, CloudWatch's standard resolution",
		"HERALD_INVOKE_TIMEOUT":             "30 s for a client's result to a REST :invoke",
		"HERALD_MAX_CONNECTION_INVOCATIONS": "16 REST :invoke calls waiting per connection",
		"HERALD_MAX_INVOCATIONS":            "10,000 REST :invoke calls waiting per task",
		"HERALD_MAX_CONNECTION_STREAMS":     "16 server-to-client streams per connection",
		"HERALD_BUS_TIMEOUT":                "5 s per bus call, under the ALB's and the client's timeouts",
		"HERALD_CLIENT_TIMEOUT":             "30 s, as ASP.NET Core's server: a client silent that long is closed",
		"HERALD_KEEPALIVE_INTERVAL":         "15 s, as ASP.NET Core's server: under the client's 30 s server timeout",
		"HERALD_STATEFUL_RECONNECT":         "on: clients that ask for stateful reconnect get it",
		"HERALD_STATEFUL_RECONNECT_WINDOW":  "30 s, as Azure's window; a drain hands connections to a live task",
		"HERALD_STATEFUL_BUFFER_BYTES":      "100,000 bytes unacknowledged per connection, as ASP.NET Core's",
	}
)

// recorder is a config.Getenv over vars that remembers what was asked.
type recorder struct {
	vars map[string]string
	read map[string]bool
}

func (r *recorder) get(name string) string {
	r.read[name] = true
	return r.vars[name]
}

// functionEnv is the environment of function fn in e: Globals, its own variables, and
// what Lambda provides.
func functionEnv(t *testing.T, tpl *cfn.Template, e *cfn.Env, fn string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range lambdaProvided {
		env[k] = v
	}
	for _, src := range []any{
		cfn.Lookup(tpl.Globals, "Function", "Environment", "Variables"),
		cfn.Lookup(tpl.Resources[fn].Properties, "Environment", "Variables"),
	} {
		vars, _ := e.Resolve(src).(map[string]any)
		for k, v := range vars {
			env[k] = fmt.Sprint(v)
		}
	}
	return env
}

// functionProperty returns a property of fn, or the Globals' one.
func functionProperty(tpl *cfn.Template, fn, prop string) any {
	if v, ok := tpl.Resources[fn].Properties[prop]; ok {
		return v
	}
	return cfn.Lookup(tpl.Globals, "Function", prop)
}

var packageOfTarget = regexp.MustCompile(`\./functions/([a-z0-9]+)\b`)

// functionPackage returns the functions/<name> that `sam build` builds for the logical id
// fn, from the Makefile target it runs (make -n), and checks the target's build flags.
func functionPackage(t *testing.T, fn string) string {
	t.Helper()
	cmd := exec.Command("make", "--no-print-directory", "-n", "build-"+fn, "ARTIFACTS_DIR=/artifacts")
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build-%s (the target sam build runs): %v\n%s", fn, err, out)
	}
	text := string(out)
	for _, want := range []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "-tags lambda.norpc", "-trimpath", "-s -w", "-o /artifacts/bootstrap"} {
		if !strings.Contains(text, want) {
			t.Errorf("build-%s: %q lacks %s", fn, text, want)
		}
	}
	m := packageOfTarget.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("build-%s builds no ./functions/<name>: %s", fn, text)
	}
	return m[1]
}

// deployedFunctions maps the template's function logical ids to their functions/<name>.
func deployedFunctions(t *testing.T, tpl *cfn.Template) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, fn := range tpl.ResourcesOfType("AWS::Serverless::Function") {
		out[fn] = functionPackage(t, fn)
	}
	return out
}

func TestTemplateFunctionsBuild(t *testing.T) {
	tpl := template(t)
	deployed := deployedFunctions(t, tpl)
	var names []string
	for fn, name := range deployed {
		names = append(names, name)
		res := tpl.Resources[fn]
		if cfn.Lookup(res.Metadata, "BuildMethod") != "makefile" || res.Properties["CodeUri"] != "." {
			t.Errorf("%s: want Metadata.BuildMethod makefile and CodeUri . (the Makefile's directory)", fn)
		}
		if functionProperty(tpl, fn, "Runtime") != "provided.al2023" || functionProperty(tpl, fn, "Handler") != "bootstrap" ||
			fmt.Sprint(functionProperty(tpl, fn, "Architectures")) != "[arm64]" {
			t.Errorf("%s: want provided.al2023, handler bootstrap, arm64", fn)
		}
		if _, err := os.Stat(filepath.Join("..", "functions", name, "main.go")); err != nil {
			t.Errorf("%s builds functions/%s: %v", fn, name, err)
		}
	}
	sort.Strings(names)
	want := slices.Clone(lambdafn.Names)
	sort.Strings(want)
	if !slices.Equal(names, want) {
		t.Errorf("the template deploys functions %v, want every Lambda function %v", names, want)
	}
	dirs, err := os.ReadDir("../functions")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !slices.Contains(names, d.Name()) {
			t.Errorf("functions/%s is not deployed by template.yaml", d.Name())
		}
	}
}

// Every variable the functions read is set by the template (or left unset on purpose),
// the configuration is valid, and the function starts with it.
func TestTemplateFunctionEnvironment(t *testing.T) {
	tpl := template(t)
	// The functions read the Redis URL from its secret at cold start: moto holds it.
	aws := awstest.Start(t)
	aws.Env(t)
	redisSecret := tpl.With(nil).String(map[string]any{"Ref": "RedisUrlSecret"})
	if _, err := secretsmanager.NewFromConfig(aws.Config()).CreateSecret(awstest.Context(t), &secretsmanager.CreateSecretInput{
		Name: &redisSecret, SecretString: ptr(redistest.Addr(t)),
	}); err != nil {
		t.Fatal(err)
	}
	deployed := deployedFunctions(t, tpl)
	for scenario, params := range scenarios {
		e := tpl.With(params)
		endpoint := e.String(tpl.Outputs["Endpoint"].(map[string]any)["Value"])
		for fn, name := range deployed {
			if !e.Exists(fn) {
				continue
			}
			env := functionEnv(t, tpl, e, fn)
			rec := &recorder{vars: env, read: map[string]bool{}}
			cfg, err := config.FunctionsFromEnv(rec.get)
			if err != nil {
				t.Errorf("%s, %s: %v", scenario, fn, err)
				continue
			}
			for v := range rec.read {
				if _, set := env[v]; !set && functionsDefaults[v] == "" && (name != lambdafn.ChatHub || chatHubDefaults[v] == "") {
					t.Errorf("%s, %s reads %s, which the template does not set", scenario, fn, v)
				}
			}
			known := config.Variables(&config.Functions{})
			for v := range env {
				if _, byLambda := lambdaProvided[v]; !byLambda && !slices.Contains(known, v) {
					t.Errorf("%s, %s: the template sets %s, which the functions do not read (docs/configuration.md)", scenario, fn, v)
				}
			}
			if name != lambdafn.ChatHub && (env["HERALD_REDIS_URL_SECRET"] == "" || env["REDIS_URL"] != "" || env["HERALD_REDIS_PREFIX"] != "herald") {
				t.Errorf("%s, %s: HERALD_REDIS_URL_SECRET %q, REDIS_URL %q, HERALD_REDIS_PREFIX %q: want Redis from its secret and the gateways' prefix",
					scenario, fn, env["HERALD_REDIS_URL_SECRET"], env["REDIS_URL"], env["HERALD_REDIS_PREFIX"])
			}
			if cfg.PublicURL != endpoint {
				t.Errorf("%s, %s: HERALD_PUBLIC_URL %q, want the Endpoint output %q", scenario, fn, cfg.PublicURL, endpoint)
			}
			// Least privilege: the one action on the secrets the function reads.
			policy := e.Resolve(functionProperty(tpl, fn, "Policies"))
			stmt := cfn.Lookup(policy, 0, "Statement", 0)
			want := []string{env["HERALD_ACCESS_KEYS_SECRET"]}
			if s := env["HERALD_REDIS_URL_SECRET"]; s != "" {
				want = append(want, s)
			}
			var got []string
			switch r := cfn.Lookup(stmt, "Resource").(type) {
			case []any:
				for _, x := range r {
					got = append(got, fmt.Sprint(x))
				}
			default:
				got = []string{fmt.Sprint(r)}
			}
			if fmt.Sprint(cfn.Lookup(stmt, "Action")) != "secretsmanager:GetSecretValue" ||
				fmt.Sprint(got) != fmt.Sprint(want) || len(cfn.Lookup(policy, 0, "Statement").([]any)) != 1 {
				t.Errorf("%s, %s: policy %v, want GetSecretValue on %v only", scenario, fn, policy, want)
			}
			f, err := lambdafn.New(name, cfg, nil)
			// Safe default: negotiate refuses to start open unless the parameter says so.
			anonymous := name == lambdafn.Negotiate && params["AppJwksUrl"] == "" && params["AllowAnonymousNegotiate"] != "true"
			if anonymous {
				if !errors.Is(err, lambdafn.ErrAnonymousNegotiate) {
					t.Errorf("%s, %s: lambdafn.New: %v, want ErrAnonymousNegotiate", scenario, fn, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s, %s: lambdafn.New: %v", scenario, fn, err)
				continue
			}
			if err := f.Close(); err != nil {
				t.Errorf("%s, %s: Close: %v", scenario, fn, err)
			}
		}
	}
}

// The nested Redis stack lets the gateways and the functions in, and nothing else.
func TestTemplateRedisAccess(t *testing.T) {
	tpl := template(t)
	redis, err := cfn.Load("../infra/redis.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := tpl.With(nil)
	app := e.Resolve(tpl.Resources["Redis"].Properties).(map[string]any)
	if app["Location"] != "infra/redis.yaml" {
		t.Fatalf("Redis location %v", app["Location"])
	}
	passed := cfn.Lookup(app, "Parameters").(map[string]any)
	for name := range redis.Parameters {
		if _, ok := passed[name]; !ok && redis.Parameters[name]["Default"] == nil {
			t.Errorf("nested Redis parameter %s is not passed", name)
		}
	}
	re := redis.With(map[string]string{"GatewaySecurityGroupId": "gw-sg", "FunctionsSecurityGroupId": "fn-sg"})
	var sources []string
	for _, in := range re.Resolve(redis.Resources["SecurityGroup"].Properties["SecurityGroupIngress"]).([]any) {
		if fmt.Sprint(cfn.Lookup(in, "FromPort")) != "6379" {
			t.Errorf("Redis ingress %v: want 6379 only", in)
		}
		sources = append(sources, fmt.Sprint(cfn.Lookup(in, "SourceSecurityGroupId")))
	}
	sort.Strings(sources)
	if fmt.Sprint(sources) != "[fn-sg gw-sg]" {
		t.Errorf("Redis ingress from %v, want the gateway and functions groups", sources)
	}
	if passed["GatewaySecurityGroupId"] != cfn.Placeholder("GatewaySecurityGroup", "") ||
		passed["FunctionsSecurityGroupId"] != cfn.Placeholder("FunctionsSecurityGroup", "") {
		t.Errorf("Redis gets groups %v", passed)
	}
	for _, fn := range []string{"NegotiateFunction", "ApiFunction"} {
		groups := fmt.Sprint(cfn.Lookup(e.Resolve(tpl.Resources[fn].Properties), "VpcConfig", "SecurityGroupIds"))
		if groups != "["+cfn.Placeholder("FunctionsSecurityGroup", "")+"]" {
			t.Errorf("%s runs in groups %s, want FunctionsSecurityGroup (let in by Redis)", fn, groups)
		}
	}
	rg := re.Resolve(redis.Resources["ReplicationGroup"].Properties).(map[string]any)
	if rg["TransitEncryptionEnabled"] != true || !strings.HasPrefix(fmt.Sprint(rg["EngineVersion"]), "7") {
		t.Errorf("replication group %v: want Redis 7 (sharded pub/sub) with TLS (rediss://)", rg)
	}
}

func ptr[T any](v T) *T { return &v }
