package client

import (
	"bufio"
	"context"
	"io"
	"net/url"
	"strings"
)

// Event is one Server-Sent Event.
type Event struct {
	Name string
	Data string
}

// Events GETs an event stream at path and calls fn for each event until
// the stream ends, fn fails or ctx is done.
func (c *Client) Events(ctx context.Context, path string, query url.Values, fn func(Event) error) error {
	rc, err := c.Open(ctx, path, query)
	if err != nil {
		return err
	}
	defer rc.Close()
	err = ReadEvents(rc, fn)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ReadEvents parses the text/event-stream format: "event:" and "data:"
// lines up to a blank line; comments (keep-alives) are skipped.
func ReadEvents(r io.Reader, fn func(Event) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var ev Event
	var data []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.Name != "" || len(data) > 0 {
				ev.Data = strings.Join(data, "\n")
				if ev.Name == "" {
					ev.Name = "message"
				}
				if err := fn(ev); err != nil {
					return err
				}
			}
			ev, data = Event{}, nil
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				ev.Name = value
			case "data":
				data = append(data, value)
			}
		}
	}
	return sc.Err()
}
