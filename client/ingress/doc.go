// Package ingress is Berth's HTTP(S) ingress: a reverse proxy, run by each client
// that is given an ingress port, that routes requests to Service endpoints by the
// rules of networking.k8s.io/v1 Ingresses.
//
// It lists and watches Ingresses, Services, Endpoints and kubernetes.io/tls Secrets
// through the API (re-listing when a watch is too old), and rebuilds one immutable
// routing table after every change; requests read the current table without locks.
// A request is routed by host (exact, then a one-label wildcard, then the rules
// without a host) and path (Exact, then the longest Prefix by path elements;
// ImplementationSpecific is a Prefix), then to the Ingress's defaultBackend. It goes
// to the ready endpoints of the Service port, round robin, straight to the pod IPs
// (the client's host reaches its pod network), trying the next endpoint when one
// refuses the connection. No rule: 404. No ready endpoint: 503.
//
// HTTPS is terminated with the certificate of the Secret that an Ingress's spec.tls
// names for the client's SNI host, reloaded when the Secret changes; a self-signed
// certificate answers every other name. The proxy adds X-Forwarded-For (appended),
// X-Forwarded-Proto and X-Forwarded-Host, keeps the Host header, and carries
// protocol upgrades (websockets).
//
// Every Ingress is served, whatever its ingressClassName: a Berth cluster has one
// ingress implementation. Where Ingresses overlap (same host and path, or two
// default backends), the oldest one wins, as in ingress-nginx.
//
// It is not the service proxy (client/proxy: ClusterIPs and NodePorts) and writes
// nothing to the API.
package ingress
