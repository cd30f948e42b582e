{{/* Labels of every object of the release. */}}
{{- define "kamonohashi.labels" -}}
app.kubernetes.io/name: kamonohashi
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The node selector pinning a pod to the kamonohashi node. */}}
{{- define "kamonohashi.pin" -}}
{{- with .Values.kamonohashiNode }}
nodeSelector:
  kubernetes.io/hostname: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
A generated secret: the value given, else the existing Secret's (kept
across upgrades), else a new random one. Call with (list $ "key" value).
*/}}
{{- define "kamonohashi.secret" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $given := index . 2 -}}
{{- $old := lookup "v1" "Secret" $root.Release.Namespace "kamonohashi" -}}
{{- $kept := "" -}}
{{- if and $old $old.data -}}{{- $kept = index $old.data $key | default "" | b64dec -}}{{- end -}}
{{- $given | default $kept | default (randAlphaNum 32) -}}
{{- end }}

{{- define "kamonohashi.dbHost" -}}
{{- .Values.database.host | default "kamonohashi-postgresql:5432" -}}
{{- end }}
