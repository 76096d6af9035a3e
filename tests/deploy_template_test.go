package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/emulator"
	"github.com/heraldrt/herald/shared/lambdafn"
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
		"AccessKeySecretArn":  "arn:aws:secretsmanager:us-east-1:123456789012:secret:herald-keys-AbCdEf",
		"RedisUrl":            "rediss://my-redis.example.com:6379/0",
		"UpstreamUrlTemplate": "https://app.example.com/runtime/webhooks/signalr?code=k",
		"DeploySampleHub":     "false",
	},
	"https with a domain": {
		"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100",
		"DomainName":     "signalr.example.com",
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
		"HERALD_APP_JWKS_URL":          "app authentication is opt-in (README, deploy guide)",
		"HERALD_CLAIMS":                "no app-token claims without app authentication",
		"HERALD_TOKEN_LIFETIME":        "1h default; only negotiate issues tokens",
	}
	chatHubDefaults = map[string]string{
		"REDIS_URL":           "the chat hub does not use Redis",
		"HERALD_REDIS_PREFIX": "the chat hub does not use Redis",
	}
	gatewayDefaults = map[string]string{
		"HERALD_NODE_ID":           "generated per task: tasks are interchangeable",
		"HERALD_UPSTREAM_SETTINGS": "a settings file; the template uses HERALD_UPSTREAM_URL_TEMPLATE",
		"HERALD_CONNECTION_STRING": "the keys come from HERALD_ACCESS_KEYS (a Secrets Manager secret)",
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
			if name != lambdafn.ChatHub && (env["REDIS_URL"] == "" || env["HERALD_REDIS_PREFIX"] != "herald") {
				t.Errorf("%s, %s: REDIS_URL %q, HERALD_REDIS_PREFIX %q: want Redis and the gateways' prefix", scenario, fn, env["REDIS_URL"], env["HERALD_REDIS_PREFIX"])
			}
			if cfg.PublicURL != endpoint {
				t.Errorf("%s, %s: HERALD_PUBLIC_URL %q, want the Endpoint output %q", scenario, fn, cfg.PublicURL, endpoint)
			}
			// Least privilege: the one action on the one secret the function reads.
			policy := e.Resolve(functionProperty(tpl, fn, "Policies"))
			stmt := cfn.Lookup(policy, 0, "Statement", 0)
			if fmt.Sprint(cfn.Lookup(stmt, "Action")) != "secretsmanager:GetSecretValue" ||
				fmt.Sprint(cfn.Lookup(stmt, "Resource")) != env["HERALD_ACCESS_KEYS_SECRET"] || len(cfn.Lookup(policy, 0, "Statement").([]any)) != 1 {
				t.Errorf("%s, %s: policy %v, want GetSecretValue on %s only", scenario, fn, policy, env["HERALD_ACCESS_KEYS_SECRET"])
			}
			f, err := lambdafn.New(name, cfg, nil)
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

// gatewayContainer returns the gateway container definition, resolved in e.
func gatewayContainer(t *testing.T, tpl *cfn.Template, e *cfn.Env) map[string]any {
	t.Helper()
	defs, _ := e.Resolve(tpl.Resources["GatewayTaskDefinition"].Properties["ContainerDefinitions"]).([]any)
	if len(defs) != 1 {
		t.Fatalf("GatewayTaskDefinition: %d containers, want 1", len(defs))
	}
	return defs[0].(map[string]any)
}

func TestTemplateGatewayEnvironment(t *testing.T) {
	tpl := template(t)
	for scenario, params := range scenarios {
		e := tpl.With(params)
		c := gatewayContainer(t, tpl, e)
		env := map[string]string{}
		for _, kv := range c["Environment"].([]any) {
			env[cfn.Lookup(kv, "Name").(string)] = fmt.Sprint(cfn.Lookup(kv, "Value"))
		}
		for _, s := range c["Secrets"].([]any) {
			env[cfn.Lookup(s, "Name").(string)] = "secret-from-" + fmt.Sprint(cfn.Lookup(s, "ValueFrom"))
		}
		rec := &recorder{vars: env, read: map[string]bool{}}
		g, err := config.GatewayFromEnv(rec.get)
		if err != nil {
			t.Fatalf("%s: gateway configuration: %v", scenario, err)
		}
		for v := range rec.read {
			if _, set := env[v]; !set && gatewayDefaults[v] == "" {
				t.Errorf("%s: the gateway reads %s, which the template does not set", scenario, v)
			}
		}
		endpoint := e.String(tpl.Outputs["Endpoint"].(map[string]any)["Value"])
		if g.PublicURL != endpoint {
			t.Errorf("%s: HERALD_PUBLIC_URL %q, want %q", scenario, g.PublicURL, endpoint)
		}
		fnEnv := functionEnv(t, tpl, e, "ApiFunction")
		if g.RedisURL != fnEnv["REDIS_URL"] || g.RedisPrefix != fnEnv["HERALD_REDIS_PREFIX"] {
			t.Errorf("%s: gateway Redis %s/%s, functions %s/%s: they must share the bus", scenario, g.RedisURL, g.RedisPrefix, fnEnv["REDIS_URL"], fnEnv["HERALD_REDIS_PREFIX"])
		}
		if secret := "secret-from-" + fnEnv["HERALD_ACCESS_KEYS_SECRET"]; g.AccessKeys[0] != secret {
			t.Errorf("%s: gateway keys from %q, functions from %q", scenario, g.AccessKeys[0], secret)
		}
		wantUpstream := ""
		switch {
		case params["UpstreamUrlTemplate"] != "":
			wantUpstream = params["UpstreamUrlTemplate"]
		case e.Condition("SampleHub"):
			wantUpstream = endpoint + lambdafn.WebhookPath
		}
		if g.UpstreamURLTemplate != wantUpstream {
			t.Errorf("%s: upstream %q, want %q", scenario, g.UpstreamURLTemplate, wantUpstream)
		}
	}
}

// seconds reads a duration-ish template value ("30", 30, "25s").
func seconds(t *testing.T, v any) time.Duration {
	t.Helper()
	s := fmt.Sprint(v)
	if d, err := time.ParseDuration(s); err == nil {
		return d
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number of seconds", s)
	}
	return time.Duration(n) * time.Second
}

// attribute returns the value of key in a list of {Key, Value}.
func attribute(list any, key string) any {
	for _, kv := range list.([]any) {
		if cfn.Lookup(kv, "Key") == key {
			return cfn.Lookup(kv, "Value")
		}
	}
	return nil
}

// longPollHold is how long a long poll may be held open (spec §4.4: 90 s).
const longPollHold = 90 * time.Second

// Ports, health check, draining and timeouts agree with the gateway.
func TestTemplateGatewayLifecycle(t *testing.T) {
	tpl := template(t)
	e := tpl.With(nil)
	c := gatewayContainer(t, tpl, e)
	g, err := config.GatewayFromEnv(func(name string) string {
		for _, kv := range c["Environment"].([]any) {
			if cfn.Lookup(kv, "Name") == name {
				return fmt.Sprint(cfn.Lookup(kv, "Value"))
			}
		}
		if name == "HERALD_ACCESS_KEYS" {
			return "k"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	_, portText, _ := strings.Cut(g.Addr, ":")
	port, _ := strconv.Atoi(portText)
	tg := e.Resolve(tpl.Resources["GatewayTargetGroup"].Properties).(map[string]any)
	service := e.Resolve(tpl.Resources["GatewayService"].Properties).(map[string]any)
	peer := e.Resolve(tpl.Resources["GatewayPeerIngress"].Properties).(map[string]any)
	for what, p := range map[string]any{
		"container port":             cfn.Lookup(c, "PortMappings", 0, "ContainerPort"),
		"target group port":          tg["Port"],
		"service load balancer port": cfn.Lookup(service, "LoadBalancers", 0, "ContainerPort"),
		"peer ingress (from ports)":  peer["FromPort"],
		"peer ingress (to ports)":    peer["ToPort"],
		"ingress from the ALB":       cfn.Lookup(e.Resolve(tpl.Resources["GatewaySecurityGroup"].Properties), "SecurityGroupIngress", 0, "FromPort"),
	} {
		if fmt.Sprint(p) != strconv.Itoa(port) {
			t.Errorf("%s is %v, want the gateway's HERALD_ADDR port %d", what, p, port)
		}
	}
	if peer["GroupId"] != peer["SourceSecurityGroupId"] || peer["GroupId"] != cfn.Placeholder("GatewaySecurityGroup", "") {
		t.Errorf("peer ingress %v: want the gateway group open to itself (gateways forward SSE and long polling)", peer)
	}
	stop := seconds(t, c["StopTimeout"])
	if !(g.ShutdownTimeout < stop && stop <= 120*time.Second) {
		t.Errorf("HERALD_SHUTDOWN_TIMEOUT %v, StopTimeout %v: the drain must end before SIGKILL (Fargate allows at most 120 s)", g.ShutdownTimeout, stop)
	}
	attrs := tg["TargetGroupAttributes"]
	if d := seconds(t, attribute(attrs, "deregistration_delay.timeout_seconds")); d < longPollHold {
		t.Errorf("deregistration delay %v: a long poll in flight (up to %v) would be cut", d, longPollHold)
	}
	idle := seconds(t, attribute(e.Resolve(tpl.Resources["LoadBalancer"].Properties).(map[string]any)["LoadBalancerAttributes"], "idle_timeout.timeout_seconds"))
	if idle <= longPollHold {
		t.Errorf("ALB idle timeout %v must exceed the long-poll hold %v", idle, longPollHold)
	}
	if tg["HealthCheckPath"] != "/api/health" || cfn.Lookup(tg, "Matcher", "HttpCode") != "200" {
		t.Errorf("health check %v %v, want /api/health answering 200", tg["HealthCheckPath"], cfn.Lookup(tg, "Matcher"))
	}
	if grace := seconds(t, service["HealthCheckGracePeriodSeconds"]); grace <= 0 {
		t.Errorf("HealthCheckGracePeriodSeconds %v", grace)
	}
	// The health route is served by a gateway node (no REST API there).
	gw := gatewayServer(t)
	resp, err := http.Get(gw + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("gateway GET /api/health: %d, want 200", resp.StatusCode)
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

// gatewayServer runs a gateway-role emulator (what a gateway task serves) on an in-memory
// bus and returns its URL; it is stopped when t ends.
func gatewayServer(t *testing.T) string {
	t.Helper()
	b := bus.NewMemory(bus.MemoryConfig{})
	t.Cleanup(func() { _ = b.Close() }) // after the server has stopped
	srv, err := emulator.New(emulator.Config{Addr: "127.0.0.1:0", Role: emulator.RoleGateway, Bus: b, AccessKeys: []string{"k"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("gateway Serve: %v", err)
		}
	})
	return srv.URL()
}

// The gateway image builds from what its Dockerfile copies (every package the gateway
// imports lives in shared/ or gateway/), runs as a non-root user and exposes the port the
// template routes to.
func TestGatewayDockerfile(t *testing.T) {
	raw, err := os.ReadFile("../infra/gateway/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	copied := regexp.MustCompile(`(?m)^COPY (shared|gateway) `).FindAllStringSubmatch(text, -1)
	if len(copied) != 2 {
		t.Fatalf("the Dockerfile copies %v, want shared and gateway", copied)
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "../gateway").Output()
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/heraldrt/herald/"
	for _, pkg := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(pkg, module); ok && !strings.HasPrefix(rest, "shared/") && rest != "gateway" {
			t.Errorf("the gateway imports %s, which the Dockerfile does not copy", pkg)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER 65532:65532", "FROM gcr.io/distroless/static", "ENV HERALD_ADDR=:8080", "EXPOSE 8080"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Dockerfile lacks %q (static, non-root, the template's port)", want)
		}
	}
	port := fmt.Sprint(cfn.Lookup(gatewayContainer(t, template(t), template(t).With(nil)), "PortMappings", 0, "ContainerPort"))
	if port != "8080" {
		t.Errorf("the template maps port %s, the image listens on 8080", port)
	}
}
