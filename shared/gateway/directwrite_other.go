//go:build !unix

package gateway

import (
	"errors"
	"syscall"
)

const directWriteSupported = false

var errWouldBlock = errors.New("write would block")

func directWrite(syscall.RawConn, []byte) (int, error) { return 0, errWouldBlock }
