package upstream

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"
)

// DefaultWatchInterval is the polling interval of WatchFile when none is
// given: one second.
const DefaultWatchInterval = time.Second

// WatchFile loads the settings file at path (ParseSettingsFile) and reloads
// it whenever its modification time or size changes, polling every interval
// (DefaultWatchInterval when interval <= 0); no file-system notification
// library is needed, and it works on every file system. A change is loaded
// once the file has stayed the same for one interval, so a file being
// rewritten in place (truncated, then written) is not read half-written;
// a reload therefore lands one to two intervals after the change.
//
// onChange receives the first load before WatchFile returns, then every
// reload, from one goroutine at a time. On an error (the file is missing,
// unreadable or invalid) it receives the error and zero Settings; callers
// usually keep the settings they have, log the error, and wait for the next
// change. A file that disappears is reported once, and loaded again when it
// comes back.
//
// The polling goroutine runs until ctx is done or stop is called. stop
// cancels it and waits for it to return (and so for any onChange call in
// progress); it is safe to call more than once. Callers must call stop, even
// after cancelling ctx, to wait for the goroutine:
//
//	stop := upstream.WatchFile(ctx, "settings.json", 0, func(s upstream.Settings, err error) { ... })
//	defer stop()
func WatchFile(ctx context.Context, path string, interval time.Duration, onChange func(Settings, error)) (stop func()) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher{path: path, onChange: onChange}
	w.check(true)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				w.check(false)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			wg.Wait()
		})
	}
}

// fileState is what WatchFile compares between polls.
type fileState struct {
	exists  bool
	modTime time.Time
	size    int64
}

type watcher struct {
	path     string
	onChange func(Settings, error)
	last     fileState // the state last loaded (or reported)
	pending  fileState // a changed state seen by the previous poll
	changing bool      // pending holds a change not yet loaded
}

// check stats the file and reloads it when its state changed and then held
// for one poll (or always, when first is set).
func (w *watcher) check(first bool) {
	var st fileState
	fi, statErr := os.Stat(w.path)
	if statErr == nil {
		st = fileState{exists: true, modTime: fi.ModTime(), size: fi.Size()}
	}
	if !first {
		if st == w.last {
			w.changing = false
			return
		}
		if !w.changing || st != w.pending {
			// Changed since the last poll: wait until it holds still.
			w.pending, w.changing = st, true
			return
		}
	}
	w.last, w.changing = st, false
	if statErr != nil {
		w.onChange(Settings{}, fmt.Errorf("upstream settings: %w", statErr))
		return
	}
	data, err := os.ReadFile(w.path)
	if err != nil {
		w.onChange(Settings{}, fmt.Errorf("upstream settings: %w", err))
		return
	}
	s, err := ParseSettingsFile(data)
	if err != nil {
		w.onChange(Settings{}, fmt.Errorf("upstream settings %s: %w", w.path, err))
		return
	}
	w.onChange(s, nil)
}
