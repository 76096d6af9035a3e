package query

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

func TestParseMalformed(t *testing.T) {
	for _, tc := range []struct{ raw, param string }{
		{"ttl=%zz", "ttl"},
		{"hub=chat&excluded=%zz", "excluded"},
		{"reason=%", "reason"},
		{"reason=%FF", "reason"},
		{"a%zz=1", "a%zz"},
		{"%FE=1", "\uFFFD"},
		{"a=1;b=2", "a"},
		{"excluded=a&excluded=%C0%80", "excluded"},
	} {
		_, err := Parse(tc.raw)
		var qe *Error
		if !errors.As(err, &qe) || !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want an *Error", tc.raw, err)
			continue
		}
		if qe.Param != tc.param {
			t.Errorf("Parse(%q) names %q, want %q", tc.raw, qe.Param, tc.param)
		}
	}
}

func TestParseMatchesURLForWellFormed(t *testing.T) {
	for _, raw := range []string{"", "a=1", "a=1&a=2&b=", "a", "&&a=%20+x&", "hub=chat&excluded=%E2%82%AC", "k=%3B"} {
		got, err := Parse(raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
		want, err := url.ParseQuery(raw)
		if err != nil {
			t.Fatalf("url.ParseQuery(%q): %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %v, url.ParseQuery = %v", raw, got, want)
		}
	}
}

func TestMessageNamesParameter(t *testing.T) {
	_, err := Parse("ttl=%zz")
	var qe *Error
	errors.As(err, &qe)
	if got, want := qe.Message(), "Invalid query parameter 'ttl': is not valid percent-encoding."; got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=1", "ttl=%zz", "a=%FF", "a;b", "%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Parse(raw)
		if err != nil {
			return
		}
		want, werr := url.ParseQuery(raw)
		if werr != nil {
			t.Fatalf("Parse accepted %q that url.ParseQuery refuses: %v", raw, werr)
		}
		if len(got) != len(want) {
			t.Fatalf("Parse(%q) = %v, url.ParseQuery = %v", raw, got, want)
		}
	})
}
