package tokens

import (
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
)

// Mount registers the token routes.
func (s *Service) Mount(rt *api.Router) {
	read, write := []string{TokensRead, TokensWrite}, []string{TokensWrite}
	base := "/accounts/{account_id}/tokens"
	rt.Handle(api.Route{Method: "GET", Path: base + "/verify", Permissions: []string{api.AnyToken}, Handle: s.handleVerify})
	rt.Handle(api.Route{Method: "GET", Path: "/user/tokens/verify", Permissions: []string{api.AnyToken}, Handle: s.handleVerify})
	rt.Handle(api.Route{Method: "GET", Path: base + "/permission_groups", Permissions: read, Handle: handleGroups})
	rt.Handle(api.Route{Method: "POST", Path: base, Permissions: write, Handle: s.handleCreate})
	rt.Handle(api.Route{Method: "GET", Path: base, Permissions: read, Handle: s.handleList})
	rt.Handle(api.Route{Method: "GET", Path: base + "/{token_id}", Permissions: read, Handle: s.handleGet})
	rt.Handle(api.Route{Method: "PUT", Path: base + "/{token_id}", Permissions: write, Handle: s.handleUpdate})
	rt.Handle(api.Route{Method: "DELETE", Path: base + "/{token_id}", Permissions: write, Handle: s.handleDelete})
	rt.Handle(api.Route{Method: "PUT", Path: base + "/{token_id}/value", Permissions: write, Handle: s.handleRoll})
}

func (s *Service) handleVerify(r *api.Request) (any, error) {
	v, err := s.Verify(r.Context(), r.Principal)
	if err != nil {
		return nil, err
	}
	return api.Reply{
		Result:   verifyResult{ID: v.ID, Status: v.Status, NotBefore: v.NotBefore, ExpiresOn: v.ExpiresOn},
		Messages: []api.Message{{Code: 10000, Message: "This API Token is valid and active"}},
	}, nil
}

// handleGroups lists the catalogue, filtered by name and scope. Cloudflare
// tells callers to URL-encode the filters and the SDK encodes them again,
// so a value is matched both as given and decoded once more.
func handleGroups(r *api.Request) (any, error) {
	name, scope := r.URL.Query().Get("name"), r.URL.Query().Get("scope")
	var out []PermissionGroup
	for _, g := range Catalogue() {
		if name != "" && !matchLoose(g.Name, name) {
			continue
		}
		if scope != "" && !matchLoose(AccountScope, scope) {
			continue
		}
		out = append(out, g)
	}
	return api.List(out, api.Page{Number: 1, PerPage: len(out)}, len(out)), nil
}

func matchLoose(have, want string) bool {
	if strings.EqualFold(have, want) {
		return true
	}
	dec, err := url.QueryUnescape(want)
	return err == nil && strings.EqualFold(have, dec)
}

func (s *Service) handleCreate(r *api.Request) (any, error) {
	var in Input
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.Create(r.Context(), r.AccountID, in, r.Principal.Grants)
}

func (s *Service) handleList(r *api.Request) (any, error) {
	page, err := r.Paging(20, 5, 50)
	if err != nil {
		return nil, err
	}
	desc := r.URL.Query().Get("direction") == "desc"
	if d := r.URL.Query().Get("direction"); d != "" && d != "asc" && d != "desc" {
		return nil, api.Invalid("", "direction must be \"asc\" or \"desc\", not %q", d)
	}
	views, total, err := s.List(r.Context(), r.AccountID, desc, page)
	if err != nil {
		return nil, err
	}
	return api.List(views, page, total), nil
}

func tokenID(r *api.Request) (string, error) { return r.PathID("token_id", ids.IsHex32) }

func (s *Service) handleGet(r *api.Request) (any, error) {
	id, err := tokenID(r)
	if err != nil {
		return nil, err
	}
	return s.Get(r.Context(), r.AccountID, id)
}

func (s *Service) handleUpdate(r *api.Request) (any, error) {
	id, err := tokenID(r)
	if err != nil {
		return nil, err
	}
	var in Input
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	return s.Update(r.Context(), r.AccountID, id, in, r.Principal.Grants)
}

func (s *Service) handleDelete(r *api.Request) (any, error) {
	id, err := tokenID(r)
	if err != nil {
		return nil, err
	}
	if err := s.Delete(r.Context(), r.AccountID, id, r.Principal.Grants); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

func (s *Service) handleRoll(r *api.Request) (any, error) {
	id, err := tokenID(r)
	if err != nil {
		return nil, err
	}
	var ignored map[string]any
	if err := r.Decode(&ignored, true); err != nil {
		return nil, err
	}
	return s.Roll(r.Context(), r.AccountID, id, r.Principal.Grants)
}

type verifyResult struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	NotBefore *time.Time `json:"not_before,omitempty"`
	ExpiresOn *time.Time `json:"expires_on,omitempty"`
}
