package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/berth-dev/berth/pki"
)

func TestX509Authenticator(t *testing.T) {
	ca, err := pki.NewCA("test")
	if err != nil {
		t.Fatal(err)
	}
	cert := func(role, name string) *x509.Certificate {
		id, err := ca.NewIdentity(role, name, nil, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return id.Certificate()
	}
	tests := []struct {
		name       string
		cert       *x509.Certificate
		header     map[string]string
		wantOK     bool
		wantErr    bool
		wantUser   string
		wantGroups []string
	}{
		{name: "no certificate"},
		{name: "server", cert: cert(pki.RoleServer, "s1"), wantOK: true, wantUser: "s1", wantGroups: []string{groupServers}},
		{name: "client", cert: cert(pki.RoleClient, "n1"), wantOK: true, wantUser: "n1", wantGroups: []string{groupNodes}},
		{name: "forwarded for a node", cert: cert(pki.RoleServer, "s2"),
			header: map[string]string{forwardedHeader: "s2", forwardedUserHeader: `{"Name":"n1","Groups":["system:nodes","system:authenticated"]}`},
			wantOK: true, wantUser: "n1", wantGroups: []string{groupNodes}},
		{name: "forwarded without a user is not the server", cert: cert(pki.RoleServer, "s2"),
			header: map[string]string{forwardedHeader: "s2"}},
		{name: "forwarded user header from a client is ignored", cert: cert(pki.RoleClient, "n1"),
			header: map[string]string{forwardedHeader: "n1", forwardedUserHeader: `{"Name":"admin","Groups":["system:masters"]}`},
			wantOK: true, wantUser: "n1", wantGroups: []string{groupNodes}},
		{name: "malformed forwarded user", cert: cert(pki.RoleServer, "s2"),
			header: map[string]string{forwardedHeader: "s2", forwardedUserHeader: "{"}, wantOK: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
			if tt.cert != nil {
				r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tt.cert}}
			}
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			u, ok, err := x509Authenticator{}.authenticate(r)
			if ok != tt.wantOK || (err != nil) != tt.wantErr {
				t.Fatalf("ok %v err %v, want ok %v err %v", ok, err, tt.wantOK, tt.wantErr)
			}
			if !ok || err != nil {
				return
			}
			if u.Name != tt.wantUser || !slices.Contains(u.Groups, tt.wantGroups[0]) || !slices.Contains(u.Groups, groupAuthenticated) {
				t.Fatalf("user %+v, want %s in %v", u, tt.wantUser, tt.wantGroups)
			}
		})
	}
}

func TestSetForwardedUserReplacesCallerHeader(t *testing.T) {
	h := http.Header{}
	h.Set(forwardedUserHeader, `{"Name":"admin"}`)
	setForwardedUser(context.Background(), h)
	if h.Get(forwardedUserHeader) != "" {
		t.Fatalf("a caller's own %s survived forwarding", forwardedUserHeader)
	}
	setForwardedUser(withCertUser(context.Background(), &userInfo{Name: "n1", Groups: []string{groupNodes}}), h)
	if got := h.Get(forwardedUserHeader); got != `{"Name":"n1","Groups":["system:nodes"]}` {
		t.Fatalf("header %q", got)
	}
}
