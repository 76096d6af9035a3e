// Package browser drives headless Chromium from Go tests: it runs
// tests/js/browser.mjs (playwright-core) under node, sends it one command at
// a time and collects what the page logs. Chromium is Debian's `chromium`
// package: the binary named by HERALD_CHROMIUM, else chromium on PATH, else
// /usr/bin/chromium. When it or the npm packages are missing the test fails
// with an install hint; it is never skipped.
package browser
