package insights_test

import (
	"strings"
	"testing"

	"github.com/heraldrt/herald/tests/internal/insights"
)

const log = `{"time":"2026-01-01T00:00:01.000Z","operationName":"ConnectionStarted","connectionId":"a","userId":"u1"}
{"time":"2026-01-01T00:00:02.000Z","operationName":"ConnectionStarted","connectionId":"b","userId":"u1"}
{"time":"2026-01-01T00:00:03.000Z","operationName":"ConnectionStarted","connectionId":"c","userId":"u2"}

{"time":"2026-01-01T00:00:04.000Z","operationName":"ConnectionAborted","connectionId":"a","message":"Connection aborted. Reason: kicked","status":500}
`

func run(t *testing.T, q string) []insights.Row {
	t.Helper()
	recs, err := insights.Parse(log)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := insights.Run(q, recs)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return rows
}

func TestFilterFieldsSortLimit(t *testing.T) {
	rows := run(t, `fields @timestamp, operationName # a comment | with a bar
		| filter connectionId = "a" and message like /Reason: k.*d/
		| sort @timestamp desc | limit 5`)
	if len(rows) != 1 || rows[0]["operationName"] != "ConnectionAborted" || rows[0]["connectionId"] != nil {
		t.Fatalf("rows %v", rows)
	}
	rows = run(t, `filter operationName like "Started" and userId != "u2" | sort @timestamp desc | limit 1`)
	if len(rows) != 1 || rows[0]["connectionId"] != "b" {
		t.Fatalf("rows %v", rows)
	}
	if rows := run(t, `filter status = 500`); len(rows) != 1 {
		t.Fatalf("numeric filter: %v", rows)
	}
}

func TestStats(t *testing.T) {
	rows := run(t, `filter operationName = "ConnectionStarted"
		| stats count(*) as connections, count_distinct(connectionId) as ids by userId
		| sort connections desc`)
	if len(rows) != 2 || rows[0]["userId"] != "u1" || rows[0]["connections"] != 2.0 || rows[0]["ids"] != 2.0 || rows[1]["connections"] != 1.0 {
		t.Fatalf("rows %v", rows)
	}
}

// A field no record has fails the query, wherever it is named.
func TestUnknownFieldFails(t *testing.T) {
	recs, _ := insights.Parse(log)
	for _, q := range []string{
		`fields connectionID`,
		`filter hub = "chat"`,
		`stats count(*) by user`,
		`stats count_distinct(conn) as n`,
		`sort nope desc`,
		`bogus x`,
		`filter userId ~ "x"`,
	} {
		if _, err := insights.Run(q, recs); err == nil {
			t.Errorf("%s: accepted", q)
		} else if !strings.Contains(err.Error(), "insights:") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
