package tests

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/bus"
	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/shared/httpapi"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/node"
	"github.com/heraldrt/herald/tests/internal/cfn"
)

// The deployment tier, the gateway's side of template.yaml: its environment, ports,
// health check, draining and image.

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
		g, err := config.NodeFromEnv(rec.get)
		if err != nil {
			t.Fatalf("%s: gateway configuration: %v", scenario, err)
		}
		if idle := seconds(t, attribute(e.Resolve(tpl.Resources["LoadBalancer"].Properties).(map[string]any)["LoadBalancerAttributes"], "idle_timeout.timeout_seconds")); g.HTTP.IdleTimeout <= idle {
			t.Errorf("%s: HERALD_HTTP_IDLE_TIMEOUT %v is not above the load balancer's idle timeout %v", scenario, g.HTTP.IdleTimeout, idle)
		}
		if g.ForwardedHops != 1 {
			t.Errorf("%s: HERALD_FORWARDED_HOPS %d behind the load balancer, want 1", scenario, g.ForwardedHops)
		}
		if g.Role != string(node.RoleGateway) {
			t.Errorf("%s: role %s, want gateway", scenario, g.Role)
		}
		known := config.Variables(&config.Node{})
		for v := range env {
			if !slices.Contains(known, v) {
				t.Errorf("%s: the template sets %s, which the gateway does not read (docs/configuration.md)", scenario, v)
			}
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
		if g.RedisURL != "secret-from-"+fnEnv["HERALD_REDIS_URL_SECRET"] || g.RedisPrefix != fnEnv["HERALD_REDIS_PREFIX"] {
			t.Errorf("%s: gateway Redis %s/%s, functions secret-from-%s/%s: they must share the bus", scenario, g.RedisURL, g.RedisPrefix, fnEnv["HERALD_REDIS_URL_SECRET"], fnEnv["HERALD_REDIS_PREFIX"])
		}
		if _, plain := env["REDIS_URL"]; plain && !strings.HasPrefix(env["REDIS_URL"], "secret-from-") {
			t.Errorf("%s: REDIS_URL is a plain environment variable; it must come from the secret", scenario)
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

// longPollHold is how long a long poll may be held open (90 s,
// docs/compat/transports.md#long-polling).
const longPollHold = 90 * time.Second

// Ports, health check, draining and timeouts agree with the gateway.
func TestTemplateGatewayLifecycle(t *testing.T) {
	tpl := template(t)
	e := tpl.With(nil)
	c := gatewayContainer(t, tpl, e)
	g, err := config.NodeFromEnv(func(name string) string {
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
	d := seconds(t, attribute(attrs, "deregistration_delay.timeout_seconds"))
	if d < longPollHold {
		t.Errorf("deregistration delay %v: a long poll in flight (up to %v) would be cut", d, longPollHold)
	}
	// The drain starts when the task metadata says STOPPED, at the start of the delay: it
	// must be over before the load balancer cuts what is left at its end.
	if g.TaskMetadataInterval+g.ShutdownTimeout >= d {
		t.Errorf("HERALD_TASK_METADATA_INTERVAL %v + HERALD_SHUTDOWN_TIMEOUT %v must stay below the deregistration delay %v", g.TaskMetadataInterval, g.ShutdownTimeout, d)
	}
	idle := seconds(t, attribute(e.Resolve(tpl.Resources["LoadBalancer"].Properties).(map[string]any)["LoadBalancerAttributes"], "idle_timeout.timeout_seconds"))
	if idle <= longPollHold {
		t.Errorf("ALB idle timeout %v must exceed the long-poll hold %v", idle, longPollHold)
	}
	// Liveness: a Redis outage must not make ECS replace every task.
	if tg["HealthCheckPath"] != httpapi.LivezPath || cfn.Lookup(tg, "Matcher", "HttpCode") != "200" {
		t.Errorf("health check %v %v, want %s answering 200", tg["HealthCheckPath"], cfn.Lookup(tg, "Matcher"), httpapi.LivezPath)
	}
	if grace := seconds(t, service["HealthCheckGracePeriodSeconds"]); grace <= 0 {
		t.Errorf("HealthCheckGracePeriodSeconds %v", grace)
	}
	// The health routes are served by a gateway node (no REST API there).
	gw := gatewayServer(t)
	for _, path := range []string{tg["HealthCheckPath"].(string), httpapi.ReadyzPath, "/api/health"} {
		resp, err := http.Get(gw + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("gateway GET %s: %d, want 200", path, resp.StatusCode)
		}
	}
}

// gatewayServer runs a gateway-role emulator (what a gateway task serves) on an in-memory
// bus and returns its URL; it is stopped when t ends.
func gatewayServer(t *testing.T) string {
	t.Helper()
	b := bus.NewMemory(bus.MemoryConfig{})
	t.Cleanup(func() { _ = b.Close() }) // after the server has stopped
	srv, err := node.New(node.Config{Addr: "127.0.0.1:0", Role: node.RoleGateway, Bus: b, AccessKeys: []string{"k"}})
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
