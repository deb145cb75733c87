// Package informer lists then watches one kind through the API client,
// re-listing after 410 Gone or a broken stream, with back-off.
//
// An Informer hands its user every fresh list whole (Replace) and every
// ADDED, MODIFIED and DELETED event after it (Event); BOOKMARKs only move its
// cursor. It keeps no cache: the service proxy, the network policy enforcer,
// the ingress, the node-local DNS, the pod sync of an agent and of the hollow
// nodes each keep their own state, shaped for what they build from it.
//
// It is not a shared informer (one watch per kind and process, fanned out):
// each user opens its own, with its own field selector.
package informer
