package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/egress"
)

// SetJobCheck installs the lookup that tells whether a job still runs; a
// token issued to a job is refused once it returns false. The job service
// is built after this service, so it is installed before serving starts.
func (s *Service) SetJobCheck(active func(ctx context.Context, key string) (bool, error)) {
	s.jobActive = active
}

func (s *Service) checkJobToken(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	if s.jobActive == nil {
		return auth.ErrBadToken
	}
	ok, err := s.jobActive(ctx, key)
	if err != nil {
		return err
	}
	if !ok {
		return auth.ErrBadToken.WithDetail("the job this token was issued to has ended")
	}
	return nil
}

// IssueJobToken is the KQI_TOKEN of a job: the launching user's rights in
// the tenant, valid only while the job runs (and at most lifetime).
func (s *Service) IssueJobToken(ctx context.Context, userID, tenantID int64, key string, lifetime time.Duration) (string, error) {
	u, err := s.db.Q().UserByID(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("job token for user %d: %w", userID, err)
	}
	tok, err := s.tokens.IssueJob(u.ID, u.Name, tenantID, u.TokenGeneration, key, lifetime)
	if err != nil {
		return "", err
	}
	return tok.Token, nil
}

// NotifyUser posts text to the user's Slack-compatible webhook, if the user
// set one, mentioning them as they asked. Failures are logged and never
// returned as errors of the caller's operation; the bool says whether a
// message was accepted.
func (s *Service) NotifyUser(ctx context.Context, userID int64, text string) bool {
	u, err := s.db.Q().UserByID(ctx, userID)
	if err != nil || u.SlackURL == "" {
		return false
	}
	if u.Mention != "" {
		text = "<@" + u.Mention + "> " + text
	}
	ok, err := s.postWebhook(ctx, u.SlackURL, text)
	if errors.Is(err, egress.ErrRefused) {
		s.log.Warn("job notification refused: the webhook points to an internal address", "user", u.Name)
	}
	return ok
}
