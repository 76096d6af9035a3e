package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"github.com/heraldrt/herald/shared/admin"
)

// listenAdmin binds the admin listener when Config.AdminAddr is set.
func (s *Server) listenAdmin() error {
	if s.cfg.AdminAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.AdminAddr)
	if err != nil {
		return fmt.Errorf("node: admin listener: %w", err)
	}
	s.adminLn = ln
	s.admin = &http.Server{
		Handler:  s.adminHandler(),
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	lim := s.cfg.HTTP
	lim.WriteTimeout = max(lim.WriteTimeout, adminMinWriteTimeout) // profiles take 30 s
	lim.apply(s.admin)
	return nil
}

// adminHandler is shared/admin's handler with the diagnostics switches
// route (diagadmin.go).
func (s *Server) adminHandler() http.Handler {
	mux := http.NewServeMux()
	s.mountDiagnostics(mux)
	mux.Handle("/", admin.Handler(s.cfg.Registry))
	return mux
}

// AdminURL is the admin listener's base URL, "" when it is off.
func (s *Server) AdminURL() string {
	if s.adminLn == nil {
		return ""
	}
	return "http://" + s.adminLn.Addr().String()
}

// serveAdmin serves the admin listener, if any, on a goroutine wg waits for.
func (s *Server) serveAdmin(wg *sync.WaitGroup, errc chan<- error) {
	if s.admin == nil {
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.admin.Serve(s.adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("admin listener: %w", err)
		}
	}()
}

// shutdownAdmin stops the admin listener (profiles in progress are cut).
func (s *Server) shutdownAdmin(ctx context.Context) error {
	if s.admin == nil {
		return nil
	}
	if err := s.admin.Shutdown(ctx); err != nil {
		return errors.Join(err, s.admin.Close())
	}
	return nil
}
