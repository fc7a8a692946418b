// Command resumeregistry serves go-containerregistry's registry (blobs on
// disk) with the one part of the OCI upload protocol it lacks: GET on an
// upload's location, answered with the bytes the registry really stored
// (faultregistry.UploadStatus, the adapter go/push's tests use too).
//
// The push benchmark uses it beside docker-registry 2.8, which cannot resume
// after a reset mid-chunk (it cancels a session whose signed state no longer
// matches the bytes it holds), to measure resuming the way registries that
// keep the session (the OCI distribution spec's "resume" flow) allow.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/strata-build/rules_strata/go/faultregistry"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:0", "address to listen on")
	dir := flag.String("dir", "", "blob directory")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	log.Fatal(http.Serve(ln, &faultregistry.UploadStatus{Next: registry.New(
		registry.WithBlobHandler(registry.NewDiskBlobHandler(*dir)), registry.Logger(log.New(io.Discard, "", 0)))}))
}
