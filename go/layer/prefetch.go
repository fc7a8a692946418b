package layer

import (
	"bytes"
	"io"
	"runtime"
	"sync"

	"github.com/strata-build/rules_strata/go/canontar"
)

// Read-ahead of small files. A layer of many small files spends most of its
// time in open/read/close on the goroutine that writes the tar, one file at a
// time, while the compressor waits for input. prefetch reads the small files
// ahead on other goroutines, in tar order and into a fixed ring of memory,
// so the tar writer finds their bytes ready.
//
// The tar stream does not change: every entry still yields exactly the bytes
// its Open yields (a file that shrank is still reported by canontar, since
// the buffer holds only what was read), in the same order. Only when the
// reads happen changes, so the digest does not depend on the worker count.
const (
	// prefetchMaxFile: files above this are streamed by the tar writer as
	// before (for them the read cost is per byte, not per file).
	prefetchMaxFile = 256 << 10
	// prefetchRing is the memory the files are read into: the bytes read
	// ahead and not yet written. One allocation per layer, reused in tar
	// order, so read-ahead adds this much to the peak RSS and no garbage.
	prefetchRing = 4 << 20
	// prefetchAhead bounds the files in flight.
	prefetchAhead = 1024
)

// slot is one file in flight; slots are reused in tar order.
type slot struct {
	seq   int    // which small file (in tar order) the slot holds
	data  []byte // its bytes, in the ring
	span  int64  // what it holds of the ring, with the tail it skipped
	err   error
	ready bool
}

// prefetcher owns the read-ahead goroutines of one tar stream.
type prefetcher struct {
	mu      sync.Mutex
	cond    *sync.Cond
	ring    []byte
	head    int64 // where the next file goes in ring
	used    int64 // bytes of ring handed out and not yet handed back by Close
	pending int   // files dispatched and not yet handed back
	slots   [prefetchAhead]slot
	stopped bool
	wg      sync.WaitGroup
}

type job struct {
	seq  int
	open func() (io.ReadCloser, error)
	buf  []byte
}

// prefetch returns entries whose small regular files are read ahead by
// workers goroutines (0: GOMAXPROCS, 2 to 4), and a stop function that must
// be called once the entries have been written (or abandoned).
func prefetch(entries []canontar.Entry, workers int) ([]canontar.Entry, func()) {
	if workers <= 0 {
		workers = min(4, max(2, runtime.GOMAXPROCS(0)))
	}
	small := func(e canontar.Entry) bool {
		return e.Type == canontar.Regular && e.Size > 0 && e.Size <= prefetchMaxFile && e.Open != nil
	}
	out := make([]canontar.Entry, len(entries))
	copy(out, entries)
	p := &prefetcher{}
	p.cond = sync.NewCond(&p.mu)
	n := 0
	for i, e := range entries {
		if small(e) {
			out[i].Open = p.opener(n)
			n++
		}
	}
	if n == 0 {
		return entries, func() {}
	}
	p.ring = make([]byte, prefetchRing)
	queue := make(chan job, workers)
	p.wg.Add(1)
	go func() { // dispatcher: in tar order, within the ring
		defer p.wg.Done()
		defer close(queue)
		seq := 0
		for _, e := range entries {
			if !small(e) {
				continue
			}
			buf, ok := p.place(seq, e.Size)
			if !ok {
				return
			}
			queue <- job{seq: seq, open: e.Open, buf: buf}
			seq++
		}
	}()
	for w := 0; w < workers; w++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for j := range queue {
				data, err := read(j.open, j.buf)
				p.mu.Lock()
				s := &p.slots[j.seq%prefetchAhead]
				s.data, s.err, s.ready = data, err, true
				p.cond.Broadcast()
				p.mu.Unlock()
			}
		}()
	}
	stop := func() {
		p.mu.Lock()
		p.stopped = true
		p.cond.Broadcast()
		p.mu.Unlock()
		// Workers finish the files already queued, then the queue closes.
		p.wg.Wait()
	}
	return out, stop
}

// place waits until small file seq fits in the ring after the files before
// it, and returns its slice of the ring; false once stopped. Files go back
// in tar order (the order they were placed), so the ring frees from its tail.
func (p *prefetcher) place(seq int, size int64) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.stopped {
			return nil, false
		}
		off, span := p.head, size
		if off+size > prefetchRing { // wrap: skip the ring's tail
			off, span = 0, prefetchRing-p.head+size
		}
		if p.used+span <= prefetchRing && p.pending < prefetchAhead {
			p.slots[seq%prefetchAhead] = slot{seq: seq, span: span}
			p.head = off + size
			p.used += span
			p.pending++
			return p.ring[off : off+size : off+size], true
		}
		p.cond.Wait()
	}
}

// opener is the Open of small file seq: it waits for the file's bytes.
func (p *prefetcher) opener(seq int) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		p.mu.Lock()
		s := &p.slots[seq%prefetchAhead]
		for !(s.seq == seq && s.ready) {
			p.cond.Wait()
		}
		data, span, err := s.data, s.span, s.err
		p.mu.Unlock()
		r := &prefetched{Reader: bytes.NewReader(data), p: p, seq: seq, span: span}
		if err != nil {
			r.Close()
			return nil, err
		}
		return r, nil
	}
}

// release hands file seq's part of the ring back.
func (p *prefetcher) release(seq int, span int64) {
	p.mu.Lock()
	p.slots[seq%prefetchAhead].ready = false
	p.used -= span
	p.pending--
	p.cond.Broadcast()
	p.mu.Unlock()
}

// read fills buf from the file open opens: fewer bytes if it shrank
// (canontar reports that), never more (it may have grown; canontar writes
// the listed size either way).
func read(open func() (io.ReadCloser, error), buf []byte) ([]byte, error) {
	rc, err := open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	return buf[:n], nil
}

type prefetched struct {
	*bytes.Reader
	p    *prefetcher
	seq  int
	span int64
	once sync.Once
}

func (r *prefetched) Close() error {
	r.once.Do(func() { r.p.release(r.seq, r.span) })
	return nil
}
