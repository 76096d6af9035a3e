// Package lambdahttp runs an http.Handler as an AWS Lambda function: it
// turns a Lambda event into an *http.Request, serves it with the handler
// into an in-memory response, and turns that response into the event's
// answer. The handlers are the ones the local emulator serves, so a Lambda
// answers exactly what `go run ./local` answers.
//
// Two event sources are understood, told apart by their shape:
//
//   - Application Load Balancer target groups (requestContext.elb). Herald's
//     AWS topology puts the functions and the gateway behind one ALB, so
//     /client (WebSockets, to the gateway) and /api (the functions) share
//     one endpoint. Enable multi-value headers on the target group
//     (lambda.multi_value_headers.enabled): repeated headers and query
//     parameters then arrive intact and the answer is given in the same
//     form. The ALB passes the path and the query string as the client
//     sent them (still percent-encoded), which the request keeps.
//   - API Gateway HTTP APIs and Lambda function URLs (payload format 2.0,
//     "version": "2.0"). A stage other than $default is removed from the
//     front of the path. HTTP APIs hand over the path percent-decoded; it
//     is re-encoded (an escaped "/" inside a segment cannot survive that
//     service), while function URLs keep it encoded. Cookies are joined
//     back into one Cookie header; Set-Cookie answers go to "cookies".
//
// Request bodies flagged isBase64Encoded are decoded; response bodies that
// are not UTF-8 text are sent base64-encoded.
package lambdahttp
