package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/berth-dev/berth/api"
)

// The CLI's own config: named contexts (a server, its CA, a token) and the current
// one, in ~/.berth/config, as kubectl keeps kubeconfig. `berth login` writes it;
// --addr/BERTH_ADDR and --token/BERTH_TOKEN override what it says.

// ErrNoContext means a context name the config does not hold.
var ErrNoContext = errors.New("cli: no such context")

// configFile is ~/.berth/config.
type configFile struct {
	APIVersion     string          `json:"apiVersion"`
	Kind           string          `json:"kind"`
	CurrentContext string          `json:"current-context,omitempty"`
	Contexts       []configContext `json:"contexts,omitempty"`
}

// configContext is one cluster to talk to and how.
type configContext struct {
	Name   string `json:"name"`
	Server string `json:"server"`
	// CertificateAuthority is a PEM file of the CA the server's certificate must
	// chain to (https servers); empty trusts the system's roots.
	CertificateAuthority string `json:"certificate-authority,omitempty"`
	// Token is the bearer token; the file is readable by its owner only.
	Token string `json:"token,omitempty"`
}

// configPath is $BERTH_CONFIG, else $HOME/.berth/config; "" when neither can be
// worked out (no config then).
func configPath() string {
	if p := os.Getenv("BERTH_CONFIG"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".berth", "config")
}

// loadConfig reads the config at path; a missing file is an empty config.
func loadConfig(path string) (*configFile, error) {
	cfg := &configFile{APIVersion: "v1", Kind: "Config"}
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the berth config: %w", err)
	}
	if err := yaml.UnmarshalStrict(b, cfg); err != nil {
		return nil, fmt.Errorf("the berth config %s: %w", path, err)
	}
	return cfg, nil
}

// save writes the config readable by its owner only (it holds tokens), through a
// temporary file so a crash never leaves half of it.
func (c *configFile) save(path string) error {
	if path == "" {
		return errors.New("cannot tell where the berth config goes: set HOME or BERTH_CONFIG")
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(path, b, 0o600)
}

func (c *configFile) context(name string) (*configContext, bool) {
	for i := range c.Contexts {
		if c.Contexts[i].Name == name {
			return &c.Contexts[i], true
		}
	}
	return nil, false
}

// setContext adds or replaces the context of ctx's name.
func (c *configFile) setContext(ctx configContext) {
	if cur, ok := c.context(ctx.Name); ok {
		*cur = ctx
		return
	}
	c.Contexts = append(c.Contexts, ctx)
}

// connection is where and how a command talks to the API.
type connection struct {
	server, token, caFile string
}

// connection works out the server, token and CA: --addr (or BERTH_ADDR) and --token
// (or BERTH_TOKEN) win; what they leave open comes from the current context. The
// context's token goes only to the context's server, never to another --addr.
func (g *globals) connection(cmd *cobra.Command) (connection, error) {
	conn := connection{server: g.addr, token: g.explicitToken(), caFile: g.explicitCA()}
	addrGiven := os.Getenv("BERTH_ADDR") != ""
	if f := cmd.Flags().Lookup("addr"); f != nil && f.Changed {
		addrGiven = true
	}
	cfg, err := loadConfig(configPath())
	if err != nil {
		return conn, err
	}
	ctx, ok := cfg.context(cfg.CurrentContext)
	if !ok {
		return conn, nil
	}
	if !addrGiven || sameServer(g.addr, ctx.Server) {
		conn.server, conn.caFile = ctx.Server, ctx.CertificateAuthority
		if conn.token == "" {
			conn.token = ctx.Token
		}
	}
	if ca := g.explicitCA(); ca != "" {
		conn.caFile = ca
	}
	return conn, nil
}

// explicitCA is --ca, else BERTH_CA.
func (g *globals) explicitCA() string {
	if g.ca != "" {
		return g.ca
	}
	return os.Getenv("BERTH_CA")
}

// explicitToken is --token, else BERTH_TOKEN (read here, not as the flag's default,
// so --help never prints it).
func (g *globals) explicitToken() string {
	if g.token != "" {
		return g.token
	}
	return os.Getenv("BERTH_TOKEN")
}

// sameServer compares two API addresses as URLs (a trailing slash or case of the
// host does not matter).
func sameServer(a, b string) bool {
	ua, errA := url.Parse(strings.TrimRight(a, "/"))
	ub, errB := url.Parse(strings.TrimRight(b, "/"))
	return errA == nil && errB == nil && ua.Scheme == ub.Scheme && strings.EqualFold(ua.Host, ub.Host) && ua.Path == ub.Path
}

// clientOptions are the options that carry conn's credentials and CA.
func (conn connection) clientOptions() ([]api.ClientOption, error) {
	var opts []api.ClientOption
	if conn.caFile != "" {
		hc, err := httpClientWithCA(conn.caFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, api.WithHTTPClient(hc))
	}
	if conn.token != "" {
		opts = append(opts, api.WithToken(conn.token))
	}
	return opts, nil
}

// httpClientWithCA trusts only the CA in the PEM file caFile.
func httpClientWithCA(caFile string) (*http.Client, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}, nil
}
