package config

import (
	"fmt"
	"reflect"
	"strings"
)

// Markdown is the settings section of docs/configuration.md: how the
// sources combine and the tables rendered from the options types' tags
// (go test ./shared/config -run TestConfigurationDoc -update rewrites it
// between the file's BEGIN and END settings markers).
func Markdown() string {
	var b strings.Builder
	b.WriteString(markdownIntro)
	b.WriteString("\n### Nodes: `gateway/` and `local/`\n\n")
	b.WriteString("The production gateway binary takes the Production defaults; `local/` (`make run`, the local emulator) the\n")
	b.WriteString("Development ones where they differ. Both are one binary family (`config.Node`, assembled by `shared/node`).\n\n")
	table(&b, reflect.TypeOf(Node{}), true)
	b.WriteString("\n### Lambda functions: `functions/`\n\n")
	b.WriteString("`functions/negotiate`, `functions/api` and `functions/chathub` (`config.Functions`, wired by `shared/lambdafn`).\n")
	b.WriteString("In Lambda they take variables only; `functions/chathub` outside Lambda takes flags too.\n\n")
	table(&b, reflect.TypeOf(Functions{}), false)
	return b.String()
}

const markdownIntro = `## Settings

Every binary reads its settings the same way, from four sources, each
overriding the ones before it:

1. the defaults below (the local emulator, ` + "`local/`" + `, has development defaults);
2. an options file, when ` + "`--options-file`" + ` or ` + "`HERALD_OPTIONS_FILE`" + ` names one: a JSON object
   of settings by flag name (or variable name), e.g.
   ` + "`{\"max-user-connections\": 5, \"cors-origins\": [\"https://app.example.com\"]}`" + `;
   an unknown key is an error naming the closest setting;
3. environment variables (an empty variable counts as unset);
4. command-line flags.

The result is validated once, at start-up: a value that does not parse, or
settings that contradict each other, stop the binary with an error naming
the variable and the flag. A ` + "`HERALD_*`" + ` variable that the binary does not
read (a typo, or a setting of another binary) is logged as a warning at
start-up naming the closest setting it does read; it does not stop the
binary, since a deployment may set one environment for several binaries.

Lists are comma-separated (in a file, also a JSON array of strings);
durations are Go durations (` + "`15s`, `1h`" + `); booleans ` + "`true`/`false`" + `. A flag's other
names (after the first) are kept for compatibility. ` + "`local --config`" + ` still
names the upstream settings file (` + "`--upstream-settings`" + `), not an options file.
`

// table writes the table of the options type t.
func table(b *strings.Builder, t reflect.Type, dev bool) {
	if dev {
		b.WriteString("| Variable | Flag | Default | `local` default | Meaning |\n|---|---|---|---|---|\n")
	} else {
		b.WriteString("| Variable | Flag | Default | Meaning |\n|---|---|---|---|\n")
	}
	for _, f := range fieldsOf(t) {
		env := "—"
		if f.env != "" {
			env = "`" + f.env + "`"
		}
		var flags []string
		for _, n := range f.flags {
			flags = append(flags, "`--"+n+"`")
		}
		flag := "—"
		if len(flags) > 0 {
			flag = strings.Join(flags, ", ")
		}
		def := docDefault(f.doc, f.def)
		if dev {
			devDef := "same"
			switch {
			case f.devdoc != "":
				devDef = f.devdoc
			case f.dev == "-":
				devDef = "none"
			case f.dev != "":
				devDef = "`" + f.dev + "`"
			}
			if f.secret && f.dev != "" && f.devdoc == "" {
				devDef = "set"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", env, flag, def, cell(devDef), cell(f.usage))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", env, flag, def, cell(f.usage))
	}
}

func docDefault(doc, def string) string {
	switch {
	case doc != "":
		return cell(doc)
	case def == "":
		return "none"
	}
	return "`" + def + "`"
}

// cell escapes a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
