package jsclient

import (
	"fmt"
	"strings"
)

// Line is one release line of an official SignalR JavaScript client that the
// compatibility matrix runs: the newest patch of the line and the MessagePack
// protocol package of the same line, both pinned in tests/js/package.json
// (older lines under npm aliases, see [Client]).
type Line struct {
	// Name is the line, e.g. "3.1"; it names the matrix's subtests and the
	// rows of docs/compat/clients.md.
	Name string
	// Client selects the line's packages in the driver.
	Client Client
	// Package and Version are the client package and its pinned version.
	Package, Version string
	// MsgpackPackage and MsgpackVersion are the MessagePack hub protocol
	// package and its pinned version (the newest of the line; it may trail
	// the client's patch).
	MsgpackPackage, MsgpackVersion string
	// NegotiateVersion is the negotiate version the client asks for.
	NegotiateVersion int
}

// Combo is one transport and hub protocol a client uses.
type Combo struct {
	Transport Transport
	Protocol  Protocol
}

// String names the combination, e.g. "WebSockets-json".
func (c Combo) String() string { return fmt.Sprintf("%s-%s", c.Transport, c.Protocol) }

// Combos lists every transport × hub protocol pair the line supports. Every
// line has all three transports; Server-Sent Events carry text only, so
// MessagePack runs over WebSockets and Long Polling.
func (l Line) Combos() []Combo {
	return []Combo{
		{WebSockets, JSON},
		{WebSockets, MessagePack},
		{ServerSentEvents, JSON},
		{LongPolling, JSON},
		{LongPolling, MessagePack},
	}
}

// Refused lists the combinations the line's client refuses by itself,
// before it opens a transport: MessagePack over Server-Sent Events.
func (l Line) Refused() []Combo {
	return []Combo{{ServerSentEvents, MessagePack}}
}

// Aliased client lines installed in tests/js; see [Lines].
const (
	MicrosoftSignalR31 Client = "microsoft-signalr-3.1"
	MicrosoftSignalR50 Client = "microsoft-signalr-5.0"
	MicrosoftSignalR60 Client = "microsoft-signalr-6.0"
	MicrosoftSignalR70 Client = "microsoft-signalr-7.0"
	MicrosoftSignalR80 Client = "microsoft-signalr-8.0"
	MicrosoftSignalR90 Client = "microsoft-signalr-9.0"
)

const (
	aspnetPkg         = "@aspnet/signalr"
	aspnetMsgpackPkg  = "@aspnet/signalr-protocol-msgpack"
	currentPkg        = "@microsoft/signalr"
	currentMsgpackPkg = "@microsoft/signalr-protocol-msgpack"
)

// Lines is the compatibility matrix, oldest first: @aspnet/signalr 1.1
// (negotiate version 0) and the newest patch of every @microsoft/signalr
// line from 3.1 to the current one. tests/js/package.json must pin exactly
// these versions (TestLinesPinned) and docs/compat/clients.md must list them
// (the tests package checks it).
var Lines = []Line{
	{"1.1", AspNetSignalR1, aspnetPkg, "1.1.4", aspnetMsgpackPkg, "1.1.0", 0},
	{"3.1", MicrosoftSignalR31, currentPkg, "3.1.31", currentMsgpackPkg, "3.1.14", 1},
	{"5.0", MicrosoftSignalR50, currentPkg, "5.0.17", currentMsgpackPkg, "5.0.17", 1},
	{"6.0", MicrosoftSignalR60, currentPkg, "6.0.25", currentMsgpackPkg, "6.0.25", 1},
	{"7.0", MicrosoftSignalR70, currentPkg, "7.0.14", currentMsgpackPkg, "7.0.14", 1},
	{"8.0", MicrosoftSignalR80, currentPkg, "8.0.29", currentMsgpackPkg, "8.0.29", 1},
	{"9.0", MicrosoftSignalR90, currentPkg, "9.0.19", currentMsgpackPkg, "9.0.6", 1},
	{"10.0", Current, currentPkg, "10.0.11", currentMsgpackPkg, "10.0.11", 1},
}

// npmNames returns the names under which the client and its MessagePack
// protocol are installed in tests/js/node_modules: the package names for
// [Current], else the alias and the alias with "signalr-" replaced by
// "signalr-protocol-msgpack-" (the rule driver.mjs applies too).
func (c Client) npmNames() (client, msgpack string) {
	if c == Current {
		return currentPkg, currentMsgpackPkg
	}
	return string(c), strings.Replace(string(c), "signalr-", "signalr-protocol-msgpack-", 1)
}
