package yamldoc

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// Encoding says how a column counts characters.
type Encoding int

const (
	// UTF16 counts UTF-16 code units, the LSP default.
	UTF16 Encoding = iota
	// UTF8 counts bytes.
	UTF8
	// CodePoints counts Unicode code points, as the CLI's columns and yaml.v3 do.
	CodePoints
)

// Pos is a zero-based line and column, the column counted in some Encoding.
type Pos struct {
	Line, Col int
}

// Mapper converts between byte offsets and line/column positions of one text. It is the only
// place that does column arithmetic: every range and edit goes through it. Lines end at "\n",
// "\r\n" or a lone "\r", as in LSP and YAML.
type Mapper struct {
	text       string
	lineStarts []int // byte offset of the start of each line
	ascii      bool  // the whole text is ASCII: every encoding agrees

	// id tells the Mappers of whole texts apart (NewMapper, Replace; 0 for the others), and
	// edits are what changed since each of the last few Mappers this one was made from by
	// Replace, newest first: a server that analyses after a few keystrokes (debounced) asks
	// from the Mapper it analysed last. They name those Mappers by id rather than by pointer
	// so that a chain of edits does not keep every earlier text alive.
	id    uint64
	edits []mapperEdit
}

// mapperEdit is the bytes [start, oldEnd) of the text of Mapper from, replaced by the bytes
// [start, newEnd) of this one.
type mapperEdit struct {
	from                  uint64
	start, oldEnd, newEnd int
}

// editHistory is how many earlier Mappers a Mapper knows its changes from.
const editHistory = 8

var mapperIDs atomic.Uint64

// NewMapper indexes text's line starts.
func NewMapper(text string) *Mapper {
	// Sized from a count first: the index of a large file is megabytes, and growing it by
	// doubling makes as much garbage again, which the checker's run time pays for in GC.
	lines := 1 + strings.Count(text, "\n")
	if cr := strings.Count(text, "\r"); cr > 0 {
		lines += cr - strings.Count(text, "\r\n")
	}
	starts := make([]int, 1, lines)
	ascii := true
	for i := 0; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\n':
			starts = append(starts, i+1)
		case c == '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return &Mapper{text: text, lineStarts: starts, ascii: ascii, id: mapperIDs.Add(1)}
}

// Slice returns the mapper of m's text[start:end], start being a line start: the lines are
// taken from m's index rather than found again.
func (m *Mapper) Slice(start, end int) *Mapper {
	first := m.LineOf(start)
	last := m.LineOf(end) // the line that holds end: its start belongs to the slice when it is end
	starts := make([]int, 0, last-first+1)
	for _, s := range m.lineStarts[first : last+1] {
		starts = append(starts, s-start)
	}
	text := m.text[start:end]
	return &Mapper{text: text, lineStarts: starts, ascii: m.ascii || isASCII(text)}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Text returns the mapped text.
func (m *Mapper) Text() string { return m.text }

// LineCount returns the number of lines; a text ending in a newline has an empty last line.
func (m *Mapper) LineCount() int { return len(m.lineStarts) }

// LineStart returns the byte offset where line starts.
func (m *Mapper) LineStart(line int) int { return m.lineStarts[line] }

// LineEnd returns the byte offset of line's end, before its terminator.
func (m *Mapper) LineEnd(line int) int {
	if line+1 >= len(m.lineStarts) {
		return len(m.text)
	}
	end := m.lineStarts[line+1]
	if end > 0 && m.text[end-1] == '\n' {
		end--
	}
	if end > m.lineStarts[line] && m.text[end-1] == '\r' {
		end--
	}
	return end
}

// Line returns the content of line without its terminator.
func (m *Mapper) Line(line int) string { return m.text[m.lineStarts[line]:m.LineEnd(line)] }

// LineOf returns the line that contains offset.
func (m *Mapper) LineOf(offset int) int {
	return sort.Search(len(m.lineStarts), func(i int) bool { return m.lineStarts[i] > offset }) - 1
}

// Pos returns the position of a byte offset, clamped to the text.
func (m *Mapper) Pos(offset int, enc Encoding) Pos {
	offset = max(0, min(offset, len(m.text)))
	line := m.LineOf(offset)
	start := m.lineStarts[line]
	if enc == UTF8 || m.ascii {
		return Pos{line, offset - start}
	}
	return Pos{line, countUnits(m.text[start:offset], enc)}
}

// Offset returns the byte offset of a position. A column past the end of its line is clamped to
// the line end, as LSP specifies; a line past the end of the text, or a column that falls inside
// a character, is an error.
func (m *Mapper) Offset(p Pos, enc Encoding) (int, error) {
	if p.Line < 0 || p.Col < 0 {
		return 0, fmt.Errorf("position %d:%d is negative", p.Line, p.Col)
	}
	if p.Line >= len(m.lineStarts) {
		return 0, fmt.Errorf("line %d is past the end of the text (%d lines)", p.Line, len(m.lineStarts))
	}
	start, end := m.lineStarts[p.Line], m.LineEnd(p.Line)
	if enc == UTF8 || m.ascii {
		if start+p.Col > end {
			return end, nil
		}
		if enc == UTF8 && !m.ascii && m.insideRune(start, start+p.Col) {
			return 0, fmt.Errorf("column %d of line %d is inside a character", p.Col, p.Line)
		}
		return start + p.Col, nil
	}
	units := 0
	for i, r := range m.text[start:end] {
		if units == p.Col {
			return start + i, nil
		}
		units += runeUnits(r, enc)
		if units > p.Col {
			return 0, fmt.Errorf("column %d of line %d is inside a character", p.Col, p.Line)
		}
	}
	return end, nil
}

// insideRune reports whether offset falls within a valid multi-byte character that starts
// at or after lineStart. A stray continuation byte of invalid UTF-8 is a character of its own.
func (m *Mapper) insideRune(lineStart, offset int) bool {
	for i := offset - 1; i >= lineStart && i >= offset-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(m.text[i]) {
			r, size := utf8.DecodeRuneInString(m.text[i:])
			return !(r == utf8.RuneError && size == 1) && i+size > offset
		}
	}
	return false
}

func countUnits(s string, enc Encoding) int {
	n := 0
	for _, r := range s {
		n += runeUnits(r, enc)
	}
	return n
}

func runeUnits(r rune, enc Encoding) int {
	switch enc {
	case UTF16:
		if r >= 0x10000 {
			return 2
		}
		return 1
	case UTF8:
		if r == utf8.RuneError {
			return 1
		}
		return utf8.RuneLen(r)
	default:
		return 1
	}
}
