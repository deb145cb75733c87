// Package cli holds the `berth` commands a user types — get, describe, apply, create,
// delete, rollout, scale, cordon, uncordon, drain, members, operator, snapshot,
// version, login, config, auth can-i, token — built with cobra over the Go client in
// package api.
//
// It is not the server or the node agent (`berth server` and `berth client` are wired
// in cmd/berth) and keeps no state between invocations but the contexts `berth
// login` saves in ~/.berth/config (contexts.go). Table printers read objects in
// their wire form (generic maps), so one printer serves every version of a kind and a
// field this build does not know still round-trips through -o json and -o yaml.
package cli
