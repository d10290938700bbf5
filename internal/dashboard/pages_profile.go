package dashboard

import "net/http"

func (d *Dashboard) handleProfile(rq *req) error {
	ss, err := d.liveSessions(rq.ctx(), rq.sess.UserID)
	if err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "profile", "Your sessions", struct {
		Sessions []Session
		Current  string
	}{ss, rq.sess.ID})
}

func (d *Dashboard) handleRevokeSession(rq *req) error {
	id := rq.PostFormValue("session")
	if _, err := d.revokeSession(rq.ctx(), d.db, rq.sess.UserID, id); err != nil {
		return err
	}
	if id == rq.sess.ID {
		d.setCookie(rq.w, d.sessionCookie(), "", -1)
		return redirect(rq, "/login?done=signed_out")
	}
	return redirect(rq, "/profile?done=session_revoked")
}

func (d *Dashboard) handleRevokeOthers(rq *req) error {
	if err := d.revokeAll(rq.ctx(), d.db, rq.sess.UserID, rq.sess.ID); err != nil {
		return err
	}
	return redirect(rq, "/profile?done=sessions_revoked")
}
