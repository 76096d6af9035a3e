// Command floor is the raw fan-out floor of the benchmarks in tests/bench:
// a minimal WebSocket server (net/http + gobwas/ws, nothing else) that
// writes one pre-encoded frame to every connected socket, one plain write
// per socket, for each POST /send. The gateway's CPU per delivery is
// compared with this one's in the same run.
//
// It is also the connection-setup floor: GET /hub upgrades and answers the
// client's SignalR JSON handshake request with "{}\x1e", with no negotiate,
// token or bus, so the benchmarks can set the gateway's CPU per connection
// beside the least a SignalR connection costs. And it is the negotiate
// floor: POST /api/negotiate and POST /client/negotiate answer fixed JSON
// of the emulator's answers' shape, so a negotiation's two HTTP exchanges
// can be set beside Herald's.
//
// Routes: GET /ws upgrades (no SignalR negotiate or handshake; what the
// client sends is read and dropped), GET /hub upgrades and does the
// handshake (then drops what the client sends), POST /send frames its body once as a
// text message and writes it to every connection, answering 202 after the
// last write; POST /api/negotiate and POST /client/negotiate answer
// fixed JSON; GET /api/health answers 200. It prints
// "listening on http://ADDR" once it listens and exits on SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// handshakeFrame is the JSON handshake response, framed once.
var handshakeFrame = ws.MustCompileFrame(ws.NewTextFrame([]byte("{}\x1e")))

// The negotiate floor's answers, encoded once: the shapes and about the
// sizes of the emulator's app and client negotiate answers, with no token
// made or checked.
var (
	appNegotiateAnswer = []byte(`{"url":"http://localhost/client/?hub=bench","accessToken":"` +
		strings.Repeat("x", 240) + `"}`)
	clientNegotiateAnswer = []byte(`{"negotiateVersion":1,"connectionId":"AAAAAAAAAAAAAAAAAAAAAA",` +
		`"connectionToken":"` + strings.Repeat("x", 55) + `","availableTransports":[` +
		`{"transport":"WebSockets","transferFormats":["Text","Binary"]},` +
		`{"transport":"ServerSentEvents","transferFormats":["Text"]},` +
		`{"transport":"LongPolling","transferFormats":["Text","Binary"]}]}`)
)

// answer returns a handler that writes body as a JSON answer.
func answer(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

const (
	maxHandshake     = 4 << 10          // bounds the handshake request
	handshakeTimeout = 10 * time.Second // for the handshake request
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	if err := run(*addr); err != nil {
		log.Fatal(err)
	}
}

// server holds the upgraded connections.
type server struct {
	mu      sync.RWMutex
	conns   map[net.Conn]struct{}
	readers sync.WaitGroup
}

func run(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := &server{conns: map[net.Conn]struct{}{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("GET /ws", s.upgrade)
	mux.HandleFunc("GET /hub", s.upgradeHandshake)
	mux.HandleFunc("POST /send", s.send)
	mux.HandleFunc("POST /api/negotiate", answer(appNegotiateAnswer))
	mux.HandleFunc("POST /client/negotiate", answer(clientNegotiateAnswer))
	hs := &http.Server{Handler: mux}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err = <-errc:
		return err
	case <-ctx.Done():
	}
	err = hs.Shutdown(context.Background())
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.readers.Wait()
	<-errc
	return err
}

func (s *server) upgrade(w http.ResponseWriter, r *http.Request) {
	nc, _, _, err := ws.HTTPUpgrader{}.Upgrade(r, w)
	if err != nil {
		return
	}
	s.serve(nc)
}

// upgradeHandshake upgrades, reads the handshake request (one text message
// ending in the record separator) and answers it before serving the
// connection as upgrade does.
func (s *server) upgradeHandshake(w http.ResponseWriter, r *http.Request) {
	nc, _, _, err := ws.HTTPUpgrader{}.Upgrade(r, w)
	if err != nil {
		return
	}
	_ = nc.SetReadDeadline(time.Now().Add(handshakeTimeout))
	rd := wsutil.Reader{Source: nc, State: ws.StateServerSide, MaxFrameSize: maxHandshake}
	h, err := rd.NextFrame()
	if err != nil || h.OpCode != ws.OpText || !h.Fin {
		_ = nc.Close()
		return
	}
	req, err := io.ReadAll(&rd)
	if err != nil || len(req) == 0 || req[len(req)-1] != 0x1e {
		_ = nc.Close()
		return
	}
	if _, err := nc.Write(handshakeFrame); err != nil || nc.SetReadDeadline(time.Time{}) != nil {
		_ = nc.Close()
		return
	}
	s.serve(nc)
}

// serve registers nc for /send and reads (and drops) what the client
// sends until it closes.
func (s *server) serve(nc net.Conn) {
	s.mu.Lock()
	s.conns[nc] = struct{}{}
	s.mu.Unlock()
	s.readers.Add(1)
	go func() {
		defer s.readers.Done()
		buf := make([]byte, 512)
		for { // client frames are dropped, until it closes
			if _, err := nc.Read(buf); err != nil {
				break
			}
		}
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		_ = nc.Close()
	}()
}

func (s *server) send(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	frame, err := ws.CompileFrame(ws.NewTextFrame(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	s.mu.RLock()
	for c := range s.conns {
		_, _ = c.Write(frame)
	}
	s.mu.RUnlock()
	w.WriteHeader(http.StatusAccepted)
}
