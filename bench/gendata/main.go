// Command gendata writes the benchmark inputs, the same bytes every time:
//
//	DIR/big/big.bin    one file of -big-mib MiB, alternating 1 MiB of random
//	                   bytes and 1 MiB of repetitive text (mixed content)
//	DIR/small/dNN/fNNNNN.txt  -small-files files of 1 to 8 KiB of text
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "output directory")
	bigMiB := flag.Int("big-mib", 1024, "size of the big file in MiB")
	small := flag.Int("small-files", 20000, "number of small files")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: gendata -dir DIR")
		os.Exit(2)
	}
	if err := run(*dir, *bigMiB, *small); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(dir string, bigMiB, small int) error {
	rng := rand.New(rand.NewChaCha8([32]byte{'s', 't', 'r', 'a', 't', 'a'}))
	if err := os.MkdirAll(filepath.Join(dir, "big"), 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "big", "big.bin"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	line := "func layer(ctx) { return reproducible(bytes, digest) }\n"
	text := []byte(strings.Repeat(line, 1<<20/len(line)+1))[:1<<20]
	chunk := make([]byte, 1<<20)
	for i := 0; i < bigMiB; i++ {
		if i%2 == 0 {
			for j := 0; j < len(chunk); j += 8 {
				v := rng.Uint64()
				for k := 0; k < 8; k++ {
					chunk[j+k] = byte(v >> (8 * k))
				}
			}
			w.Write(chunk)
		} else {
			w.Write(text)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	words := strings.Fields("image layer digest tar gzip zstd bazel cache remote registry manifest config blob")
	for i := 0; i < small; i++ {
		p := filepath.Join(dir, "small", fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%05d.txt", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var b strings.Builder
		for size := 1024 + rng.IntN(7*1024); b.Len() < size; {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteByte(' ')
		}
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}
