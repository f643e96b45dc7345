package helm

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// Bounds of one render (SPEC.md section 2: bad input never hangs the process).
const (
	maxOutputBytes = 32 << 20 // what one render may write, all templates together
	maxCallDepth   = 200      // nested include and template calls
	maxListLen     = 1 << 20  // until, untilStep
	maxRepeatBytes = 1 << 20  // repeat
)

// errBound marks a render stopped by one of its bounds (deadline, output size, call depth):
// such a render is not repeated uninstrumented, as that could run unbounded.
var errBound = errors.New("render bound exceeded")

// boundError is a bound a render hit, with the template node that hit it.
type boundError struct {
	node int // -1 when unknown
	msg  string
}

func (e *boundError) Error() string { return e.msg }
func (e *boundError) Unwrap() error { return errBound }

// renderState is what the instrumentation's functions share during one render.
type renderState struct {
	ctx    context.Context
	budget int
	depth  int
	calls  []int // the open call sites, innermost last
	bound  *boundError
}

func (s *renderState) stop(node int, msg string) error {
	if s.bound == nil {
		s.bound = &boundError{node: node, msg: msg}
	}
	return s.bound
}

// markerFuncs are the functions the instrumented templates call.
func (s *renderState) markerFuncs() template.FuncMap {
	return template.FuncMap{
		fnStrip: stripMarkers,
		fnTick: func(size int) (string, error) {
			if err := s.ctx.Err(); err != nil {
				return "", s.stop(s.innermost(), fmt.Sprintf("rendering stopped: %v", err))
			}
			if s.budget -= size; s.budget < 0 {
				return "", s.stop(s.innermost(), fmt.Sprintf("rendered output is over the limit of %d MiB", maxOutputBytes>>20))
			}
			return "", nil
		},
		fnCall: func(id int) (string, error) {
			if s.depth++; s.depth > maxCallDepth {
				return "", s.stop(id, fmt.Sprintf("include and template calls nested deeper than %d: runaway recursion", maxCallDepth))
			}
			s.calls = append(s.calls, id)
			return marker('(', id), nil
		},
		fnRet: func() string {
			s.depth--
			if len(s.calls) > 0 {
				s.calls = s.calls[:len(s.calls)-1]
			}
			return string(markStart) + ")" + string(markEnd)
		},
	}
}

func (s *renderState) innermost() int {
	if len(s.calls) == 0 {
		return -1
	}
	return s.calls[len(s.calls)-1]
}

// standIns replace the functions whose results change from one render to the next (random
// text, keys, certificates, the clock) with deterministic ones, so that a re-render after a
// keystroke differs only where the text changed and no render pays for key generation;
// lookup finds nothing, as there is no cluster; list builders are bounded.
func standIns() template.FuncMap {
	fixed := func(alphabet string) func(int) string {
		return func(n int) string {
			if n <= 0 {
				return ""
			}
			n = min(n, maxRepeatBytes)
			var sb strings.Builder
			for i := range n {
				sb.WriteByte(alphabet[i%len(alphabet)])
			}
			return sb.String()
		}
	}
	return template.FuncMap{
		"randAlphaNum": fixed("kplsRand0123456789"),
		"randAlpha":    fixed("kplsRandomText"),
		"randNumeric":  fixed("0123456789"),
		"randAscii":    fixed("kpls-Rand!0123"),
		"randBytes": func(n int) (string, error) {
			if n < 0 || n > maxRepeatBytes {
				return "", fmt.Errorf("randBytes: %d bytes is out of range", n)
			}
			return base64.StdEncoding.EncodeToString(make([]byte, n)), nil
		},
		"randInt":  func(lo, _ int) int { return lo },
		"uuidv4":   func() string { return "00000000-0000-4000-8000-000000000000" },
		"shuffle":  func(s string) string { return s },
		"now":      func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) },
		"bcrypt":   func(s string) string { return "$2a$10$" + fixed("kplsBcryptStandIn0123456789")(53) },
		"htpasswd": standInHtpasswd,
		"encryptAES": func(_, plain string) (string, error) {
			return base64.StdEncoding.EncodeToString([]byte("kpls-stand-in:" + plain)), nil
		},
		"genPrivateKey":            func(typ string) string { return pemBlock(strings.ToUpper(typ)+" PRIVATE KEY", "key") },
		"genCA":                    func(cn string, _ int) (certificate, error) { return standInCert(cn), nil },
		"genCAWithKey":             func(cn string, _ int, _ string) (certificate, error) { return standInCert(cn), nil },
		"genSelfSignedCert":        func(cn string, _, _ []any, _ int) (certificate, error) { return standInCert(cn), nil },
		"genSelfSignedCertWithKey": func(cn string, _, _ []any, _ int, _ string) (certificate, error) { return standInCert(cn), nil },
		"genSignedCert":            func(cn string, _, _ []any, _ int, _ any) (certificate, error) { return standInCert(cn), nil },
		"genSignedCertWithKey":     func(cn string, _, _ []any, _ int, _ any, _ string) (certificate, error) { return standInCert(cn), nil },
		"lookup":                   func(string, string, string, string) (map[string]any, error) { return map[string]any{}, nil },
		"getHostByName":            func(string) string { return "" },
		"until": func(n int) ([]int, error) {
			if n < 0 {
				return untilStep(0, n, -1)
			}
			return untilStep(0, n, 1)
		},
		"untilStep": untilStep,
		"repeat": func(n int, s string) (string, error) {
			if n > 0 && len(s) > 0 && n > maxRepeatBytes/len(s) {
				return "", fmt.Errorf("repeat: %d copies of %d bytes is over the limit of %d MiB", n, len(s), maxRepeatBytes>>20)
			}
			return strings.Repeat(s, max(n, 0)), nil
		},
	}
}

// certificate is what the certificate functions return: templates read .Cert and .Key.
type certificate struct {
	Cert string
	Key  string
}

func standInCert(cn string) certificate {
	return certificate{Cert: pemBlock("CERTIFICATE", "cert "+cn), Key: pemBlock("RSA PRIVATE KEY", "key "+cn)}
}

func pemBlock(kind, seed string) string {
	body := base64.StdEncoding.EncodeToString([]byte("kube-policy-ls deterministic stand-in " + seed))
	return "-----BEGIN " + kind + "-----\n" + body + "\n-----END " + kind + "-----\n"
}

func standInHtpasswd(user, _ string) string {
	if strings.Contains(user, ":") {
		return "invalid username: " + user
	}
	return user + ":$2a$10$kplsHtpasswdStandInkplsHtpasswdStandInkplsHtpasswdSt"
}

func untilStep(start, stop, step int) ([]int, error) {
	if step == 0 || (stop > start) != (step > 0) || stop == start {
		return []int{}, nil
	}
	if n := (stop - start) / step; n > maxListLen {
		return nil, fmt.Errorf("untilStep: %d elements is over the limit of %d", n, maxListLen)
	}
	var out []int
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		out = append(out, i)
	}
	return out, nil
}
