// The example program of e2e/go_multiarch_test.sh, built by rules_go, not
// by this repository's go commands: a module of its own keeps it out of
// `go vet ./...` and `go test ./...` at the root.
module example.com/gohello

go 1.19
