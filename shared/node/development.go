package node

import "github.com/heraldrt/herald/shared/httpapi"

// DevAccessKey is the Azure SignalR emulator's well-known AccessKey, the
// key of Development. Never use it outside local development.
const DevAccessKey = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH"

// DevAddr is the listen address of Development: the Azure SignalR
// emulator's port on the loopback addresses.
const DevAddr = "localhost:8888"

// Development returns cfg with the local emulator's defaults in its zero
// fields: listen on DevAddr, sign with DevAccessKey, answer CORS calls of
// web apps on localhost (httpapi.LocalhostCORS), and Emulator set. The
// local/ binary and the tests build their nodes with it; a production
// node (gateway/) never does.
func Development(cfg Config) Config {
	if cfg.Addr == "" {
		cfg.Addr = DevAddr
	}
	if len(cfg.AccessKeys) == 0 {
		cfg.AccessKeys = []string{DevAccessKey}
	}
	if cfg.CORS == nil {
		local := httpapi.LocalhostCORS()
		cfg.CORS = &local
	}
	cfg.Emulator = true
	return cfg
}
