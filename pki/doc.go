// Package pki is Berth's cluster public-key infrastructure: the cluster CA, the
// certificates servers and clients get when they join, join tokens that pin the CA
// (`BERTH-1-<sha256 of the CA certificate>-<secret>`), and the TLS configurations every
// listener and dialer uses, which pick up a rotated certificate without a restart.
//
// It imports nothing of Berth's: the server and the client both use it.
package pki
