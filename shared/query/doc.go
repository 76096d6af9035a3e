// Package query parses URL query strings strictly. net/url's
// URL.Query drops every pair it cannot decode without a word, so a
// malformed value (ttl=%zz, excluded=%zz, reason=%zz) silently turns into
// an absent one: a membership with no expiry, a close that excludes
// nobody, a close without its reason. Parse reports such a pair instead,
// naming the parameter, so every route can answer 400.
package query
