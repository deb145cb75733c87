// Package integration holds Berth's system tests: TestMain builds the real berth
// binary once, and the tests drive real server processes on loopback (clusters of 1,
// 3 and 5, kill -9, restarts, peer removal) through the HTTP API, the Go client and
// the CLI, as a user would. The benchmarks behind `make bench` live here too
// (bench_test.go, run when BERTH_BENCH=1).
package integration
