package server

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"

	"github.com/labstack/echo/v4"
)

// bodyError is a failure to read the request body from the client: a slow
// body cut by the read timeout, a body shorter than its Content-Length, a
// broken connection. It is the client's, never the store's, and its
// message says nothing of sockets or addresses (net errors name both).
type bodyError struct{ err error }

func (e *bodyError) Error() string { return "read request body: " + e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// apiError words e for the client.
func (e *bodyError) apiError() *Error {
	var ne net.Error
	switch {
	case errors.Is(e.err, os.ErrDeadlineExceeded) || (errors.As(e.err, &ne) && ne.Timeout()):
		return &Error{Status: http.StatusRequestTimeout, Code: CodeTimeout,
			Message: "the request body did not arrive in time; send it at once and retry"}
	case errors.Is(e.err, io.ErrUnexpectedEOF):
		return newError(http.StatusBadRequest, "the body ended early: shorter than its Content-Length")
	}
	return newError(http.StatusBadRequest, "the request body could not be read")
}

// bodyErr returns the body failure within err, if any.
func bodyErr(err error) (*bodyError, bool) {
	var be *bodyError
	ok := errors.As(err, &be)
	return be, ok
}

// markBodyErrors wraps every request body so that its read failures are
// bodyErrors: whatever reads the body (JSON, forms, CSV, the webhook), the
// error handler answers them as the client's fault (408, 400) and not as
// an outage of the store, whose network errors look alike.
//
// The handler's middleware done, the body net/http gave is put back before
// the answer is written: net/http judges by its type what to do with a
// body left unread, and a body it does not know (this wrapper, the body
// limit's) it reads to the end first (up to 256 KiB), where its own it
// leaves unread when too large or when the client waits for "100
// Continue". A refused webhook or upload is thus answered at once, unread.
func markBodyErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body != nil && r.Body != http.NoBody {
			orig := r.Body
			r.Body = &markedBody{orig}
			defer func() { r.Body = orig }()
		}
		return next(c)
	}
}

type markedBody struct{ io.ReadCloser }

func (b *markedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &bodyError{err}
	}
	return n, err
}
