// Package remote runs the deploy tool's commands on the cluster's machines
// over SSH (golang.org/x/crypto/ssh): password or key login, sudo with a
// password fed on stdin, host keys recorded on first contact and checked
// afterwards, timeouts, and errors that say in one line which host failed and
// why.
package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// Target is one machine to log in to.
type Target struct {
	Name    string // as in the inventory; used in messages
	Address string
	Port    int
	User    string
}

// Addr is host:port.
func (t Target) Addr() string { return net.JoinHostPort(t.Address, strconv.Itoa(t.Port)) }

// Auth is how to log in and become root.
type Auth struct {
	Password string // SSH password (-k); empty: key only
	KeyFile  string // private key tried first when it exists
	// Sudo is the sudo password (-K); without one, sudo must need none.
	Sudo    string
	HasSudo bool
}

// Kind classifies a failure on one host.
type Kind string

// What can go wrong with a host.
const (
	Unreachable Kind = "unreachable"
	LoginFailed Kind = "SSH login refused"
	SudoFailed  Kind = "sudo refused"
	HostKey     Kind = "host key"
)

// HostError is a failure on one host, printed as one line.
type HostError struct {
	Host string
	Addr string
	Kind Kind
	Msg  string
	Err  error
}

func (e *HostError) Error() string {
	s := fmt.Sprintf("%s (%s): %s", e.Host, e.Addr, e.Kind)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

func (e *HostError) Unwrap() error { return e.Err }

// Dialer logs in to targets.
type Dialer struct {
	Auth     Auth
	HostKeys *KnownHosts
	Timeout  time.Duration // per connection and handshake; 10 s when zero
}

// Client is a logged-in connection to one host.
type Client struct {
	Target Target
	conn   *ssh.Client
	auth   Auth
}

// Dial logs in to t.
func (d *Dialer) Dial(ctx context.Context, t Target) (*Client, error) {
	timeout := d.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	fail := func(k Kind, msg string, err error) error {
		return &HostError{Host: t.Name, Addr: t.Addr(), Kind: k, Msg: msg, Err: err}
	}
	methods, err := d.authMethods()
	if err != nil {
		return nil, fail(LoginFailed, err.Error(), err)
	}
	cfg := &ssh.ClientConfig{
		User:            t.User,
		Auth:            methods,
		HostKeyCallback: d.HostKeys.Callback(t.Name),
		Timeout:         timeout,
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(dctx, "tcp", t.Addr())
	if err != nil {
		return nil, fail(Unreachable, netReason(err), err)
	}
	_ = nc.SetDeadline(time.Now().Add(timeout))
	c, chans, reqs, err := ssh.NewClientConn(nc, t.Addr(), cfg)
	if err != nil {
		nc.Close()
		var hk *HostKeyError
		switch {
		case errors.As(err, &hk):
			return nil, fail(HostKey, hk.Error(), err)
		case strings.Contains(err.Error(), "unable to authenticate"):
			how := "wrong password or key"
			if d.Auth.Password == "" {
				how = "no key accepted; pass -k to log in with a password"
			}
			return nil, fail(LoginFailed, fmt.Sprintf("user %q: %s", t.User, how), err)
		default:
			return nil, fail(Unreachable, "SSH handshake failed: "+err.Error(), err)
		}
	}
	_ = nc.SetDeadline(time.Time{})
	return &Client{Target: t, conn: ssh.NewClient(c, chans, reqs), auth: d.Auth}, nil
}

func netReason(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "no answer (timed out)"
	case strings.Contains(err.Error(), "connection refused"):
		return "connection refused (is sshd running on that port?)"
	}
	return err.Error()
}

func (d *Dialer) authMethods() ([]ssh.AuthMethod, error) {
	var m []ssh.AuthMethod
	if d.Auth.KeyFile != "" {
		pem, err := os.ReadFile(d.Auth.KeyFile)
		switch {
		case err == nil:
			signer, err := ssh.ParsePrivateKey(pem)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", d.Auth.KeyFile, err)
			}
			m = append(m, ssh.PublicKeys(signer))
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	if pw := d.Auth.Password; pw != "" {
		m = append(m, ssh.Password(pw), ssh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			a := make([]string, len(qs))
			for i := range a {
				a[i] = pw
			}
			return a, nil
		}))
	}
	return m, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Result is what a remote command did.
type Result struct {
	Stdout, Stderr string
	Exit           int
}

// OK reports a zero exit status.
func (r Result) OK() bool { return r.Exit == 0 }

// Run runs cmd through the login shell with stdin. A non-zero exit is not an
// error (see Result.Exit); a lost connection or ctx's end is.
func (c *Client) Run(ctx context.Context, cmd string, stdin io.Reader) (Result, error) {
	s, err := c.conn.NewSession()
	if err != nil {
		return Result{}, c.lost(err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	if stdin != nil {
		s.Stdin = stdin
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(cmd) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = s.Signal(ssh.SIGTERM)
		s.Close()
		return Result{}, c.lost(ctx.Err())
	}
	res := Result{Stdout: out.String(), Stderr: errb.String()}
	var ee *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.Exit = ee.ExitStatus()
	default:
		return res, c.lost(err)
	}
	return res, nil
}

func (c *Client) lost(err error) error {
	return &HostError{Host: c.Target.Name, Addr: c.Target.Addr(), Kind: Unreachable, Msg: "connection lost: " + err.Error(), Err: err}
}

// Sudo runs cmd as root with stdin (nil: none). With a sudo password, sudo
// reads it first on stdin (-S; it reads up to the newline and no further, so
// the command gets the rest), asked afresh each time (-k) so that the command
// never receives it; without one, sudo must not need a password (-n). A
// refused password is a HostError of kind SudoFailed; the command's own
// failure is in Result.Exit.
func (c *Client) Sudo(ctx context.Context, cmd string, stdin io.Reader) (Result, error) {
	wrapped := "sudo -n -- sh -c " + Quote(cmd)
	if c.auth.HasSudo {
		wrapped = "sudo -k -S -p '' -- sh -c " + Quote(cmd)
		rest := stdin
		if rest == nil {
			rest = strings.NewReader("")
		}
		stdin = io.MultiReader(strings.NewReader(c.auth.Sudo+"\n"), rest)
	}
	res, err := c.Run(ctx, wrapped, stdin)
	if err != nil {
		return res, err
	}
	if res.Exit != 0 {
		se := res.Stderr
		switch {
		case strings.Contains(se, "incorrect password") || strings.Contains(se, "Sorry, try again"):
			return res, &HostError{Host: c.Target.Name, Addr: c.Target.Addr(), Kind: SudoFailed, Msg: fmt.Sprintf("user %q: wrong sudo password", c.Target.User)}
		case strings.Contains(se, "a password is required"):
			return res, &HostError{Host: c.Target.Name, Addr: c.Target.Addr(), Kind: SudoFailed, Msg: fmt.Sprintf("user %q needs a sudo password: pass -K", c.Target.User)}
		case strings.Contains(se, "is not in the sudoers") || strings.Contains(se, "not allowed to execute"):
			return res, &HostError{Host: c.Target.Name, Addr: c.Target.Addr(), Kind: SudoFailed, Msg: fmt.Sprintf("user %q may not use sudo", c.Target.User)}
		case strings.Contains(se, "sudo: not found") || strings.Contains(se, "sudo: command not found"):
			return res, &HostError{Host: c.Target.Name, Addr: c.Target.Addr(), Kind: SudoFailed, Msg: "sudo is not installed"}
		}
	}
	return res, nil
}

// Quote makes s one word for a POSIX shell.
func Quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
