package cluster

import (
	"regexp"

	"github.com/kamonohashi-go/kamonohashi/internal/apperr"
)

// The original's quota screen allows at most these (reference §9 Quota).
const (
	MaxQuotaCPU    = 250
	MaxQuotaMemory = 500 // GB
	MaxQuotaGPU    = 16
)

var (
	// A Kubernetes node name is a DNS subdomain (RFC 1123).
	nodeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	// A partition becomes the value of the node label kqi.partition.
	labelValueRE = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
)

// CheckNodeName checks that name can be a Kubernetes node name.
func CheckNodeName(name string) error {
	switch {
	case name == "":
		return apperr.Invalid("name is required").WithDetail("enter the node's name as Kubernetes (or the local runner) knows it")
	case len(name) > 253:
		return apperr.Invalid("name is %d characters long; a node name has at most 253", len(name))
	case !nodeNameRE.MatchString(name):
		return apperr.Invalid("name %q is not a valid node name", name).
			WithDetail("use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit")
	}
	return nil
}

// CheckPartition checks that a partition (empty: none) can be a label value.
func CheckPartition(p string) error {
	switch {
	case p == "":
		return nil
	case len(p) > 63:
		return apperr.Invalid("partition is %d characters long; a partition has at most 63", len(p))
	case !labelValueRE.MatchString(p):
		return apperr.Invalid("partition %q is not valid", p).
			WithDetail("use letters, digits, '-', '_' and '.', starting and ending with a letter or digit")
	}
	return nil
}

// CheckQuota checks one tenant's quota: 0 (unlimited) up to the original's caps.
func CheckQuota(cpu, memory, gpu int) error {
	for _, f := range []struct {
		name       string
		value, max int
	}{{"cpu", cpu, MaxQuotaCPU}, {"memory", memory, MaxQuotaMemory}, {"gpu", gpu, MaxQuotaGPU}} {
		if f.value < 0 || f.value > f.max {
			return apperr.Invalid("%s quota %d is out of range", f.name, f.value).
				WithDetail("enter 0 (unlimited) to %d", f.max)
		}
	}
	return nil
}
