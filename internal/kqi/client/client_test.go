package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadEvents(t *testing.T) {
	in := ": keep-alive\n\nevent: log\ndata: \"a\\n\"\n\nevent: log\ndata: one\ndata: two\n\nevent: end\ndata: {\"status\":\"KQI-Completed\"}\n\n"
	var got []Event
	if err := ReadEvents(strings.NewReader(in), func(e Event) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Event{{"log", `"a\n"`}, {"log", "one\ntwo"}, {"end", `{"status":"KQI-Completed"}`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v2/expired":
			w.WriteHeader(http.StatusUnauthorized)
		case "/api/v2/refused":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"title":"dataset 12 is used by training 40","detail":"copy it to edit"}`))
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("<html>not here</html>"))
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, "tok", Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Do(ctx, "GET", "/expired", nil, nil, nil); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("401: %v, want ErrUnauthorized", err)
	}
	var ae *APIError
	if err := c.Do(ctx, "GET", "/refused", nil, nil, nil); !errors.As(err, &ae) || ae.Status != 409 ||
		err.Error() != "dataset 12 is used by training 40: copy it to edit (HTTP 409)" {
		t.Errorf("409: %v", err)
	}
	var ne *NetworkError
	if err := c.Do(ctx, "GET", "/other-site", nil, nil, nil); !errors.As(err, &ne) {
		t.Errorf("an HTML 404: %v, want a NetworkError", err)
	}
	dead, _ := New("http://127.0.0.1:1", "", Options{Timeout: time.Second})
	if err := dead.Do(ctx, "GET", "/x", nil, nil, nil); !errors.As(err, &ne) {
		t.Errorf("a closed port: %v, want a NetworkError", err)
	}
	if _, err := New("kamonohashi:8080", "", Options{}); err == nil {
		t.Errorf("a server without scheme was accepted")
	}
}
