package gateway

import (
	"container/list"
	"sync"
)

// maxOwners bounds the owners a node remembers (about 100 bytes each).
const maxOwners = 1 << 16

// owners remembers, for the connections whose requests this node
// forwarded, the node that holds them. forward consults it when the bus
// cannot answer, or says the connection does not exist, because Redis is
// unreachable or lost its state (restarted empty) and the owner has not
// registered its connections again yet: the requests of a Long Polling
// or Server-Sent Events connection behind a load balancer without sticky
// sessions keep reaching their owner, instead of failing with 503 (the
// client gives up) or, worse, opening a second connection with the same
// id on this node (the client then polls a connection that never
// completed a handshake and receives nothing). The owner answers 404 for
// a connection it no longer holds, as for any forwarded request.
// It keeps the most recently used maxOwners entries.
type owners struct {
	mu    sync.Mutex
	byKey map[ownerKey]*list.Element
	order list.List // of *ownerEntry, most recently used first
}

type ownerKey struct{ hub, id string }

type ownerEntry struct {
	key  ownerKey
	addr string
}

// remember records that addr holds connection hub/id.
func (o *owners) remember(hub, id, addr string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byKey == nil {
		o.byKey = make(map[ownerKey]*list.Element)
	}
	k := ownerKey{hub, id}
	if e := o.byKey[k]; e != nil {
		e.Value.(*ownerEntry).addr = addr
		o.order.MoveToFront(e)
		return
	}
	o.byKey[k] = o.order.PushFront(&ownerEntry{key: k, addr: addr})
	if o.order.Len() > maxOwners {
		last := o.order.Back()
		o.order.Remove(last)
		delete(o.byKey, last.Value.(*ownerEntry).key)
	}
}

// lookup returns the remembered owner of hub/id, or "".
func (o *owners) lookup(hub, id string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if e := o.byKey[ownerKey{hub, id}]; e != nil {
		o.order.MoveToFront(e)
		return e.Value.(*ownerEntry).addr
	}
	return ""
}
