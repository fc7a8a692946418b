// hello prints a greeting naming the architecture it was built for, so a test
// can tell which child of an index ran.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("hello from %s/%s\n", runtime.GOOS, runtime.GOARCH)
}
