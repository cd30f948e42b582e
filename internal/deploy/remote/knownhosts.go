package remote

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// KnownHosts keeps the host keys of the cluster's machines in an OpenSSH
// known_hosts file. First contact policy: a host not in the file is trusted
// and recorded (as OpenSSH's StrictHostKeyChecking=accept-new), and its key's
// fingerprint is printed; with Strict, an unknown host is refused instead. A
// key that differs from the recorded one is always refused.
type KnownHosts struct {
	File   string
	Strict bool
	Out    io.Writer // where first contacts are announced; nil: silent
	mu     sync.Mutex
}

// HostKeyError says why a host key was refused.
type HostKeyError struct {
	Host, Fingerprint, File string
	Changed                 bool
}

func (e *HostKeyError) Error() string {
	if e.Changed {
		return fmt.Sprintf("the host key changed (now %s); if the machine was reinstalled, remove its line from %s", e.Fingerprint, e.File)
	}
	return fmt.Sprintf("unknown host key %s; not recorded in %s (run without --strict-host-keys once to accept it)", e.Fingerprint, e.File)
}

// Callback checks the key of the host named name.
func (k *KnownHosts) Callback(name string) ssh.HostKeyCallback {
	return func(addr string, remote net.Addr, key ssh.PublicKey) error {
		k.mu.Lock()
		defer k.mu.Unlock()
		if err := os.MkdirAll(filepath.Dir(k.File), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(k.File, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		check, err := knownhosts.New(k.File)
		if err != nil {
			return fmt.Errorf("read %s: %w", k.File, err)
		}
		err = check(addr, remote, key)
		var ke *knownhosts.KeyError
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &ke):
			return err
		case len(ke.Want) > 0:
			return &HostKeyError{Host: name, Fingerprint: ssh.FingerprintSHA256(key), File: k.File, Changed: true}
		case k.Strict:
			return &HostKeyError{Host: name, Fingerprint: ssh.FingerprintSHA256(key), File: k.File}
		}
		if _, err := fmt.Fprintln(f, knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)); err != nil {
			return err
		}
		if k.Out != nil {
			fmt.Fprintf(k.Out, "%s: first contact, host key %s recorded in %s\n", name, ssh.FingerprintSHA256(key), k.File)
		}
		return nil
	}
}
