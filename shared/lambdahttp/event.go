package lambdahttp

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// event is a decoded invocation: an ALB target-group request or an HTTP API
// (payload 2.0) or function URL request, in aws-lambda-go's types. src says
// which one is set; it is 0 for a payload that is neither.
type event struct {
	src source
	alb *events.ALBTargetGroupRequest
	v2  *events.APIGatewayV2HTTPRequest
}

// probe is the part of a payload that tells its event source: an ALB event
// has requestContext.elb, a payload 2.0 event version "2.0" and
// requestContext.http.
type probe struct {
	Version        string `json:"version"`
	RequestContext struct {
		ELB  *struct{} `json:"elb"`
		HTTP *struct{} `json:"http"`
	} `json:"requestContext"`
}

// decodeEvent decodes payload as the event source it names. A payload that
// is not JSON, or names a source whose fields do not decode, is an error
// wrapping ErrEvent; one that names no source has src 0.
func decodeEvent(payload []byte) (event, error) {
	var p probe
	if err := json.Unmarshal(payload, &p); err != nil {
		return event{}, fmt.Errorf("%w: %w", ErrEvent, err)
	}
	var ev event
	var err error
	switch {
	case p.RequestContext.ELB != nil:
		ev.src, ev.alb = fromALB, new(events.ALBTargetGroupRequest)
		err = json.Unmarshal(payload, ev.alb)
	case p.Version == "2.0" && p.RequestContext.HTTP != nil:
		ev.src, ev.v2 = fromV2, new(events.APIGatewayV2HTTPRequest)
		err = json.Unmarshal(payload, ev.v2)
	}
	if err != nil {
		return event{}, fmt.Errorf("%w: %w", ErrEvent, err)
	}
	return ev, nil
}

// ALBResponse is the answer to an ALB event. Exactly one of Headers and
// MultiValueHeaders is set: the form the request came in. Exported for
// tests that decode a function's answer.
type ALBResponse = events.ALBTargetGroupResponse

// V2Response is the answer to an HTTP API or function URL event (payload
// 2.0). Exported for tests that decode a function's answer.
type V2Response = events.APIGatewayV2HTTPResponse
