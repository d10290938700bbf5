package access

import (
	"errors"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/store"
)

func (s *Service) handleGetOrg(r *api.Request) (any, error) {
	o, err := s.GetOrganization(r.Context(), s.db, r.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.NotFound("this account has no Access organization yet; create one with POST /accounts/%s/access/organizations", r.AccountID)
	}
	return o, err
}

func (s *Service) handleCreateOrg(r *api.Request) (any, error) {
	var in OrgInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	o, err := s.CreateOrganization(r.Context(), r.AccountID, in)
	if err != nil {
		return nil, err
	}
	return api.Reply{Status: api.Created, Result: o}, nil
}

func (s *Service) handleUpdateOrg(r *api.Request) (any, error) {
	var in OrgInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.UpdateOrganization(r.Context(), r.AccountID, in)
}
