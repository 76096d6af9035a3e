package lambdahttp

// event is the union of the fields Herald reads from the two event
// sources: an ALB target-group request and an HTTP API (payload 2.0) or
// function URL request.
type event struct {
	// Version is "2.0" for payload format 2.0; absent from ALB events.
	Version string `json:"version"`

	// ALB events.
	HTTPMethod        string              `json:"httpMethod"`
	Path              string              `json:"path"`
	Query             map[string]string   `json:"queryStringParameters"`
	MultiValueQuery   map[string][]string `json:"multiValueQueryStringParameters"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Headers           map[string]string   `json:"headers"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
	RequestContext    requestContext      `json:"requestContext"`

	// Payload 2.0 events.
	RawPath        string   `json:"rawPath"`
	RawQueryString string   `json:"rawQueryString"`
	Cookies        []string `json:"cookies"`
}

type requestContext struct {
	ELB *struct {
		TargetGroupArn string `json:"targetGroupArn"`
	} `json:"elb"`
	HTTP *struct {
		Method   string `json:"method"`
		Path     string `json:"path"`
		SourceIP string `json:"sourceIp"`
	} `json:"http"`
	Stage      string `json:"stage"`
	DomainName string `json:"domainName"`
	RequestID  string `json:"requestId"`
}

// ALBResponse is the answer to an ALB event. Exactly one of Headers and
// MultiValueHeaders is set: the form the request came in. Exported for
// tests that decode a function's answer.
type ALBResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// V2Response is the answer to an HTTP API or function URL event (payload
// 2.0). Exported for tests that decode a function's answer.
type V2Response struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers,omitempty"`
	Cookies         []string          `json:"cookies,omitempty"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}
