// Package functions builds the handlers of Herald's stateless functions:
// the app-facing negotiate endpoint (/api/negotiate) and the data-plane
// REST API (the rest of /api). The Lambda functions (shared/lambdafn) and
// a node in the functions or all role (shared/node) serve these same
// handlers. It links neither the gateway nor the metrics registry, so a
// Lambda function built on it carries only what it serves.
package functions
