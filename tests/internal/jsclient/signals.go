package jsclient

import (
	"fmt"
	"syscall"
)

// StopTransport stops the HttpConnection under connection name without the
// hub Close message, as clients before 8.0 stop: a WebSocket close frame,
// the EventSource closed, a Long Polling DELETE. A stopped event follows,
// and a closed event.
func (d *Driver) StopTransport(name string) error {
	return d.write(map[string]string{"cmd": "stopTransport", "name": name})
}

// SendClose sends a hub Close message through connection name's transport
// (the first half of stop()) and leaves the transport open; a sent event
// follows.
func (d *Driver) SendClose(name string) error {
	return d.write(map[string]string{"cmd": "sendClose", "name": name})
}

// Kill ends the node process at once (SIGKILL): every connection of the
// driver loses its sockets without a close, as when a client's machine or
// network goes away. Close then expects the process to be gone.
func (d *Driver) Kill() error {
	d.signalled.Store(true)
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("jsclient: kill node: %w", err)
	}
	return nil
}

// Freeze stops the node process (SIGSTOP): its connections stay open but
// send and read nothing, like a frozen browser tab. Thaw (or Close)
// resumes it.
func (d *Driver) Freeze() error {
	d.frozen.Store(true)
	if err := d.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("jsclient: stop node: %w", err)
	}
	return nil
}

// Thaw resumes a process stopped by Freeze (SIGCONT).
func (d *Driver) Thaw() error {
	d.frozen.Store(false)
	if err := d.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("jsclient: resume node: %w", err)
	}
	return nil
}
