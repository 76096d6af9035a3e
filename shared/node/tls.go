package node

import (
	"crypto/tls"
	"errors"
	"fmt"
)

// tlsConfig loads the certificate and key of cfg: nil when neither is set.
// TLS 1.2 is the minimum, and only HTTP/1.1 is offered: WebSocket upgrades
// take over the connection, which HTTP/2 does not allow.
func tlsConfig(cfg Config) (*tls.Config, error) {
	switch {
	case cfg.TLSCertFile == "" && cfg.TLSKeyFile == "":
		return nil, nil
	case cfg.TLSCertFile == "" || cfg.TLSKeyFile == "":
		return nil, errors.New("node: TLS needs both a certificate and a key file")
	}
	cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("node: TLS certificate: %w", err)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
	}, nil
}

// wrapTLS makes every listener serve TLS with tc.
func (s *Server) wrapTLS(tc *tls.Config) {
	for i, ln := range s.lns {
		s.lns[i] = tls.NewListener(ln, tc)
	}
}

// scheme is "https" when the Server serves TLS, else "http".
func (s *Server) scheme() string {
	if s.tls != nil {
		return "https"
	}
	return "http"
}
