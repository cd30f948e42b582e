package api

import (
	"net/http"
	"reflect"
	"strings"
)

// Route is one endpoint: what it serves, who may call it and the Go types of
// its body and response. The router and the OpenAPI document are both built
// from the route table, so the document cannot miss an endpoint.
type Route struct {
	Method  string
	Path    string // ServeMux pattern path, e.g. /api/v2/admin/users/{id}
	Tag     string
	Summary string
	// Menus: the caller needs any one of them (403 + X-Permit-MenuCode
	// otherwise). Empty: any authenticated caller.
	Menus  []string
	Public bool // no token needed
	// RateLimited: the route may answer 429 with Retry-After.
	RateLimited bool
	Status      int // success status
	In          reflect.Type
	Out         reflect.Type
	// RawIn and RawOut name the media types of a body that is not JSON
	// (an uploaded file, an archive, an image).
	RawIn, RawOut []string
	Query         []Param
	Header        []Param // response headers
	Remote        bool    // calls another server (git, registry): may answer 502
	handle        func(w http.ResponseWriter, r *http.Request) error
}

// Param documents a query parameter or response header.
type Param struct {
	Name, Type, Description string
}

// NoContent is the Out type of endpoints that answer 204.
type NoContent struct{}

// Raw marks an Out type the handler writes itself (not JSON).
type Raw struct{}

func newRoute[Out any](method, path string, h func(w http.ResponseWriter, r *http.Request) error) *Route {
	rt := &Route{Method: method, Path: path, Status: http.StatusOK, Out: reflect.TypeFor[Out](), handle: h}
	switch rt.Out {
	case reflect.TypeFor[NoContent]():
		rt.Status, rt.Out = http.StatusNoContent, nil
	case reflect.TypeFor[Raw]():
		rt.Out = nil
	}
	return rt
}

// endpoint is a route without a request body.
func endpoint[Out any](method, path string, fn func(r *http.Request) (Out, error)) *Route {
	var rt *Route
	rt = newRoute[Out](method, path, func(w http.ResponseWriter, r *http.Request) error {
		out, err := fn(r)
		if err != nil {
			return err
		}
		return writeOut(w, rt.Status, out)
	})
	return rt
}

// bodyEndpoint is a route that decodes a JSON body of type In.
func bodyEndpoint[In, Out any](method, path string, fn func(r *http.Request, in In) (Out, error)) *Route {
	var rt *Route
	rt = newRoute[Out](method, path, func(w http.ResponseWriter, r *http.Request) error {
		var in In
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		out, err := fn(r, in)
		if err != nil {
			return err
		}
		return writeOut(w, rt.Status, out)
	})
	rt.In = reflect.TypeFor[In]()
	return rt
}

func writeOut(w http.ResponseWriter, status int, out any) error {
	if _, ok := out.(NoContent); ok {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, status, out)
	return nil
}

// Accepts documents a non-JSON request body of the given media types.
func (rt *Route) Accepts(media ...string) *Route { rt.RawIn = media; return rt }

// Produces documents a non-JSON response of the given media types.
func (rt *Route) Produces(media ...string) *Route { rt.RawOut = media; return rt }

// Doc sets the OpenAPI tag and summary.
func (rt *Route) Doc(tag, summary string) *Route { rt.Tag, rt.Summary = tag, summary; return rt }

// Perm requires any of the menus.
func (rt *Route) Perm(menus ...string) *Route { rt.Menus = menus; return rt }

// Anon lets callers without a token in.
func (rt *Route) Anon() *Route { rt.Public = true; return rt }

// Limited documents that the route may refuse with 429.
func (rt *Route) Limited() *Route { rt.RateLimited = true; return rt }

// Calls documents that the route calls another server and may answer 502.
func (rt *Route) Calls() *Route { rt.Remote = true; return rt }

// Code sets the success status.
func (rt *Route) Code(status int) *Route { rt.Status = status; return rt }

// Q documents query parameters.
func (rt *Route) Q(params ...Param) *Route { rt.Query = append(rt.Query, params...); return rt }

// Paged documents the paging parameters and the X-Total-Count header.
func (rt *Route) Paged() *Route {
	rt.Query = append(rt.Query,
		Param{"page", "integer", "page number, from 1"},
		Param{"perPage", "integer", "items per page, at most 1000 (default 1000)"},
		Param{"withTotal", "boolean", "set X-Total-Count to the number of items before paging"})
	rt.Header = append(rt.Header, Param{"X-Total-Count", "integer", "items before paging (withTotal=true)"})
	return rt
}

// Pattern is the ServeMux pattern of the route.
func (rt *Route) Pattern() string { return rt.Method + " " + rt.Path }

// PathParams lists the {names} in the path.
func (rt *Route) PathParams() []string {
	var out []string
	for _, seg := range strings.Split(rt.Path, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(seg, "{"), "}"))
		}
	}
	return out
}
