package token_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
)

// Test keys are generated once per test binary: RSA generation is slow.
var (
	rsaKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
		var ks [2]*rsa.PrivateKey
		for i := range ks {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				return ks, err
			}
			ks[i] = k
		}
		return ks, nil
	})
	ecKeys = sync.OnceValues(func() (map[string]*ecdsa.PrivateKey, error) {
		ks := map[string]*ecdsa.PrivateKey{}
		for name, c := range map[string]elliptic.Curve{"P-256": elliptic.P256(), "P-384": elliptic.P384(), "P-521": elliptic.P521()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				return nil, err
			}
			ks[name] = k
		}
		return ks, nil
	})
)

func rsaKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	ks, err := rsaKeys()
	if err != nil {
		t.Fatal(err)
	}
	return ks[i]
}

func ecKey(t testing.TB, crv string) *ecdsa.PrivateKey {
	t.Helper()
	ks, err := ecKeys()
	if err != nil {
		t.Fatal(err)
	}
	return ks[crv]
}
