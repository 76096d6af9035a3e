package tests

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestDocsLinks keeps every citation of the design notes valid: a
// "docs/<file>.md#<heading>" in a Go comment or a Markdown file, and every
// relative Markdown link to a .md file or a heading, must name a file that
// exists and, with an anchor, a heading of that file. Code comments cite
// only documents in the repository: never the protocol spec outside it, a
// section of it, or an issue number.
func TestDocsLinks(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	problems, checked, err := checkDocLinks(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked %d citations and links", checked)
	for _, p := range problems {
		t.Error(p)
	}
	// The docs cite each other and the code cites them: a scan that
	// finds almost nothing has lost its way (wrong root, changed pattern).
	if checked < 50 {
		t.Errorf("checked only %d citations under %s; want the repository's docs and code", checked, root)
	}
}

// TestDocsLinkChecker runs the checker on a small tree with one good and
// several broken citations, so TestDocsLinks cannot pass by finding nothing.
func TestDocsLinkChecker(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/a.md", "# A\n\n## Good heading, with `code`\n\n```\n## not a heading\n```\n\n[b](b.md#x) [self](#good-heading-with-code) [gone](#nope)\n")
	write("docs/b.md", "# B\n\n## X\n\n## X\n")
	write("x/x.go", "package x\n\n"+
		"// One docs/a.md#good-heading-with-code, docs/b.md#x-1, docs/a.md.\n"+
		"// Two docs/a.md#not-a-heading and docs/missing.md.\n"+
		"// Three "+"azure-signalr-"+"protocol.md, spec "+"§"+"4, see "+"issue "+"3.\n"+
		"// https://example.com/src/docs/other.md is not a citation.\n"+
		"var s = \"docs/b.md#x\"\n")
	problems, checked, err := checkDocLinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"docs/a.md: link #nope: no such heading",
		"x/x.go:4: docs/a.md#not-a-heading: no such heading",
		"x/x.go:4: docs/missing.md: no such file",
		"x/x.go:5: cites a document outside the repository (" + "azure-signalr-" + "protocol.md)",
		"x/x.go:5: cites a section of the spec (spec " + "§)",
		"x/x.go:5: cites an issue number (" + "issue " + "3)",
	}
	slices.Sort(problems)
	if !slices.Equal(problems, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
	if checked != 8 {
		t.Errorf("checked %d citations, want 8", checked)
	}
}

var (
	// docCitation is a repository-relative citation of a design note,
	// not preceded by a path character (so ".../src/docs/x.md" in a URL
	// does not count).
	docCitation = regexp.MustCompile(`(?:^|[^\w./-])(docs/[\w./-]*?\.md)(#[\w-]+)?`)
	// mdLink is the target of an inline Markdown link.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// forbidden are the ways a Go comment cites what is not in the
	// repository. The strings are split so this file does not match them.
	forbidden = []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(`azure-signalr-` + `protocol\.md`), "cites a document outside the repository (" + "azure-signalr-" + "protocol.md)"},
		{regexp.MustCompile(`\bspec ` + `§`), "cites a section of the spec (spec " + "§)"},
		{regexp.MustCompile(`(?i)\bissue ` + `\d+`), ""},
	}
)

// checkDocLinks checks every .go and .md file under root (skipping
// node_modules and hidden directories). It returns the problems found, as
// "path[:line]: what", and how many citations and links it checked.
func checkDocLinks(root string) (problems []string, checked int, err error) {
	headings := map[string]map[string]bool{} // slash path from root → anchors
	anchorsOf := func(rel string) (map[string]bool, bool) {
		if a, ok := headings[rel]; ok {
			return a, a != nil
		}
		a, err := markdownAnchors(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			a = nil
		}
		headings[rel] = a
		return a, a != nil
	}
	// check resolves target (a slash path from root, with an optional
	// "#anchor") and reports what is wrong with it.
	check := func(where, shown, target, anchor string) {
		checked++
		anchors, ok := anchorsOf(target)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: %s: no such file", where, shown))
		case anchor != "" && !anchors[anchor]:
			problems = append(problems, fmt.Sprintf("%s: %s: no such heading", where, shown))
		}
	}

	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch filepath.Ext(name) {
		case ".go":
			return checkGoFile(path, rel, check, func(p string) { problems = append(problems, p) })
		case ".md":
			return checkMarkdownFile(path, rel, check)
		}
		return nil
	})
	return problems, checked, err
}

// checkGoFile checks the docs citations in the comments of a Go file, and
// that its comments cite nothing outside the repository. String literals
// are not citations.
func checkGoFile(path, rel string, check func(where, shown, target, anchor string), report func(string)) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			for k, line := range strings.Split(c.Text, "\n") {
				where := fmt.Sprintf("%s:%d", rel, fset.Position(c.Pos()).Line+k)
				for _, m := range docCitation.FindAllStringSubmatch(line, -1) {
					check(where, m[1]+m[2], m[1], strings.TrimPrefix(m[2], "#"))
				}
				for _, fb := range forbidden {
					m := fb.re.FindString(line)
					if m == "" {
						continue
					}
					what := fb.what
					if what == "" {
						what = "cites an issue number (" + m + ")"
					}
					report(where + ": " + what)
				}
			}
		}
	}
	return nil
}

// checkMarkdownFile checks the relative links of a Markdown file to .md
// files and headings (from the file's directory) and, outside docs/, its
// docs citations (from the repository root). The notes under docs/ link to
// each other; their plain "docs/..." paths name files of other
// repositories in their Sources sections.
func checkMarkdownFile(path, rel string, check func(where, shown, target, anchor string)) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(src)
	if !strings.HasPrefix(rel, "docs/") {
		for _, m := range docCitation.FindAllStringSubmatch(text, -1) {
			check(rel, m[1]+m[2], m[1], strings.TrimPrefix(m[2], "#"))
		}
	}
	dir := filepath.ToSlash(filepath.Dir(rel))
	for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		file, anchor, _ := strings.Cut(target, "#")
		switch {
		case file == "":
			check(rel, "link "+target, rel, anchor)
		case strings.HasSuffix(file, ".md"):
			check(rel, "link "+target, filepath.ToSlash(filepath.Join(dir, file)), anchor)
		}
	}
	return nil
}

// markdownAnchors returns the anchors GitHub gives the headings of a
// Markdown file: the heading text in lower case, without characters other
// than letters, digits, spaces, '-' and '_', spaces turned into '-', and
// "-1", "-2", ... added to repeats. Lines in fenced code blocks are not
// headings.
func markdownAnchors(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	anchors := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimLeft(line, "#")
		if len(text) == len(line) || len(line)-len(text) > 6 || (text != "" && text[0] != ' ') {
			continue
		}
		slug := slugify(strings.TrimSpace(text))
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors, sc.Err()
}

func slugify(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
