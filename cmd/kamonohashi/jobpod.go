package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/kamonohashi-go/kamonohashi/internal/jobcontract"
)

// The commands of a Kubernetes job's containers besides prepare: exec in
// the user's image (main) and finish --wait as the sidecar.

// execCmd runs the user's command in container main, then waits (bounded)
// for the finish sidecar before exiting with the command's code, so that
// the pod ends only once the output is zipped and, with S3, uploaded.
func execCmd(readJob func() (jobcontract.Job, error), spec *string) *cobra.Command {
	var finishWait time.Duration
	c := &cobra.Command{
		Use:   "exec --spec FILE",
		Short: "Run the user's command in a job's main container, logging into the attach directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			j, err := readJob()
			if err != nil {
				return err
			}
			env := os.Environ()
			for k, v := range j.Layout.Env() {
				env = append(env, k+"="+v)
			}
			code, err := jobcontract.Exec(cmd.Context(), j, env, os.Stdout)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), finishWait)
			defer cancel()
			if err := jobcontract.AwaitFile(ctx, j.Layout.DonePath()); err != nil {
				fmt.Fprintf(os.Stderr, "kamonohashi: finish did not report within %s: %v\n", finishWait, err)
			}
			os.Exit(code)
			return nil
		},
	}
	c.Flags().StringVar(spec, "spec", "", "the job as JSON (spec and layout)")
	_ = c.MarkFlagRequired("spec")
	c.Flags().DurationVar(&finishWait, "finish-timeout", 30*time.Minute, "how long to wait for the finish sidecar")
	return c
}

// finishSidecar waits for the command's end, finishes the job (zip,
// result), uploads output and attach when the storage is not mounted,
// marks itself done and waits to be stopped with the pod.
func finishSidecar(ctx context.Context, j jobcontract.Job, upload string) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	res, err := jobcontract.AwaitExit(ctx, j.Layout)
	if errors.Is(err, context.Canceled) {
		log.Info("stopped before the command ended (canceled, or killed by the memory limit)")
		return nil
	}
	if err != nil {
		return err
	}
	err = jobcontract.Finish(ctx, j, res)
	if upload != "" {
		token := j.Spec.Env["KQI_TOKEN"]
		for _, a := range []struct{ area, dir string }{{"output", j.Layout.Output}, {"attach", j.Layout.Attach}} {
			if uerr := jobcontract.Upload(ctx, upload, j.Spec.Key, token, a.area, a.dir); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
	}
	if err != nil {
		log.Error("finish", "job", j.Spec.Key, "error", err)
	}
	if werr := jobcontract.WriteFileAtomic(j.Layout.DonePath(), []byte(fmt.Sprintln(err))); werr != nil {
		return errors.Join(err, werr)
	}
	<-ctx.Done() // the kubelet stops sidecars once main has exited
	return err
}

// installSelf copies this binary into dir for the job's main container.
func installSelf(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	src, err := os.Open(self)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	dst, err := os.OpenFile(filepath.Join(dir, "kamonohashi"), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
