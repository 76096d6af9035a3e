package samples

import (
	"embed"
	"net/http"
	"os"
	"path/filepath"
)

// Prefix is the path Handler serves under.
const Prefix = "/samples/"

// DefaultSignalRScript is where the pinned @microsoft/signalr browser
// bundle lies once the end-to-end test dependencies are installed (make
// js-deps), relative to the repository root.
var DefaultSignalRScript = filepath.Join("tests", "js", "node_modules", "@microsoft", "signalr", "dist", "browser", "signalr.min.js")

//go:embed chat/index.html chat/chat.js chat/chat.css
var files embed.FS

// Config configures Handler.
type Config struct {
	// SignalRScript is the file served as /samples/chat/signalr.js: the
	// browser bundle of @microsoft/signalr. Default "": that URL answers
	// 404 and the page loads the bundle from jsDelivr instead.
	SignalRScript string
}

// Handler serves the samples under Prefix: Prefix+"chat/" is the chat
// page. Files are served with Cache-Control: no-cache, so an edited page
// or bundle shows at once.
func Handler(cfg Config) http.Handler {
	static := http.FileServerFS(files)
	mux := http.NewServeMux()
	mux.HandleFunc(Prefix+"chat/signalr.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		if cfg.SignalRScript == "" {
			http.Error(w, "no local @microsoft/signalr bundle is configured", http.StatusNotFound)
			return
		}
		f, err := os.Open(cfg.SignalRScript)
		if err != nil {
			http.Error(w, "the @microsoft/signalr bundle is not readable", http.StatusNotFound)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || st.IsDir() {
			http.Error(w, "the @microsoft/signalr bundle is not a file", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeContent(w, r, "signalr.js", st.ModTime(), f)
	})
	mux.Handle(Prefix, http.StripPrefix(Prefix[:len(Prefix)-1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		static.ServeHTTP(w, r)
	})))
	return mux
}
