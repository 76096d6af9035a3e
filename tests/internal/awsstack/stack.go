package awsstack

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Stack is what the emulator says the stack created, as the AWS APIs describe it (the
// field names are the APIs').
type Stack struct {
	Status       string            `json:"status"`
	StatusReason string            `json:"statusReason"`
	Parameters   map[string]string `json:"parameters"`
	Outputs      map[string]string `json:"outputs"`
	Resources    []struct {
		LogicalResourceID  string `json:"LogicalResourceId"`
		PhysicalResourceID string `json:"PhysicalResourceId"`
		ResourceType       string
		ResourceStatus     string
	} `json:"resources"`
	LoadBalancers   []LoadBalancer            `json:"loadBalancers"`
	TargetGroups    []TargetGroup             `json:"targetGroups"`
	Functions       map[string]Function       `json:"functions"`
	TaskDefinitions map[string]TaskDefinition `json:"taskDefinitions"`
	Services        map[string]Service        `json:"services"`
	// Secrets maps the ARN of each secret created for the stack's parameters to its value.
	Secrets map[string]string `json:"secrets"`
}

// KeyValue is an attribute of a load balancer or target group.
type KeyValue struct{ Key, Value string }

// LoadBalancer is DescribeLoadBalancers' entry with its attributes and listeners.
type LoadBalancer struct {
	LoadBalancerArn string
	DNSName         string
	Attributes      []KeyValue
	Listeners       []Listener
}

// Listener is DescribeListeners' entry with its rules.
type Listener struct {
	ListenerArn    string
	Port           int
	Protocol       string
	DefaultActions []Action
	Rules          []Rule
}

// Rule is DescribeRules' entry.
type Rule struct {
	Priority   string
	IsDefault  bool
	Conditions []struct {
		Field             string
		Values            []string
		PathPatternConfig struct{ Values []string }
	}
	Actions []Action
}

// Paths returns the path patterns of r's path-pattern conditions.
func (r Rule) Paths() []string {
	var out []string
	for _, c := range r.Conditions {
		if c.Field == "path-pattern" {
			out = append(out, c.Values...)
			out = append(out, c.PathPatternConfig.Values...)
		}
	}
	return out
}

// Action is a rule's or listener's action.
type Action struct {
	Type                string
	TargetGroupArn      string
	FixedResponseConfig *struct{ StatusCode, ContentType, MessageBody string }
	RedirectConfig      *struct{ Protocol, Port, StatusCode string }
}

// TargetGroup is DescribeTargetGroups' entry with its attributes and registered targets.
type TargetGroup struct {
	TargetGroupArn             string
	LogicalID                  string `json:"LogicalId"`
	TargetType                 string
	Port                       int
	Protocol                   string
	HealthCheckPath            string
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	Matcher                    struct{ HttpCode string }
	Attributes                 []KeyValue
	Targets                    []struct {
		ID string `json:"Id"`
	}
}

// Attribute returns the value of the attribute key ("" when absent).
func (tg TargetGroup) Attribute(key string) string {
	for _, a := range tg.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

// Function is GetFunctionConfiguration's answer.
type Function struct {
	FunctionName  string
	FunctionArn   string
	Handler       string
	Runtime       string
	Architectures []string
	Timeout       int
	MemorySize    int
	Environment   struct{ Variables map[string]string }
	Layers        []struct{ Arn string }
}

// TaskDefinition is DescribeTaskDefinition's task definition.
type TaskDefinition struct {
	TaskDefinitionArn    string      `json:"taskDefinitionArn"`
	NetworkMode          string      `json:"networkMode"`
	ContainerDefinitions []Container `json:"containerDefinitions"`
}

// Container is one container definition.
type Container struct {
	Name        string `json:"name"`
	Image       string `json:"image"`
	Environment []struct {
		Name  string `json:"name"`
		Value any    `json:"value"`
	} `json:"environment"`
	Secrets []struct {
		Name      string `json:"name"`
		ValueFrom string `json:"valueFrom"`
	} `json:"secrets"`
	PortMappings []struct {
		ContainerPort int    `json:"containerPort"`
		Protocol      string `json:"protocol"`
	} `json:"portMappings"`
	StopTimeout int             `json:"stopTimeout"`
	HealthCheck json.RawMessage `json:"healthCheck"`
	Essential   bool            `json:"essential"`
}

// Env returns the container's environment variables (values as ECS passes them:
// strings).
func (c Container) Env() map[string]string {
	out := map[string]string{}
	for _, kv := range c.Environment {
		out[kv.Name] = fmt.Sprint(kv.Value)
	}
	return out
}

// Service is DescribeServices' entry.
type Service struct {
	ServiceName   string `json:"serviceName"`
	DesiredCount  int    `json:"desiredCount"`
	LoadBalancers []struct {
		ContainerName  string `json:"containerName"`
		ContainerPort  int    `json:"containerPort"`
		TargetGroupArn string `json:"targetGroupArn"`
	} `json:"loadBalancers"`
	HealthCheckGracePeriodSeconds int `json:"healthCheckGracePeriodSeconds"`
}

// Physical returns the physical id of the resource logicalID ("" when the stack has none).
func (s *Stack) Physical(logicalID string) string {
	for _, r := range s.Resources {
		if r.LogicalResourceID == logicalID {
			return r.PhysicalResourceID
		}
	}
	return ""
}

// Logical returns the logical id of the resource whose physical id is physical.
func (s *Stack) Logical(physical string) string {
	for _, r := range s.Resources {
		if r.PhysicalResourceID == physical && physical != "" {
			return r.LogicalResourceID
		}
	}
	return ""
}

// TargetGroup returns the target group with this ARN.
func (s *Stack) TargetGroup(arn string) (TargetGroup, bool) {
	for _, tg := range s.TargetGroups {
		if tg.TargetGroupArn == arn {
			return tg, true
		}
	}
	return TargetGroup{}, false
}

// FunctionByArn returns the logical id of the function whose ARN (or name) is arn.
func (s *Stack) FunctionByArn(arn string) (string, bool) {
	for id, f := range s.Functions {
		if f.FunctionArn == arn || f.FunctionName == arn || strings.HasSuffix(arn, ":function:"+f.FunctionName) {
			return id, true
		}
	}
	return "", false
}

// PriorityNumber returns a rule's priority as a number (the default rule sorts last).
func (r Rule) PriorityNumber() int {
	n, err := strconv.Atoi(r.Priority)
	if err != nil {
		return 1 << 30
	}
	return n
}
