// Package dnsd is Berth's cluster DNS server: it answers the names of the Kubernetes
// DNS specification 1.1.0 (`svc.ns.svc.cluster.local` A/AAAA, SRV for named ports,
// PTR, CNAME for ExternalName services, headless services and their endpoints'
// hostnames, TXT `dns-version`) from an in-memory Index, and forwards every other
// name to upstream resolvers through a small TTL-respecting cache.
//
// It reads through the narrow, read-only Catalog interface; Index is the Catalog
// that feeders keep current (the servers feed it from their local store, a client
// with --dns from an API watch). It never talks to Raft or the API itself, and it
// imports only api of Berth's packages.
//
// It is not a general authoritative server: no zone transfers, no DNSSEC, no dynamic
// updates, one zone (Config.Domain) plus the reverse names of the addresses it knows.
package dnsd
