//go:build tools

// Package helm pins the Helm CLI the chart tests run (helm lint, helm template, helm install against the e2e
// control plane). scripts/helm.sh builds it from this module:
//
//	go build helm.sh/helm/v4/cmd/helm
//
// The build tag keeps this file out of every build; go mod tidy still reads its imports.
package helm

import (
	_ "helm.sh/helm/v4/cmd/helm"
)
