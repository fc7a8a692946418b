package layer

import (
	"io"
	"sync"
	"sync/atomic"
)

// stage is one step of the layer pipeline on a goroutine of its own: Write
// copies into one of a few fixed buffers and returns, and the goroutine
// writes the full buffers to w in order. WriteLevel puts one in front of
// the compressor (with the diffID hash) and one behind it (with the digest
// hash and the file write), so reading files, hashing twice, compressing and
// writing overlap on every core. zstd's streaming encoder alone keeps only
// one 128 KiB block ahead of its caller, so without the stages its output
// hash and write, and the tar's reads and input hash, took turns with it.
//
// The bytes that reach w, and their order, are exactly the bytes written:
// only when w sees them changes (and neither compressor's output depends on
// how its input is split into writes: both cut fixed-size blocks).
type stage struct {
	w    io.Writer
	buf  []byte
	full chan []byte
	free chan []byte
	done chan struct{}
	stop sync.Once
	err  atomic.Pointer[error] // the first error of w; later writes are dropped
}

// Buffers of a stage: 4 x 256 KiB, 1 MiB per stage in all.
const (
	stageBuffer  = 256 << 10
	stageBuffers = 4
)

func newStage(w io.Writer) *stage {
	s := &stage{w: w, full: make(chan []byte, stageBuffers), free: make(chan []byte, stageBuffers), done: make(chan struct{})}
	for i := 0; i < stageBuffers; i++ {
		s.free <- make([]byte, 0, stageBuffer)
	}
	s.buf = <-s.free
	go s.run()
	return s
}

func (s *stage) run() {
	defer close(s.done)
	for b := range s.full {
		if s.err.Load() == nil {
			if _, err := s.w.Write(b); err != nil {
				s.err.Store(&err)
			}
		}
		s.free <- b[:0]
	}
}

func (s *stage) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := s.err.Load(); err != nil {
			return n, *err
		}
		k := copy(s.buf[len(s.buf):cap(s.buf)], p)
		s.buf, p, n = s.buf[:len(s.buf)+k], p[k:], n+k
		if len(s.buf) == cap(s.buf) {
			s.full <- s.buf
			s.buf = <-s.free
		}
	}
	return n, nil
}

// Close writes what is buffered, waits until w has it all, and returns the
// first error of w.
func (s *stage) Close() error {
	s.stop.Do(func() {
		if len(s.buf) > 0 {
			s.full <- s.buf
		}
		close(s.full)
	})
	<-s.done
	if err := s.err.Load(); err != nil {
		return *err
	}
	return nil
}
