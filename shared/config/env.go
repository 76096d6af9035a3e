package config

import "reflect"

// FunctionsFromEnv reads the functions' options from variables alone (no
// flags, no file): what the Lambda functions run with. Every problem is
// an error wrapping ErrInvalid that names the variable.
func FunctionsFromEnv(get Getenv) (Functions, error) {
	var f Functions
	_, err := Load(&f, Production, Sources{Getenv: get})
	return f, err
}

// NodeFromEnv reads a production node's options (the gateway binary's)
// from variables alone.
func NodeFromEnv(get Getenv) (Node, error) {
	var n Node
	_, err := Load(&n, Production, Sources{Getenv: get})
	return n, err
}

// Variables lists the environment variables opts (a *Node or *Functions)
// reads: what a deployment template may set for that family.
func Variables(opts Options) []string {
	var out []string
	for _, f := range fieldsOf(reflect.TypeOf(opts).Elem()) {
		if f.env != "" {
			out = append(out, f.env)
		}
	}
	return out
}
