package tests

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/heraldrt/herald/shared/config"
	"github.com/heraldrt/herald/tests/internal/cfn"
)

// The deployment tier, operations: every function has its own log group with the
// stack's retention, alarms on its errors and throttles, and optional reserved
// concurrency; the gateways have a 5xx alarm; stateful resources say what happens to them
// on deletion; the api function's body limit fits the load balancer's.
func TestTemplateOperations(t *testing.T) {
	tpl := template(t)
	for scenario, params := range scenarios {
		e := tpl.With(params)
		for fn := range deployedFunctions(t, tpl) {
			if !e.Exists(fn) {
				continue
			}
			group, _ := e.Resolve(cfn.Lookup(tpl.Resources[fn].Properties, "LoggingConfig", "LogGroup")).(string)
			name := ""
			for id := range tpl.Resources {
				if cfn.Placeholder(id, "") == group {
					name = id
				}
			}
			if name == "" || !e.Exists(name) || tpl.Resources[name].Type != "AWS::Logs::LogGroup" ||
				e.Resolve(tpl.Resources[name].Properties["RetentionInDays"]) != e.Resolve(map[string]any{"Ref": "LogRetentionDays"}) {
				t.Errorf("%s: %s logs to %q, want a log group of the stack with LogRetentionDays", scenario, fn, group)
			}
			alarmed := map[string]bool{}
			for _, id := range tpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
				a := e.Resolve(tpl.Resources[id].Properties).(map[string]any)
				if e.Exists(id) && cfn.Lookup(a, "Namespace") == "AWS/Lambda" && cfn.Lookup(a, "Dimensions", 0, "Value") == cfn.Placeholder(fn, "") {
					alarmed[fmt.Sprint(a["MetricName"])] = true
				}
			}
			if !alarmed["Errors"] || !alarmed["Throttles"] {
				t.Errorf("%s: %s alarms on %v, want Errors and Throttles", scenario, fn, alarmed)
			}
		}
		gateway5xx := false
		for _, id := range tpl.ResourcesOfType("AWS::CloudWatch::Alarm") {
			a := e.Resolve(tpl.Resources[id].Properties).(map[string]any)
			if a["MetricName"] == "HTTPCode_Target_5XX_Count" && fmt.Sprint(a["Dimensions"]) != "" {
				gateway5xx = true
			}
		}
		if !gateway5xx {
			t.Errorf("%s: no gateway 5xx alarm", scenario)
		}
	}
	for _, fn := range []string{"NegotiateFunction", "ApiFunction"} {
		if v := tpl.Resources[fn].Properties["ReservedConcurrentExecutions"]; v == nil {
			t.Errorf("%s has no ReservedConcurrentExecutions (a parameter)", fn)
		}
	}
	for _, id := range append(tpl.ResourcesOfType("AWS::Logs::LogGroup"), append(tpl.ResourcesOfType("AWS::SecretsManager::Secret"), "Redis")...) {
		r := tpl.Resources[id]
		if r.DeletionPolicy == "" || r.UpdateReplacePolicy == "" {
			t.Errorf("%s (%s) has no DeletionPolicy and UpdateReplacePolicy", id, r.Type)
		}
	}
	// The ALB hands a Lambda target at most 1,000,000 bytes of body, base64 for binary bodies.
	env := functionEnv(t, tpl, tpl.With(nil), "ApiFunction")
	cfg, err := config.FunctionsFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if encoded := (cfg.MaxBodyBytes + 2) / 3 * 4; encoded > 1_000_000 {
		t.Errorf("HERALD_MAX_BODY_BYTES %d: base64-encoded %s bytes exceed the ALB's Lambda body limit", cfg.MaxBodyBytes, strconv.Itoa(encoded))
	}
}
