package helm

import (
	"regexp"
	"strconv"
	"strings"
)

// Error is a problem that stops a chart from rendering, placed where it is: a template at
// Helm's file and line, a values file, Chart.yaml (at a dependency's entry), charts/.
type Error struct {
	File   string // absolute path of the file at fault
	Line   int    // 1-based; 0 when the problem is the whole file
	Column int    // 1-based; 0 when unknown
	Msg    string // what was being done, or the whole message when Err is nil
	Err    error
}

func (e *Error) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
		if e.Column > 0 {
			loc += ":" + strconv.Itoa(e.Column)
		}
	}
	if e.Err == nil {
		return loc + ": " + e.Msg
	}
	return loc + ": " + e.Msg + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

var yamlLineRE = regexp.MustCompile(`(?:yaml: )?line (\d+)`)

// yamlErrorLine returns the line a YAML error message names, or 0.
func yamlErrorLine(msg string) int {
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// helmLocRE finds the location Helm gives its parse and execution errors, "error at
// (chart/templates/x.yaml:12:3)"; templateLocRE finds text/template's own, "template:
// chart/templates/x.yaml:12:3:", for errors Helm leaves as they are.
var (
	helmLocRE     = regexp.MustCompile(`error at \(([^:()\s]+):(\d+)(?::(\d+))?\)`)
	templateLocRE = regexp.MustCompile(`template: ([^:\s]+):(\d+)(?::(\d+))?:`)
)

// templateLocation returns the template location an error message names: Helm's, or else
// the innermost text/template names.
func templateLocation(msg string) (name string, line, col int, ok bool) {
	m := helmLocRE.FindStringSubmatch(msg)
	if m == nil {
		all := templateLocRE.FindAllStringSubmatch(msg, -1)
		if len(all) == 0 {
			return "", 0, 0, false
		}
		m = all[len(all)-1]
	}
	line, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		col, _ = strconv.Atoi(m[3])
	}
	return m[1], line, col, true
}

// cleanTemplateMessage drops text/template's nesting of "error calling include: template:
// ..." so the message says what went wrong; Helm's own markers around required and fail
// messages are removed too.
func cleanTemplateMessage(msg string) string {
	if i := strings.LastIndex(msg, "error calling "); i >= 0 {
		rest := msg[i+len("error calling "):]
		if j := strings.Index(rest, ": "); j >= 0 && !strings.HasPrefix(rest[j+2:], "template: ") {
			msg = rest[j+2:]
		}
	}
	if m := helmLocRE.FindStringIndex(msg); m != nil {
		msg = strings.TrimPrefix(msg[m[1]:], ":")
	}
	msg = strings.ReplaceAll(msg, "HELM_ERR_START", "")
	msg = strings.ReplaceAll(msg, "HELM_ERR_END", "")
	return strings.TrimSpace(msg)
}
