//go:build unix

package gateway

import (
	"errors"
	"os"
	"syscall"
)

const directWriteSupported = true

// errWouldBlock reports that the socket's send buffer is full.
var errWouldBlock = errors.New("write would block")

// directWrite attempts one non-blocking write of b to the socket (Go's
// sockets are in non-blocking mode) and never waits: it returns how much
// was written, and errWouldBlock when the send buffer is full.
func directWrite(raw syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := raw.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), b)
			if werr != syscall.EINTR {
				return true
			}
		}
	})
	if n < 0 {
		n = 0
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, errWouldBlock // a deadline left by a slow-client close: let the writer decide
	case err != nil:
		return n, err
	case werr == syscall.EAGAIN:
		return n, errWouldBlock
	case werr != nil:
		return n, werr
	case n < len(b):
		return n, errWouldBlock
	}
	return n, nil
}
