// Command faultproxy is a TCP proxy for the push benchmark: it forwards
// 127.0.0.1 connections to one target, counts the bytes clients send, and
// resets the connection once (RST to both sides) when the bytes sent through
// it first exceed -reset-after. The running count is written to -count-file
// whenever a connection ends, so a script can read what a client sent in all
// (retries included) once that client has exited.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
	"sync/atomic"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "host:port to forward to")
	resetAfter := flag.Int64("reset-after", 0, "reset once after this many client bytes in total (0: never)")
	countFile := flag.String("count-file", "", "file to write the client byte count to")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	var sent atomic.Int64
	var fired atomic.Bool
	var mu sync.Mutex
	save := func() {
		mu.Lock()
		defer mu.Unlock()
		if *countFile != "" {
			os.WriteFile(*countFile+".tmp", []byte(fmt.Sprintln(sent.Load())), 0o644)
			os.Rename(*countFile+".tmp", *countFile)
		}
	}
	save()
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go func() {
			defer save()
			s, err := net.Dial("tcp", *target)
			if err != nil {
				c.Close()
				return
			}
			reset := func() {
				// SO_LINGER 0: close sends RST, as a dropped link or a
				// middlebox does, rather than a clean FIN.
				c.(*net.TCPConn).SetLinger(0)
				s.(*net.TCPConn).SetLinger(0)
				c.Close()
				s.Close()
			}
			go func() { io.Copy(c, s); c.(*net.TCPConn).CloseWrite() }()
			buf := make([]byte, 256<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					total := sent.Add(int64(n))
					if *resetAfter > 0 && total > *resetAfter && fired.CompareAndSwap(false, true) {
						// Forward up to the threshold, then cut.
						keep := n - int(total-*resetAfter)
						s.Write(buf[:max(keep, 0)])
						log.Printf("reset after %d client bytes", *resetAfter)
						reset()
						return
					}
					if _, werr := s.Write(buf[:n]); werr != nil {
						c.Close()
						return
					}
				}
				if err != nil {
					s.(*net.TCPConn).CloseWrite()
					return
				}
			}
		}()
	}
}
