package api

import (
	"net/http"

	"github.com/kamonohashi-go/kamonohashi/internal/auth"
	"github.com/kamonohashi-go/kamonohashi/internal/identity"
)

// SwitchTenantInput is the body of POST /account/tenants/{tenantId}/token.
type SwitchTenantInput struct {
	ExpiresIn *int64 `json:"expiresIn,omitempty"`
}

func (s *Server) accountRoutes() []*Route {
	const tag = "Account"
	m := auth.MenuCodeAccount
	return []*Route{
		bodyEndpoint("POST", "/api/v2/account/login", func(r *http.Request, in identity.LoginInput) (identity.LoginOutput, error) {
			return s.id.Login(r.Context(), in, s.clientAddr(r))
		}).Anon().Limited().Doc(tag, "Log in and get a token for the given or default tenant"),

		endpoint("GET", "/api/v2/account", func(r *http.Request) (identity.AccountOutput, error) {
			return s.id.Account(r.Context())
		}).Perm(m).Doc(tag, "The caller's account, tenants and roles"),

		endpoint("PUT", "/api/v2/account", func(r *http.Request) (identity.AccountOutput, error) {
			return s.id.SetDefaultTenant(r.Context(), query(r, "defaultTenant"))
		}).Perm(m).Q(Param{"defaultTenant", "string", "name of the tenant to select at login"}).
			Doc(tag, "Change the caller's default tenant"),

		bodyEndpoint("PUT", "/api/v2/account/displayName", func(r *http.Request, in StringOrObject) (NoContent, error) {
			return NoContent{}, s.id.SetOwnDisplayName(r.Context(), in.Value)
		}).Perm(m).Doc(tag, "Change the caller's display name (body: a JSON string)"),

		bodyEndpoint("PUT", "/api/v2/account/password", func(r *http.Request, in identity.PasswordInput) (NoContent, error) {
			return NoContent{}, s.id.ChangePassword(r.Context(), in)
		}).Perm(m).Limited().Doc(tag, "Change the caller's password; tokens issued before stop working"),

		bodyEndpoint("POST", "/api/v2/account/tenants/{tenantId}/token", func(r *http.Request, in SwitchTenantInput) (identity.LoginOutput, error) {
			id, err := pathID(r, "tenantId")
			if err != nil {
				return identity.LoginOutput{}, err
			}
			return s.id.SwitchTenant(r.Context(), id, in.ExpiresIn)
		}).Perm(m).Doc(tag, "Get a token for another of the caller's tenants (also mints long-lived CLI tokens)"),

		endpoint("GET", "/api/v2/account/menus/tree", func(r *http.Request) ([]identity.MenuItem, error) {
			p, err := auth.FromContext(r.Context())
			if err != nil {
				return nil, err
			}
			return identity.MenuTree(p, lang(r)), nil
		}).Q(Param{"lang", "string", "ja (default) or en"}).Doc(tag, "Side menu the caller may open"),

		endpoint("GET", "/api/v2/account/menus/list", func(r *http.Request) ([]identity.MenuCard, error) {
			p, err := auth.FromContext(r.Context())
			if err != nil {
				return nil, err
			}
			return identity.MenuList(p, lang(r)), nil
		}).Perm(m).Q(Param{"lang", "string", "ja (default) or en"}).Doc(tag, "Dashboard cards the caller may open"),

		endpoint("GET", "/api/v2/account/gits", func(r *http.Request) (identity.GitInfo, error) {
			return s.id.AccountGits(r.Context())
		}).Perm(m).Doc(tag, "Git endpoints of the connected tenant with the caller's tokens"),

		bodyEndpoint("PUT", "/api/v2/account/gits", func(r *http.Request, in identity.GitCredentialInput) (identity.GitCredentialView, error) {
			return s.id.SetAccountGit(r.Context(), in)
		}).Perm(m).Doc(tag, "Set the caller's token for a git endpoint (stored encrypted)"),

		endpoint("GET", "/api/v2/account/registries", func(r *http.Request) (identity.RegistryInfo, error) {
			return s.id.AccountRegistries(r.Context())
		}).Perm(m).Doc(tag, "Registries of the connected tenant with the caller's credentials"),

		bodyEndpoint("PUT", "/api/v2/account/registries", func(r *http.Request, in identity.RegistryCredentialInput) (identity.RegistryCredentialView, error) {
			return s.id.SetAccountRegistry(r.Context(), in)
		}).Perm(m).Doc(tag, "Set the caller's registry credentials (password stored encrypted)"),

		endpoint("GET", "/api/v2/account/webhook/slack", func(r *http.Request) (identity.Webhook, error) {
			return s.id.GetWebhook(r.Context())
		}).Perm(m).Doc(tag, "The caller's Slack-compatible webhook"),

		bodyEndpoint("PUT", "/api/v2/account/webhook/slack", func(r *http.Request, in identity.Webhook) (NoContent, error) {
			return NoContent{}, s.id.SetWebhook(r.Context(), in)
		}).Perm(m).Doc(tag, "Set the caller's Slack-compatible webhook (empty slackUrl = none)"),

		bodyEndpoint("POST", "/api/v2/account/webhook/slack/test", func(r *http.Request, in identity.Webhook) (bool, error) {
			return s.id.TestWebhook(r.Context(), in)
		}).Perm(m).Doc(tag, "Send a test message to a webhook; true when it was accepted"),
	}
}
