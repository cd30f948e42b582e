package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncTemps makes the batch's files durable with one syncfs(2) of the
// root's file system: far cheaper than an fsync per small file. (The
// names do not matter here; other systems sync them one by one.)
func syncTemps(root *os.Root, _ []string) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	rc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Syncfs(int(fd)) }); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "syncfs", Path: d.Name(), Err: serr}
	}
	return nil
}
