package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid wraps every configuration error.
var ErrInvalid = errors.New("config: invalid")

// Getenv looks a variable up; os.Getenv in mains, a map in tests.
type Getenv func(string) string

// Profile chooses the defaults Load starts from.
type Profile int

// Profiles.
const (
	// Production takes each field's default tag: the deployed binaries.
	Production Profile = iota
	// Development takes a field's dev tag where it has one (the local
	// emulator: port 8888, the well-known AccessKey, text logs, the
	// in-memory bus).
	Development
)

// field is one setting: an exported struct field and its tags.
//
//	env      the environment variable ("" or "-": none)
//	flag     the flag names, comma-separated: the first is the name, the
//	         others aliases kept for compatibility ("" or "-": none)
//	default  the production default, in the flag's syntax
//	dev      the Development default, when it differs
//	doc      the default as the documentation states it, when the tag
//	         alone does not say it (a derived or computed default)
//	devdoc   the same for dev
//	usage    the meaning (one or more sentences)
//	min      the least int (default 0), or for a duration "0" to allow
//	         zero (durations are positive otherwise)
//	enum     the allowed values, comma-separated
//	secret   "true": values are never quoted in errors
//	nolimit  for an int whose 0 means no limit while the field's zero
//	         value means its default (GatewayTuning.MaxHubs): the value
//	         an option's 0 is stored as
//
// A struct field (GatewayTuning, HTTPLimits) contributes its fields in
// its place.
type field struct {
	env         string
	flags       []string
	def, dev    string
	doc, devdoc string
	usage       string
	min         int
	enum        []string
	secret      bool
	nolimit     int64
	index       []int
	typ         reflect.Type
}

// key names the field in files and to Validate: its flag name, or its
// variable when it has no flag.
func (f *field) key() string {
	if len(f.flags) > 0 {
		return f.flags[0]
	}
	return f.env
}

// label names the field in errors: "HERALD_X (--x)".
func (f *field) label() string {
	switch {
	case f.env != "" && len(f.flags) > 0:
		return f.env + " (--" + f.flags[0] + ")"
	case f.env != "":
		return f.env
	}
	return "--" + f.flags[0]
}

// defaultFor is the field's default under p.
func (f *field) defaultFor(p Profile) string {
	if p == Development && f.dev != "" {
		if f.dev == "-" {
			return ""
		}
		return f.dev
	}
	return f.def
}

var durationType = reflect.TypeOf(time.Duration(0))

// fieldsOf lists the settings of the options struct type t.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		if sf.Type.Kind() == reflect.Struct {
			for _, f := range fieldsOf(sf.Type) {
				f.index = append(append([]int{}, sf.Index...), f.index...)
				out = append(out, f)
			}
			continue
		}
		f := field{
			env: tag(sf, "env"), def: sf.Tag.Get("default"), dev: sf.Tag.Get("dev"),
			doc: sf.Tag.Get("doc"), devdoc: sf.Tag.Get("devdoc"), usage: sf.Tag.Get("usage"),
			secret: sf.Tag.Get("secret") == "true", index: sf.Index, typ: sf.Type,
		}
		if fl := tag(sf, "flag"); fl != "" {
			f.flags = strings.Split(fl, ",")
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		if m := sf.Tag.Get("min"); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil {
				panic(fmt.Sprintf("config: %s.%s: min tag %q", t.Name(), sf.Name, m))
			}
			f.min = n
		} else if sf.Type == durationType {
			f.min = 1
		}
		if nl := sf.Tag.Get("nolimit"); nl != "" {
			n, err := strconv.Atoi(nl)
			if err != nil || n >= 0 || sf.Type.Kind() != reflect.Int {
				panic(fmt.Sprintf("config: %s.%s: nolimit tag %q", t.Name(), sf.Name, nl))
			}
			f.nolimit = int64(n)
		}
		if f.env == "" && len(f.flags) == 0 {
			panic(fmt.Sprintf("config: %s.%s has neither env nor flag", t.Name(), sf.Name))
		}
		switch sf.Type.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		case reflect.Slice:
			if sf.Type.Elem().Kind() != reflect.String {
				panic(fmt.Sprintf("config: %s.%s: unsupported type %s", t.Name(), sf.Name, sf.Type))
			}
		default:
			panic(fmt.Sprintf("config: %s.%s: unsupported type %s", t.Name(), sf.Name, sf.Type))
		}
		out = append(out, f)
	}
	return out
}

func tag(sf reflect.StructField, name string) string {
	if v := sf.Tag.Get(name); v != "-" {
		return v
	}
	return ""
}

// set parses raw into v, the field's value.
func (f *field) set(v reflect.Value, raw string) error {
	switch {
	case f.typ == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil || d < 0 || (d == 0 && f.min > 0) {
			if f.min > 0 {
				return fmt.Errorf("%q is not a positive duration such as 15s", raw)
			}
			return fmt.Errorf("%q is not a duration such as 15s (0: the default)", raw)
		}
		v.SetInt(int64(d))
	case f.typ.Kind() == reflect.Int:
		n, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil || n < f.min {
			if f.min > 0 {
				return fmt.Errorf("%q is not a positive integer", raw)
			}
			return fmt.Errorf("%q is not a non-negative integer (0: no limit)", raw)
		}
		if n == 0 && f.nolimit != 0 {
			v.SetInt(f.nolimit)
			break
		}
		v.SetInt(int64(n))
	case f.typ.Kind() == reflect.Bool:
		b, err := parseBool(raw)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case f.typ.Kind() == reflect.Slice:
		v.Set(reflect.ValueOf(SplitList(raw)))
	default:
		s := strings.TrimSpace(raw)
		if len(f.enum) > 0 && !contains(f.enum, s) {
			return fmt.Errorf("%q: use %s", s, strings.Join(f.enum, ", "))
		}
		v.SetString(s)
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// parseBool reads true/false (also 1/0, yes/no, on/off); empty is false.
func parseBool(raw string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(raw)); v {
	case "", "false", "0", "no", "off":
		return false, nil
	case "true", "1", "yes", "on":
		return true, nil
	default:
		return false, fmt.Errorf("%q is not a boolean (true or false)", v)
	}
}

// SplitList splits a comma-separated list, trimming items and dropping
// empty ones (flags and variables such as HERALD_ACCESS_KEYS).
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
