package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
)

// jwksStore is the jwkset.Storage behind the keyfunc of a JWKS verifier: an
// in-memory key set that fetches itself from the identity provider when it
// is read, per this package's policy rather than jwkset's own HTTP storage
// (which fetches when built, starts a refresh goroutine, reads unbounded
// bodies and rate-limits on the wall clock):
//
//   - no key set yet: every read fetches;
//   - older than refresh: one reader refreshes, at most once per
//     JWKSMinRefetch; on failure the stale keys stay in use;
//   - a kid not in the set: a refetch, at most once per JWKSMinRefetch.
//
// No lock is held across the network fetch: one fetch runs at a time, and a
// reader that needs its result waits for it (or for its own ctx) while the
// others keep reading the current keys.
type jwksStore struct {
	*jwkset.MemoryJWKSet

	url     string
	client  *http.Client
	refresh time.Duration
	now     func() time.Time

	mu        sync.Mutex
	loaded    bool          // a key set was fetched once
	fetched   time.Time     // last successful fetch
	attempted time.Time     // start of the last fetch
	inflight  chan struct{} // closed when the fetch under way ends; nil when none
	lastErr   error         // outcome of the last fetch
}

var _ jwkset.Storage = (*jwksStore)(nil)

// KeyRead implements jwkset.Storage: the key with keyID, refetching the set
// once (rate limited) when it lacks keyID.
func (s *jwksStore) KeyRead(ctx context.Context, keyID string) (jwkset.JWK, error) {
	if err := s.sync(ctx, false); err != nil {
		return jwkset.JWK{}, err
	}
	k, err := s.MemoryJWKSet.KeyRead(ctx, keyID)
	if !errors.Is(err, jwkset.ErrKeyNotFound) {
		return k, err
	}
	if err := s.sync(ctx, true); err != nil {
		return jwkset.JWK{}, err
	}
	return s.MemoryJWKSet.KeyRead(ctx, keyID)
}

// KeyReadAll implements jwkset.Storage: every key, for tokens without kid.
func (s *jwksStore) KeyReadAll(ctx context.Context) ([]jwkset.JWK, error) {
	if err := s.sync(ctx, false); err != nil {
		return nil, err
	}
	return s.MemoryJWKSet.KeyReadAll(ctx)
}

// sync fetches the key set when the policy above says so. It fails, with
// ErrKeySource, only when there is no key set at all.
func (s *jwksStore) sync(ctx context.Context, unknownKID bool) error {
	s.mu.Lock()
	now := s.now()
	canRefetch := now.Sub(s.attempted) >= JWKSMinRefetch
	stale := now.Sub(s.fetched) >= s.refresh
	if s.loaded && !(canRefetch && (stale || unknownKID)) {
		s.mu.Unlock()
		return nil
	}
	// The caller needs the fetch's result unless it is a refresh of a key
	// set that is still usable.
	wait := !s.loaded || unknownKID
	if ch := s.inflight; ch != nil {
		s.mu.Unlock()
		if !wait {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for the key set: %v", ErrKeySource, ctx.Err())
		}
		return s.outcome()
	}
	ch := make(chan struct{})
	s.inflight, s.attempted = ch, now
	s.mu.Unlock()

	keys, err := s.download(ctx)

	s.mu.Lock()
	if err == nil {
		_ = s.MemoryJWKSet.KeyReplaceAll(ctx, keys) // never fails
		s.loaded, s.fetched = true, now
		s.lastErr = nil
	} else {
		s.lastErr = fmt.Errorf("%w: %v", ErrKeySource, err)
	}
	s.inflight = nil
	close(ch)
	s.mu.Unlock()
	return s.outcome()
}

// outcome is sync's answer once a fetch ended: nil while a key set is
// loaded, else the last fetch's error.
func (s *jwksStore) outcome() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded {
		return nil
	}
	return s.lastErr
}

// download fetches and parses the key set, reading at most maxJWKSBytes.
func (s *jwksStore) download(ctx context.Context) ([]jwkset.JWK, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %v", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %v", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errors.New("fetch JWKS: document larger than 1 MiB")
	}
	return parseJWKS(body)
}
