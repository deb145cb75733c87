// Package endpoint is the node agent's HTTP endpoint for logs and exec (contract 5 of
// issue 3): GET /healthz, GET /v1/pods/{namespace}/{name}/log and the upgraded
// POST /v1/pods/{namespace}/{name}/exec speaking api's framed exec protocol.
//
// It is only the HTTP side: a Backend (the agent, over its container runtime) finds
// the pod's container and does the work. It is not the server's proxy, which lives in
// package server and forwards the API paths here.
package endpoint
