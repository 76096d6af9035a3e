// Package samples serves Herald's sample web pages, embedded in the binary.
//
// The chat sample (/samples/chat/) is a page of plain HTML and JavaScript,
// without a build step, that uses the browser bundle of the official
// @microsoft/signalr client: it negotiates through the app negotiate
// endpoint, shows every connection state, receives newMessage sends and
// invokes broadcast on the sample chat hub (shared/chathub). It follows the
// reconnect practice of the Azure SignalR guidance: withAutomaticReconnect
// for short outages and, when that gives up, a new start after a random
// delay. Its query parameters are documented at the top of chat/chat.js.
//
// The client bundle is third-party code and is not embedded: the page
// loads signalr.js from beside itself, which Handler serves from the file
// named in Config.SignalRScript (e.g. the installed npm package's
// dist/browser/signalr.min.js), and falls back to the pinned release on
// jsDelivr when that is not configured.
package samples
