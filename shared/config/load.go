package config

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"
)

// Options is an options type of a binary family: *Node or *Functions.
type Options interface {
	// family names the binaries in messages ("node", "functions").
	family() string
	// validate checks the filled options once and derives what depends
	// on several fields; set reports whether a field (by key: its flag
	// name, else its variable) was given by a file, a variable or a flag.
	validate(set func(key string) bool) error
}

// Sources are where Load reads settings from.
type Sources struct {
	// Name names the program in flag usage. Default: the family.
	Name string
	// Args are the command-line arguments after the program name.
	Args []string
	// Getenv looks variables up. Default: a lookup in Environ.
	Getenv Getenv
	// Environ is the environment as KEY=value lines (os.Environ()), read
	// to report HERALD_* variables the family does not read. Default:
	// none (nothing reported).
	Environ []string
	// ReadFile reads the options file. Default os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Output receives flag errors and usage. Default io.Discard.
	Output io.Writer
}

// Result is what Load reports besides the options it filled.
type Result struct {
	// Warnings name HERALD_* variables the family does not read, each
	// with the closest name it does; mains log them at start-up.
	Warnings []string
	// Args are the arguments left after the flags.
	Args []string
}

// optionsFileKey is the key of the setting naming the options file.
const optionsFileKey = "options-file"

// Load fills opts from its defaults (per profile), an options file, the
// environment and flags, each overriding the one before, and validates
// the result. Errors wrap ErrInvalid and name the setting and where it was
// read (variable, flag or file), except flag.ErrHelp, returned as it is.
func Load(opts Options, profile Profile, src Sources) (Result, error) {
	rv := reflect.ValueOf(opts).Elem()
	fields := fieldsOf(rv.Type())
	get := src.Getenv
	if get == nil {
		get = lookupIn(src.Environ)
	}
	for i := range fields {
		f := &fields[i]
		if d := f.defaultFor(profile); d != "" {
			if err := f.set(rv.FieldByIndex(f.index), d); err != nil {
				panic(fmt.Sprintf("config: default of %s: %v", f.label(), err))
			}
		}
	}
	flags, err := parseFlags(fields, profile, src)
	if err != nil {
		return Result{}, err
	}
	given := map[string]bool{}
	apply := func(f *field, raw, from string) error {
		if err := f.set(rv.FieldByIndex(f.index), raw); err != nil {
			if f.secret {
				err = errors.New("not valid (the value is not shown: it is secret)")
			}
			return fmt.Errorf("%w: %s: %w", ErrInvalid, from, err)
		}
		given[f.key()] = true
		return nil
	}
	file := flags.values[optionsFileKey]
	if file == "" {
		file = strings.TrimSpace(get("HERALD_OPTIONS_FILE"))
	}
	if file != "" {
		if err := loadFile(fields, file, src.ReadFile, apply); err != nil {
			return Result{}, err
		}
	}
	for i := range fields {
		f := &fields[i]
		if f.env == "" {
			continue
		}
		if v := get(f.env); strings.TrimSpace(v) != "" {
			if err := apply(f, v, f.env); err != nil {
				return Result{}, err
			}
		}
	}
	for i := range fields {
		f := &fields[i]
		if raw, ok := flags.values[f.key()]; ok {
			if err := apply(f, raw, "--"+flags.names[f.key()]); err != nil {
				return Result{}, err
			}
		}
	}
	res := Result{Args: flags.args, Warnings: unknownVariables(opts, fields, src.Environ)}
	return res, opts.validate(func(key string) bool { return given[key] })
}

func lookupIn(environ []string) Getenv {
	m := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// parsedFlags are the flags given: raw values and the name used, by key.
type parsedFlags struct {
	values, names map[string]string
	args          []string
}

// rawFlag is the flag.Value of one setting: it checks a value and keeps
// it raw, so flags apply after the file and the environment.
type rawFlag struct {
	f      *field
	name   string
	def    string
	parsed *parsedFlags
}

func (r *rawFlag) String() string {
	if r == nil {
		return ""
	}
	return r.def
}

func (r *rawFlag) Set(s string) error {
	if err := r.f.set(reflect.New(r.f.typ).Elem(), s); err != nil {
		if r.f.secret {
			return errors.New("not valid (the value is not shown: it is secret)")
		}
		return err
	}
	r.parsed.values[r.f.key()] = s
	r.parsed.names[r.f.key()] = r.name
	return nil
}

func (r *rawFlag) IsBoolFlag() bool { return r.f.typ.Kind() == reflect.Bool }

func parseFlags(fields []field, profile Profile, src Sources) (*parsedFlags, error) {
	name := src.Name
	if name == "" {
		name = "herald"
	}
	out := src.Output
	if out == nil {
		out = io.Discard
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	p := &parsedFlags{values: map[string]string{}, names: map[string]string{}}
	for i := range fields {
		f := &fields[i]
		for j, n := range f.flags {
			usage := f.usage
			if f.env != "" {
				usage += " (" + f.env + ")"
			}
			if j > 0 {
				usage = "the same as --" + f.flags[0]
			}
			def := f.defaultFor(profile)
			if f.secret || (f.typ.Kind() == reflect.Bool && def == "false") {
				def = "" // never shown; false is a switch's default
			}
			fs.Var(&rawFlag{f: f, name: n, def: def, parsed: p}, n, usage)
		}
	}
	if err := fs.Parse(src.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	p.args = fs.Args()
	return p, nil
}

// loadFile applies an options file: a JSON object whose keys are flag
// names (or variable names) and whose values are strings, numbers,
// booleans or arrays of strings.
func loadFile(fields []field, path string, read func(string) ([]byte, error), apply func(*field, string, string) error) error {
	if read == nil {
		read = os.ReadFile
	}
	b, err := read(path)
	if err != nil {
		return fmt.Errorf("%w: options file: %w", ErrInvalid, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: options file %s: not a JSON object: %w", ErrInvalid, path, err)
	}
	byName := map[string]*field{}
	var names []string
	for i := range fields {
		f := &fields[i]
		for _, n := range append(append([]string{}, f.flags...), f.env) {
			if n != "" {
				byName[n] = f
				names = append(names, n)
			}
		}
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys) // errors in a stable order
	for _, k := range keys {
		f := byName[k]
		if f == nil || f.key() == optionsFileKey {
			return fmt.Errorf("%w: options file %s: %q is not a setting (closest: %q)", ErrInvalid, path, k, closest(k, names))
		}
		v, err := jsonScalar(raw[k])
		if err != nil {
			return fmt.Errorf("%w: options file %s: %s: %w", ErrInvalid, path, k, err)
		}
		if err := apply(f, v, "options file "+path+": "+k); err != nil {
			return err
		}
	}
	return nil
}

// jsonScalar returns a JSON value in the flag syntax: a string as it is,
// a number or boolean as written, an array of strings comma-separated.
func jsonScalar(m json.RawMessage) (string, error) {
	var v any
	if err := json.Unmarshal(m, &v); err != nil {
		return "", err
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case float64, bool:
		return strings.TrimSpace(string(m)), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", errors.New("an array must hold strings")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", errors.New("use a string, a number, a boolean or an array of strings")
}
