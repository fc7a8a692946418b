// Command compressonly is the benchmark baseline: it compresses one file with
// exactly the compressor strata uses (go/compress: pgzip level 6, 1 MiB
// blocks), and does nothing else: no tar, no hashing.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/strata-build/rules_strata/go/compress"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: compressonly IN OUT")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := os.Open(in)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(dst, 1<<20)
	zw, err := compress.NewWriter(compress.Gzip, bw, 0)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, src); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return dst.Close()
}
