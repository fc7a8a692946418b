// Command compressonly is the benchmark baseline: it compresses one file with
// exactly the compressor strata uses (go/compress: pgzip level 6, 1 MiB
// blocks; or with ALG zstd, klauspost's zstd encoder at strata's level, the
// library version of go.mod), and does nothing else: no tar, no hashing.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/strata-build/rules_strata/go/compress"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: compressonly IN OUT [gzip|zstd]")
		os.Exit(2)
	}
	alg := compress.Gzip
	if len(os.Args) == 4 {
		var err error
		if alg, err = compress.Parse(os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if err := run(os.Args[1], os.Args[2], alg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(in, out string, alg compress.Algorithm) error {
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
	zw, err := compress.NewWriter(alg, bw, 0)
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
