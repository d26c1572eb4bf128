package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// requireAdmin lets a request through only with "Authorization: Bearer
// <admin key>". Both sides are hashed before the constant-time compare so
// the key's length does not leak through timing either.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	want := sha256.Sum256([]byte(s.cfg.AdminKey))
	return func(c echo.Context) error {
		// A client past its wrong keys is refused before its key is
		// looked at: guessing stops, right key or not.
		if ok, wait := s.authFailures.Allow(c.RealIP()); !ok {
			return tooManyFailures(c, wait)
		}
		scheme, key, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
			return newError(http.StatusUnauthorized, "send the admin key as: Authorization: Bearer <key>")
		}
		got := sha256.Sum256([]byte(key))
		// An empty configured key never matches (New refuses it anyway).
		if s.cfg.AdminKey == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			s.authFailures.Fail(c.RealIP())
			return newError(http.StatusUnauthorized, "wrong admin key")
		}
		return next(c)
	}
}
