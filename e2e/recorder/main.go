// Command recorder is a test server for e2e scripts: it records every
// request (method, path, Authorization header) to a log file and answers as
// a server that must not get credentials or uploads:
//
//	--mode basic     401 with a Basic challenge, always (a rogue registry
//	                 that asks for credentials)
//	--mode notfound  404 with an HTML page, always (a web server that is not
//	                 a registry; also a remote cache that has nothing)
//
// It prints nothing; the log has one line per request:
// "METHOD PATH auth=<Authorization header or ->".
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	logPath := flag.String("log", "", "request log")
	mode := flag.String("mode", "notfound", "basic or notfound")
	flag.Parse()
	f, err := os.Create(*logPath)
	if err != nil {
		log.Fatal(err)
	}
	var mu sync.Mutex
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		if auth == "" {
			auth = "-"
		}
		mu.Lock()
		fmt.Fprintf(f, "%s %s auth=%s\n", r.Method, r.URL.Path, auth)
		f.Sync()
		mu.Unlock()
		switch *mode {
		case "basic":
			w.Header().Set("WWW-Authenticate", `Basic realm="recorder"`)
			w.WriteHeader(http.StatusUnauthorized)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "<html><body><h1>Not Found</h1></body></html>\n")
		}
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
