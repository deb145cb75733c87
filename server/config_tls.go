package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/berth-dev/berth/pki"
)

// TLSConfig turns on TLS (and with it authentication): the API is HTTPS, servers get
// certificates from the cluster CA (DESIGN.md "Cluster CA and join"). A nil
// Config.TLS is `--insecure-dev`: plain HTTP, for development only.
type TLSConfig struct {
	// CACertFile and CAKeyFile are an operator's own CA (`--ca-cert`, `--ca-key`),
	// both or neither. Servers given it certify themselves and need no join token;
	// without it the first server of a new cluster makes a CA.
	CACertFile, CAKeyFile string
	// JoinToken (`--join-token`) is a server join token: this server fetches its
	// certificate (and the CA key) from JoinAddr at its first start. Unused once
	// DataDir holds a certificate.
	JoinToken string
	// JoinAddr (`--join-api`) is host:port of an existing server's API.
	JoinAddr string
	// CertLifetime is how long the certificates this server issues live; zero means
	// pki.DefaultCertLifetime. Each is renewed at two thirds of its life.
	CertLifetime time.Duration
}

func (c *TLSConfig) validate() error {
	if c == nil {
		return nil
	}
	var errs []error
	if (c.CACertFile == "") != (c.CAKeyFile == "") {
		errs = append(errs, errors.New("server: give --ca-cert and --ca-key together"))
	}
	if c.JoinToken != "" {
		if _, _, err := pki.ParseJoinToken(c.JoinToken); err != nil {
			errs = append(errs, fmt.Errorf("server: --join-token: %w", err))
		}
		if c.JoinAddr == "" {
			errs = append(errs, errors.New("server: --join-token needs --join-api HOST:PORT (an existing server's API)"))
		}
		if c.CACertFile != "" {
			errs = append(errs, errors.New("server: give --join-token or --ca-cert, not both"))
		}
	}
	if c.CertLifetime < 0 {
		errs = append(errs, errors.New("server: --cert-lifetime must not be negative"))
	}
	return errors.Join(errs...)
}
