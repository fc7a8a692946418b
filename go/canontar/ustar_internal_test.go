package canontar

import (
	"bytes"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// TestFastUSTARSameBytes: the headers writeEntry formats itself are
// byte for byte the ones archive/tar writes. Random layers of files,
// directories and symlinks, with names and link targets of 1-160 bytes
// (some non-ASCII or DEL, some at the 100-byte limits), modes with special bits,
// owners and sizes up to and past the octal limits, and mtimes before 1970
// and past 2242 are written with and without the fast path and compared.
func TestFastUSTARSameBytes(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	pick := func(xs ...int64) int64 { return xs[r.Intn(len(xs))] }
	name := func() string {
		n := int(pick(1, 5, 99, 100, 101, 150, 160)) - r.Intn(2)
		b := make([]byte, max(n, 1))
		for i := range b {
			b[i] = "abc/._-xyz"[r.Intn(10)]
		}
		s := strings.Trim(string(b), "/")
		if r.Intn(10) == 0 {
			s += []string{"é", "\x80", "\x7f"}[r.Intn(3)] // 0xc3 0xa9; a lone 0x80; DEL
		}
		if s == "" || strings.Contains(s, "//") {
			return "x"
		}
		return s
	}
	for round := 0; round < 300; round++ {
		var entries []Entry
		seen := map[string]bool{}
		for i := 0; i < 20; i++ {
			e := Entry{Path: name(), Mode: pick(0o644, 0o755, 0o4755, 0o1777, 0o7777777, 0o10000000),
				UID: int(pick(0, 1000, 0o7777777, 0o10000000)), GID: int(pick(0, 65534, 0o7777777, 0o10000000))}
			if seen[e.Path] {
				continue
			}
			seen[e.Path] = true
			switch r.Intn(3) {
			case 0:
				e.Type = Dir
			case 1:
				e.Type, e.Link = Symlink, name()
			default:
				content := strings.Repeat("z", r.Intn(1500))
				e.Type, e.Size = Regular, int64(len(content))
				e.Open = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }
			}
			entries = append(entries, e)
		}
		sorted, err := Sort(entries)
		if err != nil {
			continue // a path under a file or a symlink: not what this test is about
		}
		mtime := time.Unix(pick(0, 1700000000, -1, 0o77777777777, 0o100000000000), 0)
		var fast, plain bytes.Buffer
		fastErr := Write(&fast, sorted, mtime)
		fastUSTAR = false
		plainErr := Write(&plain, sorted, mtime)
		fastUSTAR = true
		if (fastErr == nil) != (plainErr == nil) || !bytes.Equal(fast.Bytes(), plain.Bytes()) {
			t.Fatalf("round %d: fast path (%v) and archive/tar (%v) differ; %d vs %d bytes", round, fastErr, plainErr, fast.Len(), plain.Len())
		}
	}
}
