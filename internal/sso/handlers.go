package sso

import (
	"context"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Mount registers the SSO connector routes.
func (s *Service) Mount(rt *api.Router) {
	read, write := []string{tokens.SSORead, tokens.SSOWrite}, []string{tokens.SSOWrite}
	base := "/accounts/{account_id}/sso_connectors"
	item := base + "/{sso_connector_id}"
	rt.Handle(api.Route{Method: "POST", Path: base, Permissions: write, Handle: s.handleCreate})
	rt.Handle(api.Route{Method: "GET", Path: base, Permissions: read, Handle: s.handleList})
	rt.Handle(api.Route{Method: "GET", Path: item, Permissions: read, Handle: s.handleGet})
	rt.Handle(api.Route{Method: "PATCH", Path: item, Permissions: write, Handle: s.handleUpdate})
	rt.Handle(api.Route{Method: "DELETE", Path: item, Permissions: write, Handle: s.handleDelete})
	rt.Handle(api.Route{Method: "POST", Path: item + "/begin_verification", Permissions: write, Handle: s.handleBegin})
}

func connectorID(r *api.Request) (string, error) { return r.PathID("sso_connector_id", ids.IsHex32) }

func (s *Service) handleCreate(r *api.Request) (any, error) {
	var in CreateInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	// No DNS check here: the code was minted by this very request, so it
	// cannot be published yet. The worker makes the first check.
	c, err := s.Create(r.Context(), r.AccountID, in)
	if err != nil {
		return nil, err
	}
	return c.View(), nil
}

// handleList answers a single page with result_info: the SDK reads it as a
// SinglePage and never asks for another.
func (s *Service) handleList(r *api.Request) (any, error) {
	cs, err := s.List(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	views := make([]View, len(cs))
	for i, c := range cs {
		views[i] = c.View()
	}
	return api.List(views, api.Page{Number: 1, PerPage: max(len(views), 20)}, len(views)), nil
}

func (s *Service) handleGet(r *api.Request) (any, error) {
	id, err := connectorID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.Get(r.Context(), r.AccountID, id)
	if err != nil {
		return nil, err
	}
	return c.View(), nil
}

func (s *Service) handleUpdate(r *api.Request) (any, error) {
	id, err := connectorID(r)
	if err != nil {
		return nil, err
	}
	var in UpdateInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	c, note, err := s.Update(r.Context(), r.AccountID, id, in)
	if err != nil {
		return nil, err
	}
	rep := api.Reply{Result: c.View()}
	if note != "" {
		rep.Messages = []api.Message{{Code: 10000, Message: note}}
	}
	return rep, nil
}

func (s *Service) handleDelete(r *api.Request) (any, error) {
	id, err := connectorID(r)
	if err != nil {
		return nil, err
	}
	if err := s.Delete(r.Context(), r.AccountID, id); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

// handleBegin answers with no result, as Cloudflare does; the connector's
// new state is one GET away, and a message says what happened.
func (s *Service) handleBegin(r *api.Request) (any, error) {
	id, err := connectorID(r)
	if err != nil {
		return nil, err
	}
	var ignored map[string]any
	if err := r.Decode(&ignored, true); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), CheckTimeout)
	defer cancel()
	c, err := s.BeginVerification(ctx, r.AccountID, id)
	if err != nil && ctx.Err() == nil {
		return nil, err
	}
	msg := "Verification started: status " + string(c.Status)
	if c.Reason != "" {
		msg += ". " + c.Reason
	}
	return api.Reply{NoResult: true, Messages: []api.Message{{Code: 10000, Message: msg}}}, nil
}
