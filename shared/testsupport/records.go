package testsupport

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
)

// Records parses what was written as JSON log lines (slog's JSON handler)
// and returns those whose "msg" is msg, or every record when msg is "".
// A line that is not a JSON object is an error naming it.
func (b *Buffer) Records(msg string) ([]map[string]any, error) {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			return nil, fmt.Errorf("log line %q: %w", sc.Text(), err)
		}
		if msg == "" || m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}
