package cfn

import (
	"fmt"
	"regexp"
	"strings"
)

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
