package api

import (
	"html/template"
	"net/http"
)

// The web console is served here once it is built into the binary; until
// then / says where the API and its description are.
var homeTmpl = template.Must(template.New("home").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KAMONOHASHI</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:3em auto">
<h1>KAMONOHASHI {{.}}</h1>
<p>The API is served at <code>/api/v2</code>; its description is <a href="/api/openapi.json">/api/openapi.json</a>.
Log in with <code>POST /api/v2/account/login</code>.</p>
<p>API は <code>/api/v2</code> で提供しています。仕様は <a href="/api/openapi.json">/api/openapi.json</a> です。</p>
</body></html>`))

func (s *Server) home(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = homeTmpl.Execute(w, s.version)
}
