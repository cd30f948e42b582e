package store

import "testing"

func TestSplitPassword(t *testing.T) {
	cases := map[string]struct{ in, url, pw string }{
		"with a password":    {"postgres://kqi:s3cr%2Ft@db:5432/kqi?sslmode=disable", "postgres://kqi@db:5432/kqi?sslmode=disable", "s3cr/t"},
		"without a password": {"postgres://kqi@db/kqi", "postgres://kqi@db/kqi", ""},
		"without a user":     {"postgres://db/kqi", "postgres://db/kqi", ""},
		"as a parameter":     {"postgres://kqi@db/kqi?password=s3cret&sslmode=disable", "postgres://kqi@db/kqi?sslmode=disable", "s3cret"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			url, pw, err := splitPassword(tc.in)
			if err != nil || url != tc.url || pw != tc.pw {
				t.Errorf("splitPassword(%q) = %q, %q, %v; want %q, %q", tc.in, url, pw, err, tc.url, tc.pw)
			}
		})
	}
}

func TestSplitPasswordRefusesKeywordForm(t *testing.T) {
	if _, _, err := splitPassword("host=db user=kqi password=s3cret dbname=kqi"); err == nil {
		t.Error("a keyword/value DSN was accepted; its password would reach the command line")
	}
}
