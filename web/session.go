package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

const (
	sessionCookie = "kassa_session"
	// signinCookie holds the CSRF token of the sign-in form, before there is a session.
	signinCookie = "kassa_signin"
	// sealContext binds a sealed session to this use of the key.
	sealContext = "kassa web session"
	csrfField   = "csrf"
	csrfHeader  = "X-CSRF-Token"
)

// session is a signed-in staff member, sealed into the session cookie.
type session struct {
	// Token is the staff member's kassa token: every API call of the web register is
	// made with it, so the daemon decides what the session may do.
	Token string `json:"token"`
	Name  string `json:"name"`
	// Role is the token's role at sign-in, used only to leave out the links a cashier
	// would be refused; the daemon checks the role on every call.
	Role string `json:"role"`
	// CSRF is the token every form of the session carries.
	CSRF string `json:"csrf"`
	// Register is the register the session works at (its name, "Gent/Front").
	Register string    `json:"register"`
	Expires  time.Time `json:"expires"`
}

// Manager reports whether the session's token is a manager's (for the links shown).
func (s *session) Manager() bool { return s != nil && s.Role == "manager" }

type sessionKey struct{}

// sessionOf returns the request's session, or nil.
func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(sessionKey{}).(*session)
	return s
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// secure reports whether the request came over TLS.
func secure(r *http.Request) bool { return r.TLS != nil }

// readSession opens the request's session cookie; nil when there is none, it does not
// open with the key, or it expired.
func (s *server) readSession(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	plain, err := s.cfg.Secrets.Open(raw, sealContext)
	if err != nil {
		return nil
	}
	var out session
	if json.Unmarshal(plain, &out) != nil || out.Token == "" || out.CSRF == "" || !s.cfg.Clock().Before(out.Expires) {
		return nil
	}
	return &out
}

// writeSession seals sess into the session cookie.
func (s *server) writeSession(w http.ResponseWriter, r *http.Request, sess *session) error {
	plain, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	sealed, err := s.cfg.Secrets.Seal(plain, sealContext)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		// MaxAge, not Expires: the browser's clock need not agree with the daemon's.
		MaxAge: int(s.cfg.SessionTTL / time.Second), HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode,
	})
	return nil
}

// signOutCookie removes the session cookie.
func (s *server) signOutCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

// sameToken compares two CSRF tokens in constant time; an empty one never matches.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// signedIn serves h to a signed-in staff member, checking the CSRF token of every
// request that changes something; anyone else is sent to the sign-in page (a POST
// without its CSRF token is refused with 403).
func (s *server) signedIn(h func(w http.ResponseWriter, r *http.Request, sess *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := s.readSession(r)
		if sess == nil {
			if r.Method != http.MethodGet {
				s.render(w, r, http.StatusForbidden, "refused", page{Title: "refused.title", ProblemKey: "refused.signin", Data: http.StatusForbidden})
				return
			}
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			// The handlers read r.PostForm; parse it whichever way the token came.
			_ = r.ParseForm()
			given := r.Header.Get(csrfHeader)
			if given == "" {
				given = r.PostFormValue(csrfField)
			}
			if !sameToken(given, sess.CSRF) {
				r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
				s.render(w, r, http.StatusForbidden, "refused", page{Title: "refused.title", ProblemKey: "refused.csrf", Data: http.StatusForbidden})
				return
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
		h(w, r, sess)
	})
}

// secure reports whether the cookies of r's answer are Secure: served over TLS, or behind
// an HTTPS proxy (Config.SecureCookies).
func (s *server) secure(r *http.Request) bool { return secure(r) || s.cfg.SecureCookies }
