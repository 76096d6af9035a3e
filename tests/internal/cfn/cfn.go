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
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
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
	Type      string
	Condition string
	DependsOn any
	// DeletionPolicy and UpdateReplacePolicy are "" when not set.
	DeletionPolicy      string
	UpdateReplacePolicy string
	Metadata            map[string]any
	Properties          map[string]any
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
		res.DeletionPolicy, _ = m["DeletionPolicy"].(string)
		res.UpdateReplacePolicy, _ = m["UpdateReplacePolicy"].(string)
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
