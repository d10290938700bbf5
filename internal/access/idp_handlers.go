package access

import (
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
)

func idpID(r *api.Request) (string, error) { return r.PathID("idp_id", ids.IsUUID) }

func (s *Service) handleCreateIdP(r *api.Request) (any, error) {
	var in IdPInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	p, err := s.CreateIdP(r.Context(), r.AccountID, in)
	if err != nil {
		return nil, err
	}
	return api.Reply{Status: api.Created, Result: p}, nil
}

func (s *Service) handleListIdPs(r *api.Request) (any, error) {
	page, err := r.Paging(25, 1, 1000)
	if err != nil {
		return nil, err
	}
	all, err := s.ListIdPs(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	return api.List(pageOf(all, page), page, len(all)), nil
}

// pageOf cuts one page out of a full list (the lists it serves are small:
// an account has a handful of IdPs, apps and policies).
func pageOf[T any](all []T, p api.Page) []T {
	if p.Offset() >= len(all) {
		return []T{}
	}
	return all[p.Offset():min(len(all), p.Offset()+p.PerPage)]
}

func (s *Service) handleGetIdP(r *api.Request) (any, error) {
	id, err := idpID(r)
	if err != nil {
		return nil, err
	}
	return s.GetIdP(r.Context(), r.AccountID, id)
}

func (s *Service) handleUpdateIdP(r *api.Request) (any, error) {
	id, err := idpID(r)
	if err != nil {
		return nil, err
	}
	var in IdPInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.UpdateIdP(r.Context(), r.AccountID, id, in)
}

func (s *Service) handleDeleteIdP(r *api.Request) (any, error) {
	id, err := idpID(r)
	if err != nil {
		return nil, err
	}
	if err := s.DeleteIdP(r.Context(), r.AccountID, id); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}
