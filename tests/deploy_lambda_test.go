package tests

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/heraldrt/herald/shared/awstest"
	"github.com/heraldrt/herald/shared/lambdafn"
	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/tests/internal/cfn"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/proc"
)

// The deployment tier, part 2: the Lambda bootstraps, built by the Makefile targets sam
// build runs, run the way Lambda runs them (a local Runtime API), configured with the
// environment template.yaml gives them, behind a stand-in for the template's load
// balancer, with the gateway binary (the one the image ships, configured by its
// environment) and a real Redis. The official JS client connects
// through the negotiate function and the gateway; REST calls go through the api function;
// client invocations reach the sample hub function as upstream.

const lambdaTestKey = "LambdaTestAccessKey0123456789abcdefghijklmno"

// lambdaDeployment is the running stand-in of a deployment.
type lambdaDeployment struct {
	// putSecret creates a secret in the stand-in of Secrets Manager.
	putSecret func(name, value string)
	keySecret string // the AccessKey secret's id, created by the first test
	front     *front
	gateway   *proc.Child
	functions map[string]*lambdaFunction // by logical id
	js        *jsclient.Driver
	rest      *mgmt.Client
}

func newLambdaDeployment(t *testing.T) *lambdaDeployment {
	t.Helper()
	tpl := template(t)
	// The defaults (a new secret and Redis, plain HTTP) with the sample hub and an open negotiate.
	e := tpl.With(map[string]string{"DeploySampleHub": "true", "AllowAnonymousNegotiate": "true"})
	deployed := deployedFunctions(t, tpl)
	var ids []string
	for id := range deployed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	bins := buildLambdas(t, ids)
	rules := listenerRules(t, tpl, e)
	targets := map[string]string{}
	for _, r := range rules {
		targets[r.target] = targetOf(t, tpl, e, r.target)
	}
	d := &lambdaDeployment{front: newFront(t, rules, targets), functions: map[string]*lambdaFunction{}}
	redis := redistest.Start(t)
	// Secrets Manager: moto, reached through AWS_ENDPOINT_URL as the SDK reads it.
	aws := awstest.Start(t)
	sm := secretsmanager.NewFromConfig(aws.Config())
	d.putSecret = func(name, value string) {
		if _, err := sm.CreateSecret(awstest.Context(t), &secretsmanager.CreateSecretInput{Name: &name, SecretString: &value}); err != nil {
			t.Fatalf("create secret %s: %v", name, err)
		}
	}

	// A gateway node as the ECS task runs it, its upstream pointed at the sample hub
	// behind the load balancer (what HERALD_UPSTREAM_URL_TEMPLATE says in the template).
	settings := filepath.Join(t.TempDir(), "settings.json")
	upstream := `{"UpstreamSettings":{"Templates":[{"UrlTemplate":"` + d.front.url() + lambdafn.WebhookPath + `"}]}}`
	if err := os.WriteFile(settings, []byte(upstream), 0o600); err != nil {
		t.Fatal(err)
	}
	bin, err := gatewayBinary()
	if err != nil {
		t.Fatalf("build ./gateway: %v", err)
	}
	d.gateway, err = proc.StartEnv(bin, []string{
		"REDIS_URL=" + redis.URL(), "HERALD_ADDR=127.0.0.1:0", "HERALD_ACCESS_KEYS=" + lambdaTestKey,
		"HERALD_UPSTREAM_SETTINGS=" + settings, "HERALD_LOG_LEVEL=debug", "HERALD_LOG_FORMAT=text",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.gateway.Stop(); err != nil {
			t.Errorf("gateway did not stop cleanly: %v", err)
		}
		if t.Failed() {
			t.Logf("gateway logs:\n%s", d.gateway.Logs())
		}
	})
	d.front.setGateway(d.gateway.URL())

	// Each function with the template's environment; only what names this machine
	// changes: the public URL, and what Lambda adds (region, credentials; the endpoint of
	// AWS is moto's). The secrets are created under the names the template's references
	// resolve to; the Redis URL's exists before the cold starts, the AccessKey's only
	// after the first negotiate, which must then fail and be retried.
	redisCreated := false
	level := e.String(cfn.Lookup(tpl.Globals, "Function", "LoggingConfig", "ApplicationLogLevel"))
	format := e.String(cfn.Lookup(tpl.Globals, "Function", "LoggingConfig", "LogFormat"))
	for _, id := range ids {
		env := functionEnv(t, tpl, e, id)
		for k, v := range map[string]string{
			"AWS_REGION": awstest.Region, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
			"AWS_SESSION_TOKEN": "lambda-session-token", "AWS_ENDPOINT_URL": aws.URL,
		} {
			env[k] = v
		}
		env["AWS_LAMBDA_LOG_FORMAT"], env["AWS_LAMBDA_LOG_LEVEL"] = format, level
		if s := env["HERALD_REDIS_URL_SECRET"]; s != "" && !redisCreated {
			d.putSecret(s, redis.URL())
			redisCreated = true
		}
		d.keySecret = env["HERALD_ACCESS_KEYS_SECRET"]
		env["HERALD_PUBLIC_URL"] = d.front.url()
		f := startFunction(t, id, bins[id], env)
		d.functions[id] = f
		d.front.functions[id] = f
	}
	d.rest, err = mgmt.New("Endpoint=" + d.front.url() + ";AccessKey=" + lambdaTestKey + ";Version=1.0;")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.rest.Close)
	d.js = jsclient.Start(t) // cleaned up first: clients stop before the processes do
	return d
}

// event builds the ALB event for a request to the deployment's endpoint.
func (d *lambdaDeployment) event(t *testing.T, method, target, body string) []byte {
	t.Helper()
	r := httptest.NewRequest(method, d.front.url()+target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	ev, err := albEvent(r, "herald-test")
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestLambdaDeployment(t *testing.T) {
	t.Parallel()
	d := newLambdaDeployment(t)
	negotiate, api := d.functions["NegotiateFunction"], d.functions["ApiFunction"]

	t.Run("the key is read at the first invocation, again after a failure", func(t *testing.T) {
		start := time.Now()
		raw, id := negotiate.invoke(t, d.event(t, http.MethodPost, "/api/negotiate?hub=chat", ""))
		if a := decodeALB(t, raw); a.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("first negotiate while the secret cannot be read: %d %s, want 503", a.StatusCode, a.Body)
		}
		// lambdacontext's handler: JSON records on stdout with the invocation's request id.
		// The output reaches the test through a pipe: wait for the record.
		eventually(t, "a JSON error record with requestId "+id+" in the function's output", func() bool {
			for _, line := range strings.Split(negotiate.stdout.String(), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(line), &rec) == nil && rec["requestId"] == id && rec["message"] == "function not ready" && rec["level"] == "ERROR" {
					return true
				}
			}
			return false
		})
		d.putSecret(d.keySecret, lambdaTestKey)
		first := time.Now()
		raw, _ = negotiate.invoke(t, d.event(t, http.MethodPost, "/api/negotiate?hub=chat&negotiateVersion=1", ""))
		a := decodeALB(t, raw)
		t.Logf("negotiate: init %v; first invocation %v; first served negotiate (secret read, Redis dialled) %v; next %v",
			negotiate.initTime(), first.Sub(start), time.Since(first), timeNegotiate(t, d, negotiate))
		var info connectionInfo
		if a.StatusCode != http.StatusOK || json.Unmarshal([]byte(a.Body), &info) != nil || info.URL != d.front.url()+"/client/?hub=chat" {
			t.Fatalf("negotiate: %d %s, want 200 with the public URL", a.StatusCode, a.Body)
		}
		if got := a.MultiValueHeaders["Cache-Control"]; len(got) != 1 || got[0] != "no-store" {
			t.Errorf("negotiate headers %v: want multi-value headers with Cache-Control no-store", a.MultiValueHeaders)
		}
	})

	t.Run("single-value headers get a single-value answer", func(t *testing.T) {
		ev := `{"requestContext":{"elb":{"targetGroupArn":"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/herald-api/49e9d65c45c6791a"}},
			"httpMethod":"GET","path":"/api/v1/health","queryStringParameters":{"probe":"a%20b"},
			"headers":{"host":"signalr.example.com","user-agent":"ELB-HealthChecker/2.0"},"body":"","isBase64Encoded":false}`
		raw, _ := api.invoke(t, []byte(ev))
		a := decodeALB(t, raw)
		if a.StatusCode != http.StatusOK || a.StatusDescription != "200 OK" || a.MultiValueHeaders != nil ||
			!strings.HasPrefix(a.Headers["Content-Type"], "application/json") || !strings.Contains(a.Body, "healthy") {
			t.Errorf("health: %+v", a)
		}
	})

	t.Run("a payload that is no request is an invocation error", func(t *testing.T) {
		res, _, err := api.invokeRaw([]byte(`{"Records":[{"eventSource":"aws:sqs"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		var failure struct{ ErrorMessage, ErrorType string }
		if !res.isErr || json.Unmarshal(res.body, &failure) != nil || !strings.Contains(failure.ErrorMessage, "unusable event") || failure.ErrorType == "" {
			t.Errorf("answer %s (error %v): want an invocation error naming the event", res.body, res.isErr)
		}
	})

	user := "a b/c+d@example.com" // percent-escapes all the way through the path
	t.Run("the official client connects through negotiate and the gateway", func(t *testing.T) {
		d.js.ConnectWait(t, jsclient.ConnectOptions{
			Name: "a", URL: d.front.url() + "/api?hub=chat", Transport: jsclient.WebSockets,
			Headers: map[string]string{userHeader: user}, Methods: []string{recv, "newMessage"},
		}, wait)
	})

	t.Run("REST sends through the api function reach the client", func(t *testing.T) {
		ctx := context.Background()
		status(t, "send to all", http.StatusAccepted)(d.rest.SendToAll(ctx, hub, recv, []any{"to-all"}))
		expectText(t, d.js, "a", recv, "to-all")
		status(t, "send to user", http.StatusAccepted)(d.rest.SendToUser(ctx, hub, user, recv, []any{"to-user"}))
		expectText(t, d.js, "a", recv, "to-user")
		status(t, "user exists", http.StatusOK)(d.rest.Do(ctx, http.MethodHead, hub, "/users/"+mgmt.Escape(user), nil, nil))
		notFound(t, "unknown user", codeUserNotExisted)(d.rest.Do(ctx, http.MethodHead, hub, "/users/nobody", nil, nil))
	})

	t.Run("invocations reach the sample hub function", func(t *testing.T) {
		if err := d.js.Invoke("a", "echo-1", "echo", map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		reply := d.js.ExpectFunc(t, wait, "echo reply", jsclient.IsReply("a", "echo-1"))
		if reply.Kind != jsclient.KindResult || string(reply.Result) != `{"n":1}` {
			t.Errorf("echo: %s", reply.Raw)
		}
		// broadcast: the hub function calls the REST API (the api function) back.
		if err := d.js.Invoke("a", "b-1", "broadcast", "hello from lambda"); err != nil {
			t.Fatal(err)
		}
		ev := d.js.ExpectMessage(t, "a", "newMessage", wait)
		if !strings.Contains(string(ev.Args[0]), `"text":"hello from lambda"`) {
			t.Errorf("newMessage %s", ev.Raw)
		}
	})
}

// timeNegotiate times one more negotiate invocation (warm).
func timeNegotiate(t *testing.T, d *lambdaDeployment, f *lambdaFunction) time.Duration {
	t.Helper()
	start := time.Now()
	raw, _ := f.invoke(t, d.event(t, http.MethodPost, "/api/negotiate?hub=chat", ""))
	if a := decodeALB(t, raw); a.StatusCode != http.StatusOK {
		t.Errorf("warm negotiate: %d %s", a.StatusCode, a.Body)
	}
	return time.Since(start)
}

// expectText waits for client method target with the one argument text on connection
// name.
func expectText(t *testing.T, js *jsclient.Driver, name, target, text string) {
	t.Helper()
	js.ExpectFunc(t, wait, target+"("+text+") on "+name, isText(name, target, text))
}
