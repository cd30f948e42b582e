// Package client speaks KAMONOHASHI's v2 REST API for kqi: JSON calls with
// the user's token, the API's error body turned into Go errors that say
// what to do, and the live log's Server-Sent Events.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ErrUnauthorized is a 401: the token is missing, expired or revoked.
var ErrUnauthorized = errors.New("the login has expired or was revoked: run `kqi account login`")

// APIError is a refusal of the server, from its {type,title,detail} body.
type APIError struct {
	Status int
	Title  string
	Detail string
}

func (e *APIError) Error() string {
	msg := e.Title
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Detail != "" && e.Detail != e.Title {
		msg += ": " + e.Detail
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

// NetworkError is a server that could not be reached or did not answer.
type NetworkError struct {
	Server string
	Err    error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("cannot reach %s: %v (check the server URL with `kqi account login -s URL`)", e.Server, rootCause(e.Err))
}

func (e *NetworkError) Unwrap() error { return e.Err }

// rootCause drops the url.Error wrapping that repeats the method and URL.
func rootCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Client calls one server with one token.
type Client struct {
	server  string
	token   string
	api     *http.Client // ordinary calls, bounded by the configured timeout
	long    *http.Client // uploads, downloads and streams: no overall deadline
	agent   string
	timeout time.Duration
}

// Options are the connection settings of config.json.
type Options struct {
	Proxy   string
	Timeout time.Duration
	Agent   string
}

// New returns a client of server (scheme://host[:port]).
func New(server, token string, o Options) (*Client, error) {
	server = strings.TrimRight(strings.TrimSpace(server), "/")
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server %q is not a URL like http://kamonohashi.example.com", server)
	}
	proxy := http.ProxyFromEnvironment
	if o.Proxy != "" {
		pu, err := url.Parse(o.Proxy)
		if err != nil || pu.Host == "" {
			return nil, fmt.Errorf("proxy %q is not a URL like http://user:password@host:port", o.Proxy)
		}
		proxy = http.ProxyURL(pu)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = proxy
	tr.MaxIdleConnsPerHost = 64
	tr.ResponseHeaderTimeout = 10 * time.Minute
	return &Client{server: server, token: token, agent: o.Agent, timeout: o.Timeout,
		api: &http.Client{Transport: tr, Timeout: o.Timeout}, long: &http.Client{Transport: tr}}, nil
}

// Heavy is the client for calls the server may take long over (registering
// thousands of files, deleting a data): 30 times the timeout, as the
// original's heavy calls.
func (c *Client) Heavy() *Client {
	h := *c
	h.api = &http.Client{Transport: c.api.Transport, Timeout: 30 * c.timeout}
	return &h
}

// Server is the base URL the client calls.
func (c *Client) Server() string { return c.server }

// Transfers is the HTTP client for signed URLs: no token, no deadline.
func (c *Client) Transfers() *http.Client { return c.long }

// Do sends in as JSON (when not nil) to path (under /api/v2) and decodes
// the answer into out (when not nil).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.send(ctx, c.api, method, path, query, body, "application/json", -1)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

// Send streams body (of contentType and size bytes, or -1 when unknown)
// to path and decodes the JSON answer into out. It has no deadline: the
// body may be gigabytes.
func (c *Client) Send(ctx context.Context, method, path string, query url.Values, contentType string, body io.Reader,
	size int64, out any) error {
	resp, err := c.send(ctx, c.long, method, path, query, body, contentType, size)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

// Open GETs path and returns the answer's body for the caller to read to
// its end (a log, an event stream).
func (c *Client) Open(ctx context.Context, path string, query url.Values) (io.ReadCloser, error) {
	resp, err := c.send(ctx, c.long, http.MethodGet, path, query, nil, "", -1)
	if err != nil {
		return nil, err
	}
	if err := check(resp); err != nil {
		resp.Body.Close()
		return nil, err
	}
	return resp.Body, nil
}

func (c *Client) send(ctx context.Context, hc *http.Client, method, path string, query url.Values,
	body io.Reader, contentType string, size int64) (*http.Response, error) {
	u := c.server + "/api/v2" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if size >= 0 && body != nil {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.agent != "" {
		req.Header.Set("User-Agent", c.agent)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ne net.Error
		var ue *url.Error
		if errors.As(err, &ne) || errors.As(err, &ue) {
			return nil, &NetworkError{Server: c.server, Err: err}
		}
		return nil, err
	}
	return resp, nil
}

func decode(resp *http.Response, out any) error {
	if err := check(resp); err != nil {
		return err
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read the answer of %s: %w", resp.Request.URL.Path, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return notKamonohashi(resp, err)
	}
	return nil
}

// check turns an error status into an error; the body is left to close.
func check(resp *http.Response) error {
	if resp.StatusCode < 300 {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusUnauthorized {
		return ErrUnauthorized
	}
	var body struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(b, &body); err != nil || body.Title == "" {
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/") {
			return notKamonohashi(resp, fmt.Errorf("HTTP %d", resp.StatusCode))
		}
	}
	return &APIError{Status: resp.StatusCode, Title: body.Title, Detail: body.Detail}
}

// notKamonohashi is an answer that is not the API's: the server URL most
// likely points at another web site.
func notKamonohashi(resp *http.Response, err error) error {
	return &NetworkError{Server: resp.Request.URL.Scheme + "://" + resp.Request.URL.Host,
		Err: fmt.Errorf("%s does not answer as a KAMONOHASHI server (%v)", resp.Request.URL.Path, err)}
}
