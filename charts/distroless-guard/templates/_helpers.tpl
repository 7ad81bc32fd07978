{{/*
Object names are fixed (distroless-guard…), not derived from the release name: the webhook configurations, the CRD and
the ClusterRole are cluster-wide, so there is one guard per cluster, and the names are the ones the kustomize install
and serve's defaults use (--webhook-configuration, the Lease, the TLS Secret).
*/}}

{{/* The label every selector uses: the same as the kustomize install's, so a Deployment moves between the two. */}}
{{- define "distroless-guard.selectorLabels" -}}
app.kubernetes.io/name: distroless-guard
{{- end }}

{{/* The release's labels, on every object the chart renders. */}}
{{- define "distroless-guard.releaseLabels" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "distroless-guard.labels" -}}
{{ include "distroless-guard.selectorLabels" . }}
{{ include "distroless-guard.releaseLabels" . }}
{{- end }}

{{/* repository[:tag][@digest]; the tag defaults to appVersion unless a digest pins the image. */}}
{{- define "distroless-guard.image" -}}
{{- $tag := .Values.image.tag -}}
{{- if and (not $tag) (not .Values.image.digest) -}}{{- $tag = .Chart.AppVersion -}}{{- end -}}
{{- .Values.image.repository -}}
{{- if $tag -}}:{{ $tag }}{{- end -}}
{{- if .Values.image.digest -}}@{{ .Values.image.digest }}{{- end -}}
{{- end }}

{{- define "distroless-guard.selfManaged" -}}
{{- if eq .Values.certificates.source "self-managed" -}}true{{- end -}}
{{- end }}

{{/* What both webhooks judge: pods, kubectl debug's ephemeral containers and every pod-template workload. */}}
{{- define "distroless-guard.webhookRules" -}}
- apiGroups: [""]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"]
- apiGroups: ["apps"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["deployments", "replicasets", "statefulsets", "daemonsets"]
- apiGroups: ["batch"]
  apiVersions: ["v1"]
  operations: ["CREATE", "UPDATE"]
  resources: ["jobs", "cronjobs"]
{{- end }}

{{/* Never the release namespace nor kube-system, so a broken webhook cannot block its own repair; then the user's terms. */}}
{{- define "distroless-guard.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: [{{ .Release.Namespace | quote }}, "kube-system"]
{{- with .Values.webhook.namespaceSelector.matchExpressions }}
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .Values.webhook.namespaceSelector.matchLabels }}
matchLabels:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end }}
