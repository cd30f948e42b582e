package local

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The control socket: a client writes one request line, the supervisor
// answers on the same connection.
//
//	watch   the job's status as JSON lines, now and on every change; the
//	        connection closes after the terminal status (written to
//	        state.json first)
//	logs    the log from its start, then live, until the job ends
//	cancel  "ok", then the job is canceled
const (
	reqWatch  = "watch"
	reqLogs   = "logs"
	reqCancel = "cancel"
)

// socketPath reaches path through /proc/self/fd when it is longer than a
// unix socket address may be (108 bytes); the returned func releases the
// directory descriptor.
func socketPath(path string) (string, func(), error) {
	if len(path) < 100 {
		return path, func() {}, nil
	}
	fd, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	return "/proc/self/fd/" + strconv.Itoa(fd) + "/" + filepath.Base(path), func() { unix.Close(fd) }, nil
}

// listenControl creates the job's control socket; the server makes it and
// hands it to the supervisor, so that it can connect at once.
func listenControl(dir string) (*os.File, error) {
	p, release, err := socketPath(filepath.Join(dir, sockFile))
	if err != nil {
		return nil, err
	}
	defer release()
	_ = os.Remove(filepath.Join(dir, sockFile))
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on control socket: %w", err)
	}
	l.SetUnlinkOnClose(false)
	defer l.Close()
	return l.File()
}

// dialControl connects to a job's supervisor and sends req.
func dialControl(ctx context.Context, dir, req string) (net.Conn, error) {
	p, release, err := socketPath(filepath.Join(dir, sockFile))
	if err != nil {
		return nil, err
	}
	defer release()
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "unix", p)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(req + "\n")); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// readRequest reads the request line of a connection.
func readRequest(c net.Conn) (string, *bufio.Reader, error) {
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	_ = c.SetReadDeadline(time.Time{})
	return strings.TrimSpace(line), br, err
}
