package access

import (
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/tokens"
)

// mountServiceTokens registers /accounts/{id}/access/service_tokens,
// guarded as Cloudflare guards them by "Access: Service Tokens Read/Write":
// a token that may edit applications and policies cannot mint machine
// credentials, and one that mints credentials cannot change who they admit.
func (s *Service) mountServiceTokens(rt *api.Router) {
	read, write := []string{tokens.ServiceTokensRead, tokens.ServiceTokensWrite}, []string{tokens.ServiceTokensWrite}
	base := "/accounts/{account_id}/access/service_tokens"
	one := base + "/{service_token_id}"
	rt.Handle(api.Route{Method: "POST", Path: base, Permissions: write, Handle: s.handleCreateServiceToken})
	rt.Handle(api.Route{Method: "GET", Path: base, Permissions: read, Handle: s.handleListServiceTokens})
	rt.Handle(api.Route{Method: "GET", Path: one, Permissions: read, Handle: s.handleGetServiceToken})
	rt.Handle(api.Route{Method: "PUT", Path: one, Permissions: write, Handle: s.handleUpdateServiceToken})
	rt.Handle(api.Route{Method: "DELETE", Path: one, Permissions: write, Handle: s.handleDeleteServiceToken})
	rt.Handle(api.Route{Method: "POST", Path: one + "/rotate", Permissions: write, Handle: s.handleRotateServiceToken})
	rt.Handle(api.Route{Method: "POST", Path: one + "/refresh", Permissions: write, Handle: s.handleRefreshServiceToken})
}

func serviceTokenID(r *api.Request) (string, error) { return r.PathID("service_token_id", ids.IsUUID) }

func (s *Service) handleCreateServiceToken(r *api.Request) (any, error) {
	var in ServiceTokenInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	t, err := s.CreateServiceToken(r.Context(), r.AccountID, in)
	if err != nil {
		return nil, err
	}
	return api.Reply{Status: api.Created, Result: t}, nil
}

func (s *Service) handleListServiceTokens(r *api.Request) (any, error) {
	page, err := r.Paging(25, 1, 1000)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	all, err := s.ListServiceTokens(r.Context(), r.AccountID, ServiceTokenFilter{Name: q.Get("name"), Search: q.Get("search")})
	if err != nil {
		return nil, err
	}
	return api.List(pageOf(all, page), page, len(all)), nil
}

func (s *Service) handleGetServiceToken(r *api.Request) (any, error) {
	id, err := serviceTokenID(r)
	if err != nil {
		return nil, err
	}
	return s.GetServiceToken(r.Context(), r.AccountID, id)
}

func (s *Service) handleUpdateServiceToken(r *api.Request) (any, error) {
	id, err := serviceTokenID(r)
	if err != nil {
		return nil, err
	}
	var in ServiceTokenInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.UpdateServiceToken(r.Context(), r.AccountID, id, in)
}

func (s *Service) handleDeleteServiceToken(r *api.Request) (any, error) {
	id, err := serviceTokenID(r)
	if err != nil {
		return nil, err
	}
	return s.DeleteServiceToken(r.Context(), r.AccountID, id)
}

// handleRotateServiceToken takes an optional body
// {"previous_client_secret_expires_at": "<RFC 3339>"}.
func (s *Service) handleRotateServiceToken(r *api.Request) (any, error) {
	id, err := serviceTokenID(r)
	if err != nil {
		return nil, err
	}
	var in RotateInput
	if err := r.Decode(&in, true); err != nil {
		return nil, err
	}
	return s.RotateServiceToken(r.Context(), r.AccountID, id, in)
}

func (s *Service) handleRefreshServiceToken(r *api.Request) (any, error) {
	id, err := serviceTokenID(r)
	if err != nil {
		return nil, err
	}
	return s.RefreshServiceToken(r.Context(), r.AccountID, id)
}
