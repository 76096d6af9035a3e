// Package cfn reads CloudFormation and SAM templates for tests: YAML with
// the short-form intrinsic tags (!Ref, !GetAtt, !Sub, !If, !Join, ...)
// turned into their long forms ({"Ref": x}, {"Fn::GetAtt": [r, a]}, ...),
// conditions evaluated for a set of parameter values, and values resolved
// to strings with references to resources rendered as host-name-safe
// placeholders.
package cfn

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Template is a parsed template.
type Template struct {
	Parameters map[string]map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]Resource
	Outputs    map[string]any
}

// Resource is one entry of Resources.
type Resource struct {
	Type       string
	Condition  string
	DependsOn  any
	Metadata   map[string]any
	Properties map[string]any
}

// Load parses the template at path.
func Load(path string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("cfn: %s: %w", path, err)
	}
	doc, err := convert(&root)
	if err != nil {
		return nil, fmt.Errorf("cfn: %s: %w", path, err)
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("cfn: %s: not a mapping", path)
	}
	t := &Template{
		Parameters: map[string]map[string]any{},
		Conditions: mapOf(top["Conditions"]),
		Globals:    mapOf(top["Globals"]),
		Resources:  map[string]Resource{},
		Outputs:    mapOf(top["Outputs"]),
	}
	for name, p := range mapOf(top["Parameters"]) {
		t.Parameters[name] = mapOf(p)
	}
	for name, r := range mapOf(top["Resources"]) {
		m := mapOf(r)
		res := Resource{Properties: mapOf(m["Properties"]), Metadata: mapOf(m["Metadata"]), DependsOn: m["DependsOn"]}
		res.Type, _ = m["Type"].(string)
		res.Condition, _ = m["Condition"].(string)
		t.Resources[name] = res
	}
	return t, nil
}

// convert turns a YAML node into maps, slices and scalars (strings, ints,
// floats, bools), tagged nodes into CloudFormation's long forms.
func convert(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return convert(n.Content[0])
	case yaml.AliasNode:
		return convert(n.Alias)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := convert(c)
			if err != nil {
				return nil, err
			}
			s = append(s, val)
		}
		v = s
	case yaml.ScalarNode:
		if custom(n.Tag) {
			v = n.Value // the argument of a short-form function is text
		} else if err := n.Decode(&v); err != nil {
			return nil, err
		}
	}
	if !custom(n.Tag) {
		return v, nil
	}
	name := strings.TrimPrefix(n.Tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// custom reports whether tag is a CloudFormation short form (!Ref), not a
// YAML core tag (!!str).
func custom(tag string) bool { return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!") }

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// Env is one way of filling in a template's parameters.
type Env struct {
	t      *Template
	params map[string]string
}

// With returns the evaluation of t with the parameters' defaults replaced
// by overrides.
func (t *Template) With(overrides map[string]string) *Env {
	e := &Env{t: t, params: map[string]string{}}
	for name, p := range t.Parameters {
		if d, ok := p["Default"]; ok {
			e.params[name] = fmt.Sprint(d)
		} else {
			e.params[name] = "param-" + strings.ToLower(name) // required: a placeholder
		}
	}
	for k, v := range overrides {
		e.params[k] = v
	}
	return e
}

// Condition evaluates the named condition.
func (e *Env) Condition(name string) bool {
	c, ok := e.t.Conditions[name]
	if !ok {
		panic("cfn: no condition " + name)
	}
	return e.truth(c)
}

// Exists reports whether the resource is created (its Condition holds).
func (e *Env) Exists(name string) bool {
	r, ok := e.t.Resources[name]
	return ok && (r.Condition == "" || e.Condition(r.Condition))
}

func (e *Env) truth(v any) bool {
	m := mapOf(v)
	switch {
	case m["Condition"] != nil:
		return e.Condition(m["Condition"].(string))
	case m["Fn::Equals"] != nil:
		args := m["Fn::Equals"].([]any)
		return e.String(args[0]) == e.String(args[1])
	case m["Fn::Not"] != nil:
		return !e.truth(m["Fn::Not"].([]any)[0])
	case m["Fn::And"] != nil:
		for _, a := range m["Fn::And"].([]any) {
			if !e.truth(a) {
				return false
			}
		}
		return true
	case m["Fn::Or"] != nil:
		for _, a := range m["Fn::Or"].([]any) {
			if e.truth(a) {
				return true
			}
		}
		return false
	}
	if b, ok := v.(bool); ok {
		return b
	}
	panic(fmt.Sprintf("cfn: not a condition: %v", v))
}

// Placeholder renders a reference to a resource (or its attribute) as the
// host-name-safe text String uses for it.
func Placeholder(resource, attr string) string {
	s := strings.ToLower(resource)
	if attr != "" {
		s += "-" + strings.ToLower(strings.ReplaceAll(attr, ".", "-"))
	}
	return s + ".placeholder.test"
}

// Resolve evaluates intrinsic functions in v: Fn::If picks a branch,
// Ref to a parameter gives its value, Ref and Fn::GetAtt of resources give
// Placeholder, Fn::Join and Fn::Sub build strings. Lists and maps are
// resolved element by element.
func (e *Env) Resolve(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, 0, len(x))
		for _, el := range x {
			out = append(out, e.Resolve(el))
		}
		return out
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if r, ok := e.intrinsic(k, arg); ok {
					return r
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, el := range x {
			out[k] = e.Resolve(el)
		}
		return out
	}
	return v
}

var subVar = regexp.MustCompile(`\$\{([^}!]+)\}`)

func (e *Env) intrinsic(fn string, arg any) (any, bool) {
	switch fn {
	case "Ref":
		name := arg.(string)
		if p, ok := e.params[name]; ok {
			if strings.HasPrefix(e.t.Parameters[name]["Type"].(string), "List<") || e.t.Parameters[name]["Type"] == "CommaDelimitedList" {
				var out []any
				for _, s := range strings.Split(p, ",") {
					out = append(out, s)
				}
				return out, true
			}
			return p, true
		}
		if strings.HasPrefix(name, "AWS::") {
			return Placeholder(strings.TrimPrefix(name, "AWS::"), ""), true
		}
		return Placeholder(name, ""), true
	case "Fn::GetAtt":
		a := arg.([]any)
		return Placeholder(a[0].(string), a[1].(string)), true
	case "Fn::If":
		a := arg.([]any)
		if e.Condition(a[0].(string)) {
			return e.Resolve(a[1]), true
		}
		return e.Resolve(a[2]), true
	case "Fn::Join":
		a := arg.([]any)
		var parts []string
		for _, p := range e.Resolve(a[1]).([]any) {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, a[0].(string)), true
	case "Fn::Sub":
		text, vars := "", map[string]any{}
		switch a := arg.(type) {
		case string:
			text = a
		case []any:
			text, vars = a[0].(string), mapOf(a[1])
		}
		return subVar.ReplaceAllStringFunc(text, func(m string) string {
			name := m[2 : len(m)-1]
			if v, ok := vars[name]; ok {
				return e.String(v)
			}
			if res, attr, ok := strings.Cut(name, "."); ok {
				return Placeholder(res, attr)
			}
			return e.String(map[string]any{"Ref": name})
		}), true
	}
	return nil, false
}

// String resolves v and renders it as a string.
func (e *Env) String(v any) string { return fmt.Sprint(e.Resolve(v)) }

// Lookup follows keys (map keys or list indexes as ints) into v.
func Lookup(v any, path ...any) any {
	for _, k := range path {
		switch key := k.(type) {
		case string:
			v = mapOf(v)[key]
		case int:
			s, _ := v.([]any)
			if key >= len(s) {
				return nil
			}
			v = s[key]
		}
	}
	return v
}

// ResourcesOfType returns the names of t's resources of type typ, sorted.
func (t *Template) ResourcesOfType(typ string) []string {
	var out []string
	for name, r := range t.Resources {
		if r.Type == typ {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
