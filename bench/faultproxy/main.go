// Command faultproxy is a TCP proxy for the push benchmark: it forwards
// 127.0.0.1 connections to one target, counts the bytes clients send, and
// resets the connection once (RST to both sides) when the bytes sent through
// it first exceed -reset-after (faultregistry.ResetProxy, the proxy go/push's
// tests use too). The running count is written to -count-file whenever a
// connection ends, so a script can read what a client sent in all (retries
// included) once that client has exited.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"sync"

	"github.com/strata-build/rules_strata/go/faultregistry"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	target := flag.String("target", "", "host:port to forward to")
	resetAfter := flag.Int64("reset-after", 0, "reset once after this many client bytes in total (0: never)")
	countFile := flag.String("count-file", "", "file to write the client byte count to")
	flag.Parse()
	var at []int64
	if *resetAfter > 0 {
		at = append(at, *resetAfter)
	}
	var p *faultregistry.ResetProxy
	var mu sync.Mutex
	logged := false
	save := func() {
		mu.Lock()
		defer mu.Unlock()
		if !logged && p.Resets() > 0 {
			log.Printf("reset after %d client bytes", *resetAfter)
			logged = true
		}
		if *countFile != "" {
			os.WriteFile(*countFile+".tmp", []byte(fmt.Sprintln(p.Sent())), 0o644)
			os.Rename(*countFile+".tmp", *countFile)
		}
	}
	p, err := faultregistry.NewResetProxy(*listen, *target, save, at...)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Addr())
	save()
	select {}
}
