package pki

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"
)

func validRole(r string) bool { return r == RoleServer || r == RoleClient || r == RoleUser }

// roleURI is the URI SAN naming a certificate's role and name.
func roleURI(role, name string) *url.URL {
	return &url.URL{Scheme: "berth", Host: "role", Path: "/" + role + "/" + name}
}

// RoleOf reads the role and name a certificate was issued for: the URI SAN
// berth://role/<role>/<name>, which must agree with the Subject's OU and CN. ok is
// false for a certificate without them (not one Berth issued).
func RoleOf(c *x509.Certificate) (role, name string, ok bool) {
	for _, u := range c.URIs {
		if u.Scheme != "berth" || u.Host != "role" {
			continue
		}
		r, n, found := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
		if !found || !validRole(r) || n == "" {
			return "", "", false
		}
		if len(c.Subject.OrganizationalUnit) != 1 || c.Subject.OrganizationalUnit[0] != r || c.Subject.CommonName != n {
			return "", "", false
		}
		return r, n, true
	}
	return "", "", false
}

// checkRole reports an error unless c carries one of roles.
func checkRole(c *x509.Certificate, roles []string) error {
	r, n, ok := RoleOf(c)
	if !ok {
		return fmt.Errorf("pki: certificate %q carries no Berth role", c.Subject.CommonName)
	}
	for _, want := range roles {
		if r == want {
			return nil
		}
	}
	return fmt.Errorf("pki: certificate of %s %q is not accepted here (want role %s)", r, n, strings.Join(roles, " or "))
}
