// Package prompt asks the deploy tool's questions in Japanese or English:
// plain answers, hidden passwords (golang.org/x/term when the input is a
// terminal), and the rules their answers must follow (the admin password
// policy, comma-separated node lists without blanks or duplicates).
package prompt

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/term"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
)

// MaxTries is how often a question is asked before the tool gives up.
const MaxTries = 3

// Prompter asks questions on out and reads answers from in.
type Prompter struct {
	Lang Lang
	in   *bufio.Reader
	fd   int // in's descriptor when it is a terminal, else -1
	out  io.Writer
}

// New returns a prompter reading in and writing out. When in is a terminal,
// passwords are read without echo.
func New(in io.Reader, out io.Writer, lang Lang) *Prompter {
	p := &Prompter{Lang: lang, in: bufio.NewReader(in), fd: -1, out: out}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.fd = int(f.Fd())
	}
	return p
}

// Line asks m and returns the trimmed answer (or def when the answer is empty
// and def is not).
func (p *Prompter) Line(m Msg, def string, args ...any) (string, error) {
	q := T(p.Lang, m, args...)
	if def != "" {
		q += " [" + def + "]"
	}
	fmt.Fprint(p.out, q+": ")
	line, err := p.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		fmt.Fprintln(p.out)
		return "", fmt.Errorf("%s: no answer: %w", q, err)
	}
	if s := strings.TrimSpace(line); s != "" {
		return s, nil
	}
	return def, nil
}

// Secret asks m without echo when the input is a terminal.
func (p *Prompter) Secret(m Msg) (string, error) {
	q := T(p.Lang, m)
	fmt.Fprint(p.out, q+": ")
	if p.fd >= 0 {
		b, err := term.ReadPassword(p.fd)
		fmt.Fprintln(p.out)
		if err != nil {
			return "", fmt.Errorf("%s: %w", q, err)
		}
		return string(b), nil
	}
	line, err := p.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		fmt.Fprintln(p.out)
		return "", fmt.Errorf("%s: no answer: %w", q, err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Until asks with ask until check accepts the answer, printing each refusal's
// reason; after MaxTries refusals it gives up with the last reason.
func (p *Prompter) Until(ask func() (string, error), check func(string) error) (string, error) {
	var last error
	for range MaxTries {
		a, err := ask()
		if err != nil {
			return "", err
		}
		if last = check(a); last == nil {
			return a, nil
		}
		fmt.Fprintln(p.out, "  ! "+last.Error())
	}
	return "", fmt.Errorf("%s: %w", T(p.Lang, ErrGiveUp, MaxTries), last)
}

// Confirm asks a y/n question; only y or yes agree.
func (p *Prompter) Confirm(m Msg, args ...any) (bool, error) {
	a, err := p.Line(m, "", args...)
	if err != nil {
		return false, err
	}
	a = strings.ToLower(a)
	return a == "y" || a == "yes", nil
}

// CheckAdminPassword applies the install guide's rule to the admin password
// (the server's own policy, auth.CheckPassword) and says why in l.
func CheckAdminPassword(l Lang, pw string) error {
	err := auth.CheckPassword(pw)
	switch {
	case err == nil:
		return nil
	case len([]rune(pw)) < auth.MinPasswordLength:
		return Errorf(l, ErrTooShort, auth.MinPasswordLength)
	case strings.IndexFunc(pw, func(r rune) bool { return !unicode.IsDigit(r) }) < 0:
		return Errorf(l, ErrDigitsOnly)
	}
	return err
}

// NonEmpty refuses an empty answer.
func NonEmpty(l Lang) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return Errorf(l, ErrEmpty)
		}
		return nil
	}
}

// HostSpec is a host as typed: a name and an optional SSH port (name:port).
type HostSpec struct {
	Name string
	Port int // 0: the default
}

// ParseHost reads "name" or "name:port".
func ParseHost(l Lang, s string) (HostSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return HostSpec{}, Errorf(l, ErrEmpty)
	}
	name, port, ok := strings.Cut(s, ":")
	if !ok {
		return HostSpec{Name: s}, nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || name == "" {
		return HostSpec{}, Errorf(l, ErrBadPort, s)
	}
	return HostSpec{Name: name, Port: n}, nil
}

// ParseHostList reads a comma-separated list of hosts, refusing blank
// entries and names listed twice.
func ParseHostList(l Lang, s string) ([]HostSpec, error) {
	if strings.TrimSpace(s) == "" {
		return nil, Errorf(l, ErrEmpty)
	}
	var out []HostSpec
	seen := map[string]bool{}
	for i, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			return nil, Errorf(l, ErrBlankEntry, i+1)
		}
		h, err := ParseHost(l, f)
		if err != nil {
			return nil, err
		}
		if seen[h.Name] {
			return nil, Errorf(l, ErrDuplicate, h.Name)
		}
		seen[h.Name] = true
		out = append(out, h)
	}
	return out, nil
}
