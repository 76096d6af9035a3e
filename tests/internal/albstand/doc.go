// Package albstand is a stand-in for an Application Load Balancer, for the deploy
// rehearsal: it routes by listener rules (priority order, path patterns with * and ?),
// answers with the listener's default fixed response, turns requests for Lambda target
// groups into ALB events (multi-value headers on or off, as the target group says) and
// their answers back into HTTP responses, and reverse-proxies requests for IP target
// groups (WebSockets included) to registered targets, which it health-checks with the
// target group's settings (path, interval, timeout, thresholds, matcher; times may be
// scaled down) and drains on deregistration (no new requests; connections end or are cut
// at the end of the deregistration delay).
//
// It is written from the ALB's documented behaviour, independently of Herald's code.
package albstand
