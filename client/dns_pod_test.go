package client

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-dev/berth/api"
)

// TestPodDNS: dnsPolicy and dnsConfig decide a pod's resolv.conf as the kubelet does.
func TestPodDNS(t *testing.T) {
	ndots2 := "2"
	host := resolvConfig{Servers: []string{"127.0.0.53", "10.0.0.2"}, Searches: []string{"corp.example"}, Options: []string{"edns0"}}
	cluster := podDNSSettings{clusterDNS: []string{"10.244.0.1"}, domain: "cluster.local", host: host}
	noCluster := podDNSSettings{domain: "cluster.local", host: host}
	tests := []struct {
		name     string
		policy   string
		hostNet  bool
		dnsCfg   *api.PodDNSConfig
		settings podDNSSettings
		want     resolvConfig
		warn     bool
	}{
		{name: "ClusterFirst by default", settings: cluster, want: resolvConfig{
			Servers:  []string{"10.244.0.1"},
			Searches: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"},
			Options:  []string{"ndots:5"}}},
		{name: "ClusterFirst with dnsConfig merged", policy: api.DNSClusterFirst, settings: cluster,
			dnsCfg: &api.PodDNSConfig{Nameservers: []string{"1.1.1.1"}, Searches: []string{"extra.example", "svc.cluster.local"},
				Options: []api.PodDNSConfigOption{{Name: "ndots", Value: &ndots2}, {Name: "single-request"}}},
			want: resolvConfig{
				Servers:  []string{"10.244.0.1", "1.1.1.1"},
				Searches: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example", "extra.example"},
				Options:  []string{"ndots:2", "single-request"}}},
		{name: "ClusterFirst without cluster DNS falls back to Default", settings: noCluster, warn: true},
		{name: "host network ClusterFirst is Default", policy: api.DNSClusterFirst, hostNet: true, settings: cluster},
		{name: "ClusterFirstWithHostNet keeps the cluster DNS", policy: api.DNSClusterFirstWithHostNet, hostNet: true, settings: cluster,
			want: resolvConfig{Servers: []string{"10.244.0.1"},
				Searches: []string{"shop.svc.cluster.local", "svc.cluster.local", "cluster.local", "corp.example"},
				Options:  []string{"ndots:5"}}},
		{name: "Default leaves the engine's copy of the host's", policy: api.DNSDefault, settings: cluster},
		{name: "Default with dnsConfig starts from the host's, loopback dropped", policy: api.DNSDefault, settings: cluster,
			dnsCfg: &api.PodDNSConfig{Searches: []string{"x.example"}},
			want:   resolvConfig{Servers: []string{"10.0.0.2"}, Searches: []string{"corp.example", "x.example"}, Options: []string{"edns0"}}},
		{name: "None is dnsConfig alone", policy: api.DNSNone, settings: cluster,
			dnsCfg: &api.PodDNSConfig{Nameservers: []string{"9.9.9.9", "8.8.8.8", "1.1.1.1", "1.0.0.1"}, Searches: []string{"a.example"}},
			want:   resolvConfig{Servers: []string{"9.9.9.9", "8.8.8.8", "1.1.1.1"}, Searches: []string{"a.example"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: "shop", Name: "p"},
				Spec: api.PodSpec{DNSPolicy: tt.policy, HostNetwork: tt.hostNet, DNSConfig: tt.dnsCfg}}
			got, warn := podDNS(pod, tt.settings)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if (warn != "") != tt.warn {
				t.Errorf("warning %q, want one: %v", warn, tt.warn)
			}
		})
	}
}

// TestReadResolvConf: nameservers, the last search line and options are read.
func TestReadResolvConf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	content := "# comment\nnameserver 10.0.0.2\nsearch a.example\nsearch b.example c.example\nnameserver 10.0.0.3\noptions ndots:1 edns0\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got := readResolvConf(path)
	want := resolvConfig{Servers: []string{"10.0.0.2", "10.0.0.3"}, Searches: []string{"b.example", "c.example"}, Options: []string{"ndots:1", "edns0"}}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := readResolvConf(filepath.Join(t.TempDir(), "none")); len(got.Servers) != 0 {
		t.Errorf("missing file: %q", got)
	}
}

// TestPodGateway: the loopback interface stands in for a bridge: the address whose
// network holds the pod CIDR is found; a CIDR no interface holds is an error.
func TestPodGateway(t *testing.T) {
	gw, err := podGateway(netip.MustParsePrefix("127.0.0.0/24"))
	if err != nil || !gw.IsLoopback() {
		t.Fatalf("podGateway(127.0.0.0/24) = %v, %v", gw, err)
	}
	if _, err := podGateway(netip.MustParsePrefix("198.51.100.0/24")); err == nil {
		t.Errorf("a pod CIDR on no interface gave no error")
	}
	if _, err := podGateway(netip.Prefix{}); err == nil {
		t.Errorf("no pod CIDR gave no error")
	}
}
