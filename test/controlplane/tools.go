//go:build tools

// Package controlplane pins the programs of a local Kubernetes control plane for the
// end-to-end tests. scripts/control-plane.sh builds them from this module:
//
//	go build k8s.io/kubernetes/cmd/kube-apiserver
//	go build k8s.io/kubernetes/cmd/kube-controller-manager
//	go build k8s.io/kubernetes/cmd/kubectl
//	go build go.etcd.io/etcd/server/v3
//
// The build tag keeps this file out of every build; go mod tidy still reads its imports.
package controlplane

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
