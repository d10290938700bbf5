package access

import (
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/tokens"
)

func (s *Service) mountApps(rt *api.Router) {
	read, write := []string{tokens.AccessAppsRead, tokens.AccessAppsWrite}, []string{tokens.AccessAppsWrite}
	apps := "/accounts/{account_id}/access/apps"
	app := apps + "/{app_id}"
	rt.Handle(api.Route{Method: "POST", Path: apps, Permissions: write, Handle: s.handleCreateApp})
	rt.Handle(api.Route{Method: "GET", Path: apps, Permissions: read, Handle: s.handleListApps})
	rt.Handle(api.Route{Method: "GET", Path: app, Permissions: read, Handle: s.handleGetApp})
	rt.Handle(api.Route{Method: "PUT", Path: app, Permissions: write, Handle: s.handleUpdateApp})
	rt.Handle(api.Route{Method: "DELETE", Path: app, Permissions: write, Handle: s.handleDeleteApp})
	rt.Handle(api.Route{Method: "POST", Path: app + "/revoke_tokens", Permissions: write, Handle: s.handleRevokeTokens})

	rt.Handle(api.Route{Method: "POST", Path: app + "/policies", Permissions: write, Handle: s.handleCreatePolicy})
	rt.Handle(api.Route{Method: "GET", Path: app + "/policies", Permissions: read, Handle: s.handleListPolicies})
	rt.Handle(api.Route{Method: "GET", Path: app + "/policies/{policy_id}", Permissions: read, Handle: s.handleGetPolicy})
	rt.Handle(api.Route{Method: "PUT", Path: app + "/policies/{policy_id}", Permissions: write, Handle: s.handleUpdatePolicy})
	rt.Handle(api.Route{Method: "DELETE", Path: app + "/policies/{policy_id}", Permissions: write, Handle: s.handleDeletePolicy})

	pols := "/accounts/{account_id}/access/policies"
	rt.Handle(api.Route{Method: "POST", Path: pols, Permissions: write, Handle: s.handleCreatePolicy})
	rt.Handle(api.Route{Method: "GET", Path: pols, Permissions: read, Handle: s.handleListPolicies})
	rt.Handle(api.Route{Method: "GET", Path: pols + "/{policy_id}", Permissions: read, Handle: s.handleGetPolicy})
	rt.Handle(api.Route{Method: "PUT", Path: pols + "/{policy_id}", Permissions: write, Handle: s.handleUpdatePolicy})
	rt.Handle(api.Route{Method: "DELETE", Path: pols + "/{policy_id}", Permissions: write, Handle: s.handleDeletePolicy})
}

// appOf returns the {app_id} of the path, "" on the reusable-policy routes.
func appOf(r *api.Request) (string, error) {
	if r.PathValue("app_id") == "" {
		return "", nil
	}
	return r.PathID("app_id", ids.IsUUID)
}

func (s *Service) handleCreateApp(r *api.Request) (any, error) {
	var in AppInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	a, err := s.CreateApp(r.Context(), r.AccountID, in)
	if err != nil {
		return nil, err
	}
	return api.Reply{Status: api.Created, Result: a}, nil
}

func (s *Service) handleListApps(r *api.Request) (any, error) {
	page, err := r.Paging(25, 1, 1000)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	all, err := s.ListApps(r.Context(), r.AccountID, AppFilter{Name: q.Get("name"), Domain: q.Get("domain"), AUD: q.Get("aud")})
	if err != nil {
		return nil, err
	}
	return api.List(pageOf(all, page), page, len(all)), nil
}

func (s *Service) handleGetApp(r *api.Request) (any, error) {
	id, err := appOf(r)
	if err != nil {
		return nil, err
	}
	return s.GetApp(r.Context(), r.AccountID, id)
}

func (s *Service) handleUpdateApp(r *api.Request) (any, error) {
	id, err := appOf(r)
	if err != nil {
		return nil, err
	}
	var in AppInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.UpdateApp(r.Context(), r.AccountID, id, in)
}

func (s *Service) handleDeleteApp(r *api.Request) (any, error) {
	id, err := appOf(r)
	if err != nil {
		return nil, err
	}
	if err := s.DeleteApp(r.Context(), r.AccountID, id); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

// handleRevokeTokens is POST …/apps/{app_id}/revoke_tokens (body-less).
func (s *Service) handleRevokeTokens(r *api.Request) (any, error) {
	id, err := appOf(r)
	if err != nil {
		return nil, err
	}
	if err := s.RevokeTokens(r.Context(), r.AccountID, id); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

func (s *Service) handleCreatePolicy(r *api.Request) (any, error) {
	appID, err := appOf(r)
	if err != nil {
		return nil, err
	}
	var in PolicyInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	p, err := s.CreatePolicy(r.Context(), r.AccountID, appID, in)
	if err != nil {
		return nil, err
	}
	return api.Reply{Status: api.Created, Result: p}, nil
}

func (s *Service) handleListPolicies(r *api.Request) (any, error) {
	appID, err := appOf(r)
	if err != nil {
		return nil, err
	}
	page, err := r.Paging(25, 1, 1000)
	if err != nil {
		return nil, err
	}
	var all []Policy
	if appID == "" {
		all, err = s.ListPolicies(r.Context(), r.AccountID)
	} else if _, err = s.getApp(r.Context(), s.db, r.AccountID, appID); err == nil {
		all, err = s.AppPolicies(r.Context(), s.db, r.AccountID, appID)
	}
	if err != nil {
		return nil, err
	}
	return api.List(pageOf(all, page), page, len(all)), nil
}

func policyID(r *api.Request) (string, error) { return r.PathID("policy_id", ids.IsUUID) }

func (s *Service) handleGetPolicy(r *api.Request) (any, error) {
	appID, err := appOf(r)
	if err != nil {
		return nil, err
	}
	id, err := policyID(r)
	if err != nil {
		return nil, err
	}
	if appID != "" {
		return appPolicy(r.Context(), s.db, r.AccountID, appID, id)
	}
	p, err := getPolicy(r.Context(), s.db, r.AccountID, id)
	if err == nil && p.AppID != "" {
		return nil, api.NotFound("Access policy %s is scoped to an application; read it under /access/apps/%s/policies", id, p.AppID)
	}
	return p, err
}

func (s *Service) handleUpdatePolicy(r *api.Request) (any, error) {
	appID, err := appOf(r)
	if err != nil {
		return nil, err
	}
	id, err := policyID(r)
	if err != nil {
		return nil, err
	}
	var in PolicyInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.UpdatePolicy(r.Context(), r.AccountID, appID, id, in)
}

func (s *Service) handleDeletePolicy(r *api.Request) (any, error) {
	appID, err := appOf(r)
	if err != nil {
		return nil, err
	}
	id, err := policyID(r)
	if err != nil {
		return nil, err
	}
	if err := s.DeletePolicy(r.Context(), r.AccountID, appID, id); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}
