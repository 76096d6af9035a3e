package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/heraldrt/herald/shared/httpapi"
)

// listPage is the GroupMemberPagedValues body, with userId kept raw to
// tell absent from empty.
type listPage struct {
	Value []struct {
		ConnectionID string           `json:"connectionId"`
		UserID       *json.RawMessage `json:"userId"`
	} `json:"value"`
	NextLink *string `json:"nextLink"`
}

// fillGroup registers n connections of hub in group; every third one is
// anonymous, the others belong to u1 or u2. It returns id → user.
func fillGroup(f *fixture, hub, group string, n int) map[string]string {
	want := map[string]string{}
	for i := range n {
		id, user := fmt.Sprintf("c%04d", i), ""
		if i%3 != 0 {
			user = fmt.Sprint("u", i%3)
		}
		f.register(hub, id, user, group)
		want[id] = user
	}
	return want
}

// listAll follows nextLink from target and returns the pages.
func listAll(t *testing.T, f *fixture, target string) []listPage {
	t.Helper()
	var pages []listPage
	for len(pages) < 100 {
		w := f.do("GET", target, "")
		if w.Code != http.StatusOK {
			t.Fatalf("GET %s: status %d; body %s", target, w.Code, w.Body.String())
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q", ct)
		}
		var p listPage
		if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
			t.Fatalf("body %s: %v", w.Body.String(), err)
		}
		if p.Value == nil {
			t.Fatalf("body %s: value is not an array", w.Body.String())
		}
		pages = append(pages, p)
		if p.NextLink == nil {
			return pages
		}
		next, ok := strings.CutPrefix(*p.NextLink, baseURL)
		if !ok {
			t.Fatalf("nextLink %q is not an absolute URL of %s", *p.NextLink, baseURL)
		}
		target = next
	}
	t.Fatal("listing does not end")
	return nil
}

// members checks that pages list each connection once with its user
// (userId absent for anonymous ones) and returns id → user.
func members(t *testing.T, pages []listPage) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, p := range pages {
		for _, m := range p.Value {
			if _, dup := got[m.ConnectionID]; dup {
				t.Fatalf("%s listed twice", m.ConnectionID)
			}
			user := ""
			if m.UserID != nil {
				if err := json.Unmarshal(*m.UserID, &user); err != nil || user == "" {
					t.Fatalf("%s: userId %s; want a non-empty string or absent", m.ConnectionID, *m.UserID)
				}
			}
			got[m.ConnectionID] = user
		}
	}
	return got
}

func TestListGroupConnectionsPages(t *testing.T) {
	f := newFixture(t)
	want := fillGroup(f, "chat", "big", 450)
	f.register("chat", "other", "u1", "small")

	pages := listAll(t, f, "/api/hubs/Chat/groups/big/connections?maxpagesize=200&api-version=2024-12-01")
	if len(pages) != 3 || len(pages[0].Value) != 200 || len(pages[1].Value) != 200 || len(pages[2].Value) != 50 {
		t.Fatalf("%d pages, want 200+200+50", len(pages))
	}
	got := members(t, pages)
	if len(got) != len(want) {
		t.Fatalf("listed %d, want %d", len(got), len(want))
	}
	for id, user := range want {
		if u, ok := got[id]; !ok || u != user {
			t.Fatalf("%s: listed %v with user %q, want %q", id, ok, u, user)
		}
	}
	link, err := url.Parse(*pages[0].NextLink)
	if err != nil {
		t.Fatal(err)
	}
	q := link.Query()
	if link.Path != "/api/hubs/Chat/groups/big/connections" || q.Get("maxpagesize") != "200" ||
		q.Get("api-version") != "2024-12-01" || q.Get("continuationToken") == "" || q.Has("top") {
		t.Errorf("nextLink %q", *pages[0].NextLink)
	}
	if len(f.envelopes()) != 0 {
		t.Errorf("listing published %+v", f.envelopes())
	}

	// Default page size 200; api-version added to nextLink when absent,
	// access_token dropped from it.
	tok := sdkToken(t, "/api/hubs/chat/groups/big/connections")
	w := serve(f.h, "GET", "/api/hubs/chat/groups/big/connections?access_token="+tok, "")
	var p listPage
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &p) != nil || len(p.Value) != 200 || p.NextLink == nil {
		t.Fatalf("default page: status %d, body %.200s", w.Code, w.Body.String())
	}
	if strings.Contains(*p.NextLink, "access_token") || !strings.Contains(*p.NextLink, "api-version=2024-12-01") {
		t.Errorf("nextLink %q", *p.NextLink)
	}

	// A small group fits one page; an unknown group is an empty page.
	pages = listAll(t, f, "/api/hubs/chat/groups/small/connections?api-version=2024-12-01")
	if len(pages) != 1 || len(pages[0].Value) != 1 || pages[0].Value[0].ConnectionID != "other" {
		t.Errorf("small group: %+v", pages)
	}
	w = f.do("GET", "/api/hubs/chat/groups/nobody/connections?api-version=2024-12-01", "")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"value":[]}` {
		t.Errorf("unknown group: %d %s", w.Code, w.Body.String())
	}
}

func TestListGroupConnectionsTop(t *testing.T) {
	f := newFixture(t)
	fillGroup(f, "chat", "big", 450)
	for _, tc := range []struct {
		query string
		sizes []int
	}{
		{"maxpagesize=200&top=250", []int{200, 50}},
		{"top=100", []int{100}},
		{"maxpagesize=200&top=450", []int{200, 200, 50}},
		{"maxpagesize=200&top=1000", []int{200, 200, 50}},
		{"maxpagesize=7&top=20", []int{7, 7, 6}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			pages := listAll(t, f, "/api/hubs/chat/groups/big/connections?api-version=2024-12-01&"+tc.query)
			var sizes []int
			for _, p := range pages {
				sizes = append(sizes, len(p.Value))
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.sizes) {
				t.Fatalf("page sizes %v, want %v", sizes, tc.sizes)
			}
			members(t, pages) // no duplicates
			if len(pages) > 1 {
				q, _ := url.Parse(*pages[0].NextLink)
				total := 0
				for _, s := range tc.sizes {
					total += s
				}
				if top := q.Query().Get("top"); tc.query != "maxpagesize=200&top=1000" && top != fmt.Sprint(total-tc.sizes[0]) {
					t.Errorf("nextLink top %q, want what remains", top)
				}
			}
		})
	}
}

func TestListGroupConnectionsApplication(t *testing.T) {
	f := newFixture(t)
	fillGroup(f, "app_chat", "g", 3)
	fillGroup(f, "chat", "g", 5)
	pages := listAll(t, f, "/api/hubs/chat/groups/g/connections?application=App&maxpagesize=2&api-version=2024-12-01")
	if got := members(t, pages); len(got) != 3 {
		t.Fatalf("listed %v, want the 3 of app_chat", got)
	}
	if !strings.Contains(*pages[0].NextLink, "application=App") {
		t.Errorf("nextLink %q lost application", *pages[0].NextLink)
	}
}

func TestListGroupConnectionsErrors(t *testing.T) {
	f := newFixture(t)
	fillGroup(f, "chat", "g", 3)
	const path = "/api/hubs/chat/groups/g/connections?api-version=2024-12-01"
	for _, tc := range []struct{ query, target, msg string }{
		{"&maxpagesize=0", "maxpagesize", "from 1 to 200"},
		{"&maxpagesize=201", "maxpagesize", "from 1 to 200"},
		{"&maxpagesize=-1", "maxpagesize", "from 1 to 200"},
		{"&maxpagesize=ten", "maxpagesize", "from 1 to 200"},
		{"&top=0", "top", "1 or more"},
		{"&top=-3", "top", "1 or more"},
		{"&top=1.5", "top", "1 or more"},
		{"&continuationToken=!!bad!!", "continuationToken", "continuationToken"},
		{"&continuationToken=A", "continuationToken", "continuationToken"},
	} {
		w := f.do("GET", path+tc.query, "")
		wantError(t, w, http.StatusBadRequest, "Error.Request.Invalid", tc.msg)
		if e := decodeError(t, w); e.Target != tc.target {
			t.Errorf("%s: target %q, want %q", tc.query, e.Target, tc.target)
		}
	}
	wantError(t, f.do("GET", "/api/hubs/9chat/groups/g/connections", ""), http.StatusBadRequest, "Error.Request.Invalid", "hub")

	// Auth like every other route.
	wantError(t, serve(f.h, "GET", path, ""), http.StatusUnauthorized, "Error.Request.Unauthorized", "")
	other := issue(t, "ZZZZEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH", sdkAudience(t, path), nil, 0, nil)
	wantError(t, serve(f.h, "GET", path, "", bearerHdr(other)...), http.StatusUnauthorized, "Error.Request.Unauthorized", "")

	// 2024-12-01 only: no /api/v1 form.
	if w := f.do("GET", "/api/v1/hubs/chat/groups/g/connections", ""); w.Code != http.StatusNotFound {
		t.Errorf("/api/v1 form: status %d, want 404", w.Code)
	}
}

// noLister hides the bus's GroupLister.
type noLister struct{ httpapi.Bus }

func TestListGroupConnectionsNotImplemented(t *testing.T) {
	f := newFixture(t, func(c *httpapi.RESTConfig) { c.Bus = noLister{c.Bus} })
	wantError(t, f.do("GET", "/api/hubs/chat/groups/g/connections?api-version=2024-12-01", ""),
		http.StatusNotImplemented, "Error.Service.NotImplemented", "not supported")
}
