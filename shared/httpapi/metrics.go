package httpapi

import (
	"time"

	"github.com/heraldrt/herald/shared/bus"
)

// RESTMetrics receives the REST API's counts; shared/metrics implements it
// with Prometheus.
type RESTMetrics interface {
	// Request counts one answered request of route (a Route's Name) with
	// its status and how long it took.
	Request(route, method string, status int, elapsed time.Duration)
	// Published counts one envelope handed to the bus, how long the bus
	// took and its error (nil when it took the envelope).
	Published(e *bus.Envelope, elapsed time.Duration, err error)
}

type noMetrics struct{}

func (noMetrics) Request(string, string, int, time.Duration)    {}
func (noMetrics) Published(*bus.Envelope, time.Duration, error) {}
