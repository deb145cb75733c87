// Package iptables paces the rewrites of a client's iptables rules: the sync
// loop that the service proxy (client/proxy) and the network policy enforcer
// (client/netpol) share. Changes coalesce (a sync no more often than a
// minimum interval, with whatever arrived meanwhile), the rules are rewritten
// every period even with no change, to repair what someone else removed, and
// a failed sync is retried with back-off.
//
// It renders no rule and runs no tool: each user computes its own rules and
// applies them through its own executor (client/proxy's IPTables runs
// iptables-save and iptables-restore for both).
package iptables
