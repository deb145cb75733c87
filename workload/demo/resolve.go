package demo

import (
	"context"
	"net"
	"net/http"
	"time"
)

// resolveTimeout bounds GET /resolve: a resolver retries a silent server for
// seconds, and a test wants an answer sooner.
const resolveTimeout = 5 * time.Second

// resolveReply is the body of GET /resolve.
type resolveReply struct {
	Name  string   `json:"name"`
	Addrs []string `json:"addrs,omitempty"`
	// CNAME is the canonical name, from the same lookup's answer.
	CNAME string `json:"cname,omitempty"`
	Error string `json:"error,omitempty"`
}

// resolve looks up ?name= with the container's own resolver (its resolv.conf:
// nameserver, search list, ndots), so a test sees what a program in the pod sees.
// A failed lookup is 502 with the resolver's error.
func resolve(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		http.Error(w, "name is required", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), resolveTimeout)
	defer cancel()
	reply := resolveReply{Name: name}
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		reply.Error = err.Error()
		writeJSON(w, http.StatusBadGateway, reply)
		return
	}
	reply.Addrs = addrs
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, name); err == nil {
		reply.CNAME = cname
	}
	writeJSON(w, http.StatusOK, reply)
}
