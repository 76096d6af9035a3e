// Package emulator runs a whole Herald in one process: the app negotiate
// endpoint, the data-plane REST API and a gateway, on one listener, over a
// bus (an in-memory bus unless one is given). The local/ binary and the
// end-to-end tests both use it, so what is tested is what developers run.
package emulator
