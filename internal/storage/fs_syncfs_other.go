//go:build !linux

package storage

import "os"

// syncTemps fsyncs each of the batch's files: syncfs(2) is Linux only.
func syncTemps(root *os.Root, names []string) error {
	for _, n := range names {
		f, err := root.OpenFile(n, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
