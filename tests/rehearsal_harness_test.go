package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldrt/herald/shared/redistest"
	"github.com/heraldrt/herald/tests/internal/albstand"
	"github.com/heraldrt/herald/tests/internal/awsstack"
	"github.com/heraldrt/herald/tests/internal/cfn"
	"github.com/heraldrt/herald/tests/internal/ecstask"
	"github.com/heraldrt/herald/tests/internal/jsclient"
	"github.com/heraldrt/herald/tests/internal/mgmt"
	"github.com/heraldrt/herald/tests/internal/rie"
)

// The deploy rehearsal's harness: template.yaml's stack created in moto_server, then run
// here with the configuration read back from it. See deploy_rehearsal_test.go.

const (
	// rehearsalKey is the AccessKey the rehearsal stores in the stack's secret.
	rehearsalKey = "RehearsalAccessKey0123456789abcdefghijklmnop"
	// healthScale divides the target group's health-check interval and timeout: the
	// stand-in checks ten times as often as the ALB would, so "unhealthy" comes ten times
	// sooner (a stricter test of an outage of a given length).
	healthScale = 10
)

// rehearsalTools are built once per test binary: the Runtime Interface Emulator and the
// gateway binary (the one the image ships).
var rehearsalTools = sync.OnceValues(func() (map[string]string, error) {
	dir, err := os.MkdirTemp("", "herald-rehearsal-")
	if err != nil {
		return nil, err
	}
	rehearsalDir = dir
	r, err := rie.Build(dir)
	if err != nil {
		return nil, err
	}
	gw, err := gatewayBinary() // the multi-process tier's build
	if err != nil {
		return nil, err
	}
	return map[string]string{"rie": r, "gateway": gw}, nil
})

var rehearsalDir string

// removeRehearsalDir deletes what rehearsalTools built (TestMain calls it).
func removeRehearsalDir() {
	if rehearsalDir != "" {
		_ = os.RemoveAll(rehearsalDir)
	}
}

// gap is a value moto does not keep (or cannot create), read from the translated
// template instead.
type gap struct {
	what, resource, emulator, template string
}

// stage is one translated template deployed into moto.
type stage struct {
	root, dir  string
	translated string
	tpl        *cfn.Template // the translated template
	env        *cfn.Env      // resolved with the stack's parameters
	stack      *awsstack.Stack
	moto       *awsstack.Moto
	gaps       []gap
}

// repoRoot is the repository root.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := jsclient.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// deployTemplate translates the template text and creates its stack, named name, in moto
// with realistic parameters: the network, an existing Redis (redisURL) and an existing
// secret holding the AccessKey; the sample hub and anonymous negotiate are asked for
// where the template has those parameters.
func deployTemplate(t *testing.T, moto *awsstack.Moto, name, text, redisURL string) *stage {
	t.Helper()
	root := repoRoot(t)
	s := &stage{root: root, dir: t.TempDir(), moto: moto}
	src := filepath.Join(s.dir, "template.yaml")
	if err := os.WriteFile(src, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s.translated = awsstack.Translate(t, root, src, s.dir)
	tpl, err := cfn.Load(s.translated)
	if err != nil {
		t.Fatal(err)
	}
	s.tpl = tpl
	wanted := map[string]string{
		"VpcId": "{vpc}", "PublicSubnetIds": "{public-subnets}", "PrivateSubnetIds": "{private-subnets}",
		"RedisUrl":           redisURL,
		"AccessKeySecretArn": "secret:" + rehearsalKey,
		"GatewayImage":       "123456789012.dkr.ecr.us-east-1.amazonaws.com/herald-gateway:rehearsal",
		"DeploySampleHub":    "true",
		// Negotiate takes the user id from a header, as the tests' app does.
		"AllowAnonymousNegotiate": "true",
	}
	params := map[string]string{}
	for k, v := range wanted {
		if _, declared := tpl.Parameters[k]; declared {
			params[k] = v
		}
	}
	// moto's CloudFormation cannot create secrets: each the stack would create is created
	// in moto's Secrets Manager with the value the template gives it, and stands in the
	// stack as a parameter holding its ARN (what a Ref to it resolves to).
	pre := tpl.With(params)
	for id, r := range tpl.Resources {
		if r.Type != "AWS::SecretsManager::Secret" || !pre.Exists(id) {
			continue
		}
		value := rehearsalKey // GenerateSecretString: a generated key
		if v, ok := r.Properties["SecretString"]; ok {
			value = pre.String(v)
		}
		params["substitute:"+id] = value
		s.note("no CloudFormation support: "+r.Type, id, "not created", "created in moto's Secrets Manager; its Ref passed as a parameter")
	}
	s.stack = moto.Deploy(t, root, s.translated, name, params)
	declared := map[string]string{}
	for k, v := range s.stack.Parameters {
		if _, ok := tpl.Parameters[k]; ok {
			declared[k] = v
		}
	}
	s.env = tpl.With(declared)
	return s
}

// fromTemplate resolves a property path of a resource of the translated template.
func (s *stage) fromTemplate(resource string, path ...any) any {
	r, ok := s.tpl.Resources[resource]
	if !ok {
		return nil
	}
	return cfn.Lookup(s.env.Resolve(r.Properties), path...)
}

// note records a gap between what moto kept and what the template says.
func (s *stage) note(what, resource string, emulator, template any) {
	s.gaps = append(s.gaps, gap{what: what, resource: resource, emulator: fmt.Sprint(emulator), template: fmt.Sprint(template)})
}

// gapTable renders the gaps as a table.
func (s *stage) gapTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-44s %-24s %-28s %s\n", "value (moto falls short)", "resource", "moto says", "read from the template")
	for _, g := range s.gaps {
		fmt.Fprintf(&b, "%-44s %-24s %-28s %s\n", g.what, g.resource, g.emulator, g.template)
	}
	for _, typ := range s.moto.Unsupported() {
		var ids []string
		for id, r := range s.tpl.Resources {
			if r.Type == typ && s.env.Exists(id) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		fmt.Fprintf(&b, "%-44s %-24s %-28s %s\n", "no CloudFormation support: "+typ, strings.Join(ids, ","), "not created", "not rehearsed (a real account only)")
	}
	return b.String()
}

// deployment is a running rehearsal of one stack.
type deployment struct {
	*stage
	lb        *albstand.LB
	gateways  *albstand.Group
	gwArn     string
	container awsstack.Container
	port      int // the container port the service registers
	stop      time.Duration
	functions map[string]*rie.Function
	tasks     []*gatewayTask
	redis     *redistest.Server
	rest      *mgmt.Client
	js        *jsclient.Driver
	tools     map[string]string
	seq       int
	// gatewayEnv is the container's environment as ECS gives it to a task.
	gatewayEnv func() map[string]string
}

// gatewayTask is one running gateway task and its target.
type gatewayTask struct {
	task   *ecstask.Task
	target *albstand.Target
}

// rehearse deploys the template text (with its own Redis) and runs it: the load
// balancer stand-in, each function under the Runtime Interface Emulator, and tasks
// gateway tasks, registered and healthy. A fault a template mutation can cause (a
// task that never becomes healthy, a container port ECS cannot register) is returned
// as an error; the rest fails t.
func rehearse(t *testing.T, moto *awsstack.Moto, name, text string, tasks int) (*deployment, error) {
	t.Helper()
	tools, err := rehearsalTools()
	if err != nil {
		t.Fatal(err)
	}
	redis := redistest.Start(t)
	s := deployTemplate(t, moto, name, text, redis.URL())
	d := &deployment{stage: s, functions: map[string]*rie.Function{}, redis: redis, tools: tools}
	log := slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// The serving listener: the one with rules (HTTP here: no certificate).
	if len(s.stack.LoadBalancers) != 1 {
		t.Fatalf("%d load balancers, want 1", len(s.stack.LoadBalancers))
	}
	var serving *awsstack.Listener
	for i, l := range s.stack.LoadBalancers[0].Listeners {
		for _, r := range l.Rules {
			if !r.IsDefault {
				serving = &s.stack.LoadBalancers[0].Listeners[i]
			}
		}
	}
	if serving == nil {
		t.Fatal("no listener has rules")
	}
	var rules []albstand.Rule
	var fallback albstand.FixedResponse
	for _, r := range serving.Rules {
		if r.IsDefault {
			continue
		}
		if len(r.Actions) != 1 || r.Actions[0].Type != "forward" {
			t.Fatalf("rule %s: actions %+v, want one forward", r.Priority, r.Actions)
		}
		rules = append(rules, albstand.Rule{Priority: r.PriorityNumber(), Patterns: r.Paths(), TargetGroup: r.Actions[0].TargetGroupArn})
	}
	for _, a := range serving.DefaultActions {
		if a.Type == "fixed-response" && a.FixedResponseConfig != nil {
			code, _ := strconv.Atoi(a.FixedResponseConfig.StatusCode)
			fallback = albstand.FixedResponse{Status: code, ContentType: a.FixedResponseConfig.ContentType, Body: a.FixedResponseConfig.MessageBody}
		}
	}
	d.lb = albstand.New(log, rules, fallback)
	t.Cleanup(d.lb.Close)
	dns := s.stack.LoadBalancers[0].DNSName
	public := func(v string) string { // the stack's endpoint is the stand-in's
		v = strings.ReplaceAll(v, "http://"+dns, d.lb.URL())
		return strings.ReplaceAll(v, "https://"+dns, d.lb.URL())
	}
	awsEnv := map[string]string{ // what the AWS runtime gives a function or task, pointed at moto
		"AWS_REGION": awsstack.Region, "AWS_DEFAULT_REGION": awsstack.Region,
		"AWS_ACCESS_KEY_ID": "rehearsal", "AWS_SECRET_ACCESS_KEY": "rehearsal", "AWS_SESSION_TOKEN": "lambda-session-token",
		"AWS_ENDPOINT_URL": moto.Endpoint,
	}

	// Functions, by the target groups that invoke them.
	var ids []string
	for id := range s.stack.Functions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	bins := buildLambdas(t, ids)
	level := s.env.String(cfn.Lookup(s.tpl.Resources[ids[0]].Properties, "LoggingConfig", "ApplicationLogLevel"))
	format := s.env.String(cfn.Lookup(s.tpl.Resources[ids[0]].Properties, "LoggingConfig", "LogFormat"))
	s.note("Lambda LoggingConfig", ids[0], "absent", format+"/"+level)
	for _, id := range ids {
		f := s.stack.Functions[id]
		if f.Handler != filepath.Base(bins[id]) || !strings.HasPrefix(f.Runtime, "provided.") {
			t.Errorf("%s: handler %q runtime %q: a Go bootstrap needs handler %q on an OS-only runtime", id, f.Handler, f.Runtime, filepath.Base(bins[id]))
		}
		if arch := s.fromTemplate(id, "Architectures"); fmt.Sprint(arch) != fmt.Sprint(f.Architectures) {
			s.note("Lambda Architectures", id, f.Architectures, arch)
		}
		env := map[string]string{"AWS_LAMBDA_LOG_FORMAT": format, "AWS_LAMBDA_LOG_LEVEL": level}
		for k, v := range awsEnv {
			env[k] = v
		}
		for k, v := range f.Environment.Variables {
			env[k] = public(v)
		}
		d.functions[id] = rie.Start(t, tools["rie"], f.FunctionName, bins[id], f.Handler, f.Timeout, f.MemorySize, env)
		t.Cleanup(func() {
			if t.Failed() || os.Getenv(logsEnv) != "" {
				t.Logf("%s logs:\n%s", id, tail(d.functions[id].Logs()))
			}
		})
	}
	for _, tg := range s.stack.TargetGroups {
		switch tg.TargetType {
		case "lambda":
			fnRef := fmt.Sprint(s.fromTemplate(tg.LogicalID, "Targets", 0, "Id"))
			if len(tg.Targets) == 0 {
				s.note("target group Targets", tg.LogicalID, "[]", fnRef)
			}
			fn := ""
			for id := range s.stack.Functions {
				if fnRef == cfn.Placeholder(id, "Arn") {
					fn = id
				}
			}
			if fn == "" {
				t.Fatalf("%s targets %s, no function of the stack", tg.LogicalID, fnRef)
			}
			mv := fmt.Sprint(templateAttribute(s, tg.LogicalID, "lambda.multi_value_headers.enabled"))
			if tg.Attribute("lambda.multi_value_headers.enabled") != mv {
				s.note("lambda.multi_value_headers.enabled", tg.LogicalID, tg.Attribute("lambda.multi_value_headers.enabled"), mv)
			}
			d.lb.AddLambda(tg.TargetGroupArn, fn, d.functions[fn], mv == "true")
		case "ip":
			d.gwArn = tg.TargetGroupArn
			delay := fmt.Sprint(templateAttribute(s, tg.LogicalID, "deregistration_delay.timeout_seconds"))
			if got := tg.Attribute("deregistration_delay.timeout_seconds"); got != delay {
				s.note("deregistration_delay.timeout_seconds", tg.LogicalID, got, delay)
			}
			sticky := fmt.Sprint(templateAttribute(s, tg.LogicalID, "stickiness.enabled"))
			if got := tg.Attribute("stickiness.enabled"); got != sticky {
				s.note("stickiness.enabled", tg.LogicalID, got, sticky)
			}
			secs, err := strconv.Atoi(delay)
			if err != nil {
				t.Fatalf("%s: deregistration delay %q", tg.LogicalID, delay)
			}
			hc := albstand.HealthCheck{
				Path:     tg.HealthCheckPath,
				Interval: time.Duration(tg.HealthCheckIntervalSeconds) * time.Second / healthScale,
				Timeout:  time.Duration(tg.HealthCheckTimeoutSeconds) * time.Second / healthScale,
				Healthy:  tg.HealthyThresholdCount, Unhealthy: tg.UnhealthyThresholdCount, Matcher: tg.Matcher.HttpCode,
			}
			d.gateways = albstand.NewGroup(log, tg.LogicalID, hc, time.Duration(secs)*time.Second, sticky == "true")
			d.lb.AddGroup(tg.TargetGroupArn, d.gateways)
		default:
			t.Fatalf("%s: target type %q", tg.LogicalID, tg.TargetType)
		}
	}
	if d.gateways == nil {
		t.Fatal("no IP target group for the gateway tasks")
	}

	// The service: its load balancer entry names the container and port ECS registers.
	var svcID string
	for id := range s.stack.Services {
		svcID = id
	}
	svc := s.stack.Services[svcID]
	cname := fmt.Sprint(s.fromTemplate(svcID, "LoadBalancers", 0, "ContainerName"))
	port, _ := strconv.Atoi(fmt.Sprint(s.fromTemplate(svcID, "LoadBalancers", 0, "ContainerPort")))
	if len(svc.LoadBalancers) == 0 {
		s.note("ECS service LoadBalancers", svcID, "[]", fmt.Sprintf("%s:%d → %s", cname, port, s.fromTemplate(svcID, "LoadBalancers", 0, "TargetGroupArn")))
	}
	if tgRef := fmt.Sprint(s.fromTemplate(svcID, "LoadBalancers", 0, "TargetGroupArn")); s.stack.Physical(strings.Trim(strings.SplitN(tgRef, ".", 2)[0], "${}")) != d.gwArn && cfn.Placeholder(s.stack.Logical(d.gwArn), "") != tgRef {
		t.Errorf("the service registers its tasks in %s, the listener routes to %s", tgRef, s.stack.Logical(d.gwArn))
	}
	var tdID string
	for id := range s.stack.TaskDefinitions {
		tdID = id
	}
	td := s.stack.TaskDefinitions[tdID]
	if nm := s.fromTemplate(tdID, "NetworkMode"); nm != td.NetworkMode {
		s.note("ECS NetworkMode", tdID, td.NetworkMode, nm)
	}
	for _, c := range td.ContainerDefinitions {
		if c.Name == cname {
			d.container = c
		}
	}
	if d.container.Name == "" {
		t.Fatalf("the service's container %q is not in the task definition", cname)
	}
	mapped := false
	for _, pm := range d.container.PortMappings {
		mapped = mapped || pm.ContainerPort == port
	}
	if !mapped {
		return d, fmt.Errorf("ECS cannot register container %s port %d: the container maps %+v", cname, port, d.container.PortMappings)
	}
	if hc := strings.TrimSpace(string(d.container.HealthCheck)); hc != "" && hc != "null" && hc != "{}" {
		t.Errorf("container %s has a health check (%s) the rehearsal does not run: teach startTask to run it", cname, hc)
	}
	d.port = port
	d.stop = time.Duration(d.container.StopTimeout) * time.Second
	if d.stop == 0 {
		d.stop = 30 * time.Second // ECS's default
	}
	d.gatewayEnv = func() map[string]string {
		env := map[string]string{}
		for k, v := range awsEnv {
			env[k] = v
		}
		for k, v := range d.container.Env() {
			env[k] = public(v)
		}
		for _, sec := range d.container.Secrets {
			v, ok := s.stack.Secrets[sec.ValueFrom]
			if !ok {
				t.Fatalf("ECS cannot inject %s: no secret %s", sec.Name, sec.ValueFrom)
			}
			env[sec.Name] = v
		}
		return env
	}

	cs := s.stack.Outputs["ConnectionString"]
	cs = strings.ReplaceAll(public(cs), "<AccessKey>", rehearsalKey)
	if d.rest, err = mgmt.New(cs); err != nil {
		t.Fatalf("the stack's ConnectionString %q: %v", cs, err)
	}
	t.Cleanup(d.rest.Close)
	d.js = jsclient.Start(t) // cleaned up first: clients stop before the processes do
	var firstErr error
	for range tasks {
		if _, err := d.startTask(t); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return d, firstErr
}

// listenAddr matches a listen address in an environment value: ":8080", "0.0.0.0:8080".
var listenAddr = regexp.MustCompile(`^(0\.0\.0\.0|\[::\]|)?:(\d+)$`)

// startTask runs one more gateway task as ECS does, registers it in the target group and
// waits until it is healthy. The container listens on a loopback port of its own: an
// environment value that is a listen address on the container port becomes that port;
// one on another port gets a port nobody routes to (as in a container).
func (d *deployment) startTask(t *testing.T) (*gatewayTask, error) {
	t.Helper()
	d.seq++
	env := d.gatewayEnv()
	host := 0
	for k, v := range env {
		m := listenAddr.FindStringSubmatch(v)
		if m == nil {
			continue
		}
		p := awsstack.FreePort(t)
		if m[2] == strconv.Itoa(d.port) {
			host = p
		}
		env[k] = "127.0.0.1:" + strconv.Itoa(p)
	}
	if host == 0 {
		host = awsstack.FreePort(t) // the task listens elsewhere: the target will not answer
	}
	name := fmt.Sprintf("gateway-%d", d.seq)
	task := ecstask.Start(t, name, d.tools["gateway"], env)
	t.Cleanup(func() {
		if strings.Contains(task.Logs(), "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector reported a data race", name)
		}
		if t.Failed() || os.Getenv(logsEnv) != "" {
			t.Logf("%s logs:\n%s", name, tail(task.Logs()))
		}
	})
	gt := &gatewayTask{task: task, target: d.gateways.Register(net.JoinHostPort("127.0.0.1", strconv.Itoa(host)))}
	d.tasks = append(d.tasks, gt)
	// HealthCheckGracePeriodSeconds only delays ECS acting on unhealthy; the target
	// must pass HealthyThreshold checks.
	return gt, d.gateways.WaitHealthy(gt.target, 10*time.Second)
}

// stopTask is what ECS does to a task it stops behind a load balancer: the task's
// DesiredStatus becomes STOPPED and its target is deregistered; when draining ends (no
// connection left, or the deregistration delay has passed and the rest is cut) ECS
// sends SIGTERM, then SIGKILL after the container's StopTimeout.
func (d *deployment) stopTask(t *testing.T, gt *gatewayTask) albstand.Drain {
	t.Helper()
	gt.task.SetDesired("STOPPED")
	drain := d.gateways.Deregister(gt.target)
	if err := gt.task.Stop(d.stop); err != nil {
		t.Errorf("%s: %v", gt.task.Name, err)
	}
	return drain
}

// tail returns the end of a log.
func tail(s string) string {
	if len(s) > logTail {
		return "…" + s[len(s)-logTail:]
	}
	return s
}

// testWriter sends the stand-in's logs to t.Log.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// templateAttribute returns a target group attribute as the translated template sets it.
func templateAttribute(s *stage, tg, key string) any {
	list, _ := s.fromTemplate(tg, "TargetGroupAttributes").([]any)
	for _, kv := range list {
		if cfn.Lookup(kv, "Key") == key {
			return cfn.Lookup(kv, "Value")
		}
	}
	return nil
}

// connect connects a client through the load balancer: negotiate (the negotiate
// function), then the transport to a gateway task. It returns the connection id or the
// failure.
func (d *deployment) connect(name, user string, transport jsclient.Transport, reconnect bool) (string, error) {
	err := d.js.Connect(jsclient.ConnectOptions{
		Name: name, URL: d.lb.URL() + "/api?hub=" + hub, Transport: transport, Reconnect: reconnect,
		Headers: map[string]string{userHeader: user}, Methods: []string{recv, "newMessage"},
	})
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	e, err := d.js.Next(ctx, func(e jsclient.Event) bool {
		return e.Name == name && (e.Kind == jsclient.KindConnected || (e.Kind == jsclient.KindError && e.Op == "connect"))
	})
	switch {
	case err != nil:
		return "", fmt.Errorf("connect %s: %w", name, err)
	case e.Kind == jsclient.KindError:
		return "", fmt.Errorf("connect %s: %s", name, e.Message)
	}
	return e.ConnectionID, nil
}

// received waits up to timeout for text on client method recv of connection name.
func (d *deployment) received(name, text string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := d.js.Next(ctx, isText(name, recv, text))
	if err != nil {
		return fmt.Errorf("%s did not receive %q: %w", name, text, err)
	}
	return nil
}
