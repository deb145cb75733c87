package client

import (
	"net"

	"github.com/berth-dev/berth/client/endpoint"
	"github.com/berth-dev/berth/gossip"
)

// endpointListener is where the logs/exec endpoint serves: mutual TLS with the
// node's identity, taking only the cluster's servers; plain under --insecure-dev.
func (a *Agent) endpointListener() net.Listener {
	if a.tls == nil {
		return a.ln
	}
	return endpoint.TLSListener(a.ln, a.tls)
}

// setGossipKeys gives cfg the keyring kept in DataDir (the key the join answered,
// or the keyring after a rotation) and saves every change there, so a restarted
// agent still gets in. A client never makes a key: without one it gossips in the
// clear, which an encrypted cluster refuses.
func (a *Agent) setGossipKeys(cfg *gossip.Config) error {
	keys, err := gossip.LoadKeys(a.cfg.DataDir)
	if err != nil {
		return err
	}
	if keys == nil {
		if a.tls != nil {
			a.log.Warn("no gossip key in the data dir: an encrypted cluster will not let this node gossip", "file", gossip.KeyFileName)
		}
		return nil
	}
	cfg.SecretKey, cfg.Keys = keys[0], keys[1:]
	cfg.OnKeyringChange = func(keys [][]byte) {
		if err := gossip.SaveKeys(a.cfg.DataDir, keys); err != nil {
			a.log.Error("saving the gossip keyring; a restart would use the old one", "err", err)
		}
	}
	return nil
}
