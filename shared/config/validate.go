package config

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"

	"github.com/heraldrt/herald/shared/httpapi"
)

func reflectType(opts any) reflect.Type { return reflect.TypeOf(opts).Elem() }

// validator collects the first error of an options type's checks, naming
// the setting by its variable and flag.
type validator struct {
	fields []field
	err    error
}

func (v *validator) fail(key string, err error) {
	if v.err != nil {
		return
	}
	name := key
	for i := range v.fields {
		if v.fields[i].key() == key {
			name = v.fields[i].label()
		}
	}
	v.err = fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
}

// redisURL checks a URL that may carry a password: one that does not
// parse is an error that does not quote it, as url.Parse's own would.
func (v *validator) redisURL(key, raw string) {
	if _, err := url.Parse(raw); err != nil {
		v.fail(key, errors.New("not a valid URL (the value is not shown: it may hold a password)"))
	}
}

// absoluteURL checks an optional absolute http(s) URL.
func (v *validator) absoluteURL(key, raw string) {
	if raw == "" {
		return
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.fail(key, fmt.Errorf("%q is not an absolute http(s) URL", raw))
	}
}

// cors checks a CORS allow-list (httpapi.NewCORSPolicy).
func (v *validator) cors(key string, origins []string) {
	if _, err := httpapi.NewCORSPolicy(origins); err != nil {
		v.fail(key, err)
	}
}
