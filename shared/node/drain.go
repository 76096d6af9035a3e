package node

import (
	"net"
	"sync"
)

// onceCloser is a listener whose Close takes effect once: a draining
// Server closes its listeners first (stop accepting) and http.Server's
// Shutdown closes them again without an error.
type onceCloser struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloser) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// stopAccepting closes the listeners: new connections are refused at once
// (a load balancer moves on to another node) while the open ones drain.
func (s *Server) stopAccepting() {
	for _, ln := range s.lns {
		_ = ln.Close()
	}
}
