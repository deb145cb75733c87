package server

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/api"
	"github.com/berth-dev/berth/pki"
)

// defaultAgentPort is the node agent's endpoint port when its Node does not say
// (DESIGN.md "Defaults").
const defaultAgentPort = 6450

// newAgentTransport carries log and exec streams to node agents. It is its own
// transport, not the forwarder's, because these streams are long-lived and go to many
// hosts. With an identity (id not nil) it speaks mutual TLS: our server certificate,
// and the agent's must be a client's of the cluster CA; nil is --insecure-dev.
func newAgentTransport(id pki.Identity) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 30 * time.Second
	if id != nil {
		t.TLSClientConfig = id.ClientTLS(pki.RoleClient) // as endpoint.DialTLS
		t.TLSHandshakeTimeout = 5 * time.Second
	}
	return t
}

// podStreamRoutes registers the pod subresources that stream from the pod's node
// agent. They are more specific than "/api/", so ServeMux sends them here and not to
// handleObjects. Any server answers them from its local store: no leader is needed.
func (s *Server) podStreamRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/namespaces/{ns}/pods/{name}/log", func(w http.ResponseWriter, r *http.Request) {
		s.proxyToAgent(w, r, "log")
	})
	mux.HandleFunc("/api/v1/namespaces/{ns}/pods/{name}/exec", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost && r.Method != http.MethodGet {
			writeError(w, api.NewError(api.ReasonMethodNotAllowed, "pods/exec takes POST or GET, not %s", r.Method))
			return
		}
		s.proxyToAgent(w, r, "exec")
	})
}

// proxyToAgent forwards a log or exec request to the agent of the pod's node. The
// reverse proxy streams logs with a flush per write and, for exec, splices the two
// upgraded connections; a non-101 answer of the agent (its 404, say) passes through.
func (s *Server) proxyToAgent(w http.ResponseWriter, r *http.Request, sub string) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if rec.code == 0 { // a spliced exec: the 101 went out on the hijacked connection
			rec.code = http.StatusSwitchingProtocols
		}
		s.metrics.observeRequest(verbOfStream(sub), "pods/"+sub, rec.code, time.Since(start))
	}()
	target, err := s.agentTarget(r.PathValue("ns"), r.PathValue("name"), sub, r.URL.Query())
	if err != nil {
		writeError(rec, err)
		return
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL = target
			pr.Out.Host = target.Host
			pr.Out.Header.Del("Authorization") // the caller's token is for the servers only
			pr.SetXForwarded()
		},
		Transport:     s.agentRT,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			// 502, not 503: the client must not retry as if no leader were elected.
			e := api.NewError(api.ReasonServiceUnavailable, "cannot reach the node agent at %s: %v", target.Host, err)
			e.Status.Code = http.StatusBadGateway
			writeError(w, e)
		},
	}
	proxy.ServeHTTP(rec, r)
}

func verbOfStream(sub string) string {
	if sub == "exec" {
		return "connect"
	}
	return "get"
}

// agentTarget finds where the agent of the pod's node serves sub for this pod, and
// checks the container against the pod's.
func (s *Server) agentTarget(ns, name, sub string, q url.Values) (*url.URL, error) {
	podRes, _ := api.ResourceForKind("Pod")
	rec, ok := s.fsm.Get(podRes, ns, name)
	if !ok {
		return nil, notFound(podRes, name)
	}
	pod, ok := rec.Object.(*api.Pod)
	if !ok {
		return nil, api.NewError(api.ReasonInternalError, "pod %q is stored as %T", name, rec.Object)
	}
	if pod.Spec.NodeName == "" {
		return nil, api.NewError(api.ReasonBadRequest, "pod %q is not scheduled to a node yet", name)
	}
	container, err := podContainer(pod, q.Get("container"))
	if err != nil {
		return nil, err
	}
	host, err := s.agentAddr(pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	out.Set("container", container)
	scheme := "http"
	if s.tls != nil {
		scheme = "https" // the agent's endpoint takes only servers, over mutual TLS
	}
	return &url.URL{
		Scheme:   scheme,
		Host:     host,
		Path:     "/v1/pods/" + url.PathEscape(ns) + "/" + url.PathEscape(name) + "/" + sub,
		RawQuery: out.Encode(),
	}, nil
}

// podContainer resolves the container a request names: any app or init container of
// the pod; none given is fine only when the pod has a single app container.
func podContainer(pod *api.Pod, want string) (string, error) {
	var names []string
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	if want == "" {
		if len(pod.Spec.Containers) == 1 {
			return pod.Spec.Containers[0].Name, nil
		}
		return "", api.NewError(api.ReasonBadRequest,
			"a container name must be specified for pod %q, choose one of: [%s]", pod.Name, strings.Join(names, " "))
	}
	for _, n := range names {
		if n == want {
			return want, nil
		}
	}
	return "", api.NewError(api.ReasonBadRequest,
		"container %q is not valid for pod %q, choose one of: [%s]", want, pod.Name, strings.Join(names, " "))
}

// agentAddr is host:port of a node's agent endpoint: its InternalIP and the port in
// status.daemonEndpoints.kubeletEndpoint.
func (s *Server) agentAddr(nodeName string) (string, error) {
	nodeRes, _ := api.ResourceForKind("Node")
	rec, ok := s.fsm.Get(nodeRes, "", nodeName)
	if !ok {
		return "", unavailable("node %q of the pod is not registered", nodeName)
	}
	node, ok := rec.Object.(*api.Node)
	if !ok {
		return "", api.NewError(api.ReasonInternalError, "node %q is stored as %T", nodeName, rec.Object)
	}
	ip := ""
	for _, a := range node.Status.Addresses {
		if a.Type == "InternalIP" && a.Address != "" {
			ip = a.Address
			break
		}
	}
	if ip == "" {
		return "", unavailable("node %q has no InternalIP address to reach its agent", nodeName)
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 || port > 65535 {
		port = defaultAgentPort
	}
	return net.JoinHostPort(ip, strconv.Itoa(port)), nil
}

func unavailable(format string, args ...any) *api.Error {
	e := api.NewError(api.ReasonServiceUnavailable, format, args...)
	e.Status.Details = &api.StatusDetails{RetryAfterSeconds: 1}
	return e
}
