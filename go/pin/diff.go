package pin

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

const diffContext = 3

// change replaces old lines [from, to] (inclusive) with lines.
type change struct {
	from, to int
	lines    []string
}

// unifiedDiff renders edits of old as a unified diff (`diff -u` style,
// 3 lines of context), from the edits themselves: pinning never moves lines
// around, so no general diff algorithm is needed.
func unifiedDiff(name string, old []byte, edits []edit) string {
	lines := splitLines(old)
	starts := make([]int, len(lines))
	off := 0
	for i, l := range lines {
		starts[i] = off
		off += len(l)
	}
	lineOf := func(b int) int { return sort.SearchInts(starts, b+1) - 1 }
	var changes []change
	var groups [][]edit
	for _, e := range sortEdits(edits) {
		from, to := lineOf(e.start), lineOf(max(e.end-1, e.start))
		if e.start == e.end && e.start == starts[from] && strings.HasSuffix(e.text, "\n") {
			to = from - 1 // whole lines inserted before line from
		}
		if n := len(changes); n > 0 && from <= changes[n-1].to {
			changes[n-1].to = max(to, changes[n-1].to)
			groups[n-1] = append(groups[n-1], e)
			continue
		}
		changes = append(changes, change{from: from, to: to})
		groups = append(groups, []edit{e})
	}
	for i := range changes {
		c := &changes[i]
		base := starts[c.from]
		end := base
		if c.to >= c.from {
			end = starts[c.to] + len(lines[c.to])
		}
		var rel []edit
		for _, e := range groups[i] {
			rel = append(rel, edit{e.start - base, e.end - base, e.text})
		}
		c.lines = splitLines(apply(old[base:end], rel))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "--- a/%s\n+++ b/%s\n", name, name)
	delta := 0 // new line number minus old line number, before the hunk
	for i := 0; i < len(changes); {
		j := i
		for j+1 < len(changes) && changes[j+1].from-changes[j].to-1 <= 2*diffContext {
			j++
		}
		from := max(changes[i].from-diffContext, 0)
		to := min(changes[j].to+diffContext, len(lines)-1)
		var body strings.Builder
		oldN, newN := 0, 0
		at := from
		for k := i; k <= j; k++ {
			c := changes[k]
			for ; at < c.from; at++ {
				writeLine(&body, ' ', lines[at])
				oldN++
				newN++
			}
			for ; at <= c.to; at++ {
				writeLine(&body, '-', lines[at])
				oldN++
			}
			for _, l := range c.lines {
				writeLine(&body, '+', l)
				newN++
			}
		}
		for ; at <= to; at++ {
			writeLine(&body, ' ', lines[at])
			oldN++
			newN++
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(from, oldN), hunkRange(from+delta, newN))
		b.WriteString(body.String())
		for k := i; k <= j; k++ {
			delta += len(changes[k].lines) - (changes[k].to - changes[k].from + 1)
		}
		i = j + 1
	}
	return b.String()
}

func hunkRange(from, n int) string {
	if n == 1 {
		return fmt.Sprint(from + 1)
	}
	return fmt.Sprintf("%d,%d", from+1, n)
}

func writeLine(b *strings.Builder, mark byte, line string) {
	b.WriteByte(mark)
	b.WriteString(line)
	if !strings.HasSuffix(line, "\n") {
		b.WriteString("\n\\ No newline at end of file\n")
	}
}

// splitLines splits after each '\n', keeping it.
func splitLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n') + 1
		if i == 0 {
			i = len(b)
		}
		out = append(out, string(b[:i]))
		b = b[i:]
	}
	return out
}
