package server

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

// Error is the one error shape of the API:
// {"error":{"code":"...","message":"...","fields":{...}}}.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Error codes, one per status the API uses.
const (
	CodeBadRequest       = "bad_request"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeTimeout          = "request_timeout"
	CodeGone             = "gone"
	CodeTooLarge         = "payload_too_large"
	CodeUnsupportedType  = "unsupported_media_type"
	CodeInvalid          = "invalid"
	CodeRateLimited      = "rate_limited"
	CodeUnavailable      = "unavailable"
	CodeBadGateway       = "bad_gateway"
	CodeNotReady         = "not_ready"
	CodeInternal         = "internal"
)

var codeByStatus = map[int]string{
	http.StatusBadRequest:            CodeBadRequest,
	http.StatusUnauthorized:          CodeUnauthorized,
	http.StatusForbidden:             CodeForbidden,
	http.StatusNotFound:              CodeNotFound,
	http.StatusConflict:              CodeConflict,
	http.StatusMethodNotAllowed:      CodeMethodNotAllowed,
	http.StatusRequestTimeout:        CodeTimeout,
	http.StatusGone:                  CodeGone,
	http.StatusRequestEntityTooLarge: CodeTooLarge,
	http.StatusUnsupportedMediaType:  CodeUnsupportedType,
	http.StatusUnprocessableEntity:   CodeInvalid,
	http.StatusTooManyRequests:       CodeRateLimited,
	http.StatusServiceUnavailable:    CodeUnavailable,
	http.StatusBadGateway:            CodeBadGateway,
}

func newError(status int, format string, args ...any) *Error {
	code, ok := codeByStatus[status]
	if !ok {
		code = CodeInternal
	}
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// invalid is a 422 naming the fields at fault.
func invalid(fields map[string]string) *Error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	msg := "invalid " + strings.Join(sortedCopy(names), ", ")
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeInvalid, Message: msg, Fields: fields}
}

// errorHandler turns any error into the one JSON shape. Echo's own errors
// (404 route, 405, 413 body limit) keep their status; unknown errors are
// logged and answered with a bland 500.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			// A download that broke half-way: its status is gone.
			log.Warn("request failed after its response started", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			return
		}
		var apiErr *Error
		var httpErr *echo.HTTPError
		var verrs validator.ValidationErrors
		var fieldErrs analytics.FieldErrors
		var bodyErr *bodyError
		switch {
		case errors.As(err, &apiErr):
		case errors.As(err, &bodyErr): // before storageUnavailable: net errors of the client look alike
			apiErr = bodyErr.apiError()
		case errors.As(err, &verrs):
			apiErr = invalid(fieldMessages(verrs))
		case errors.As(err, &fieldErrs):
			apiErr = invalid(fieldErrs)
		case errors.As(err, &httpErr):
			apiErr = newError(httpErr.Code, "%s", httpMessage(httpErr))
		case storageUnavailable(err):
			log.Warn("ClickHouse unavailable", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			c.Response().Header().Set("Retry-After", "5")
			apiErr = newError(http.StatusServiceUnavailable, "storage is unavailable; retry shortly")
		default:
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			apiErr = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "internal error; see the server log"}
		}
		if apiErr.Status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="heed"`)
		}
		var werr error
		if isHead(c.Request()) {
			werr = c.NoContent(apiErr.Status)
		} else {
			werr = c.JSON(apiErr.Status, map[string]*Error{"error": apiErr})
		}
		if werr != nil {
			log.Warn("write error response", "err", werr)
		}
	}
}

func httpMessage(e *echo.HTTPError) string {
	switch e.Code {
	case http.StatusNotFound:
		return "no such page or API route"
	case http.StatusRequestEntityTooLarge:
		return "request body too large"
	case http.StatusMethodNotAllowed:
		return "method not allowed on this route"
	}
	if m, ok := e.Message.(string); ok && m != "" {
		return m
	}
	return strings.ToLower(http.StatusText(e.Code))
}

// fieldMessages words validator errors for people, keyed by the JSON path
// (the validator reports JSON names: see newValidator).
func fieldMessages(errs validator.ValidationErrors) map[string]string {
	out := make(map[string]string, len(errs))
	for _, fe := range errs {
		out[jsonPath(fe.Namespace())] = fieldMessage(fe)
	}
	return out
}

// jsonPath drops the struct name from a validator namespace:
// "surveyInput.reasons[0].id" -> "reasons[0].id".
func jsonPath(ns string) string {
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

func fieldMessage(fe validator.FieldError) string {
	kind := fe.Kind().String()
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		if kind == "string" {
			return "must be at least " + fe.Param() + " characters"
		}
		if kind == "slice" || kind == "map" {
			return "must have at least " + fe.Param() + " items"
		}
		return "must be at least " + fe.Param()
	case "max":
		if kind == "string" {
			return "must be at most " + fe.Param() + " characters"
		}
		if kind == "slice" || kind == "map" {
			return "must have at most " + fe.Param() + " items"
		}
		return "must be at most " + fe.Param()
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "uuid":
		return "must be a UUID"
	case "unique":
		return "must not repeat"
	case "reason_id":
		return "must match [a-z0-9_]{1,40}"
	case "origin":
		return "must be an origin such as https://shop.example.com (scheme, host, optional port; no path)"
	case "email":
		return "must be an email address"
	case "printable", "nocontrol":
		return "must not contain control characters"
	}
	return "is invalid (" + fe.Tag() + ")"
}

// jsonError words a json.Decoder failure. Syntax errors are 400 (the body is
// not JSON); a value of the wrong type or an unknown field is 422 on that
// field.
func jsonError(err error) *Error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return newError(http.StatusBadRequest, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" { // the body itself: an object where an array is wanted, or the reverse
			return newError(http.StatusBadRequest, "the body must be %s", jsonBodyName(typ.Type.Kind().String()))
		}
		return invalid(map[string]string{field: "must be " + jsonTypeName(typ.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(map[string]string{name: "is not a known field"})
	case errors.Is(err, errEmptyBody):
		return newError(http.StatusBadRequest, "the request body is empty; send a JSON object")
	case errors.Is(err, errTrailingData):
		return newError(http.StatusBadRequest, "unexpected data after the JSON value")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newError(http.StatusBadRequest, "malformed JSON: the body ends before the JSON value does")
	}
	// Not worded from err: whatever else fails here says nothing the client
	// can act on, and may name internals.
	return newError(http.StatusBadRequest, "malformed JSON")
}

// jsonBodyName names what a body must be.
func jsonBodyName(kind string) string {
	switch kind {
	case "slice", "array":
		return "a JSON array"
	case "map", "struct":
		return "a JSON object"
	}
	return "JSON " + jsonTypeName(kind)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "of another type"
}

// storageUnavailable tells a ClickHouse outage (refused, reset, timed out)
// from a bug: the former is a 503 worth retrying, the latter a 500.
func storageUnavailable(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, driver.ErrBadConn)
}

// maxShown bounds what of a client's value an error message repeats: a
// 404 need not send a 120 KB id back.
const maxShown = 80

// shown quotes v for an error message, cut to maxShown characters.
func shown(v string) string {
	if analytics.TooLong(v, maxShown) {
		return strconv.Quote(string([]rune(v)[:maxShown])) + "..."
	}
	return strconv.Quote(v)
}
