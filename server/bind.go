package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"

	"heed/analytics"
)

var (
	errEmptyBody    = errors.New("empty body")
	errTrailingData = errors.New("trailing data")
)

// decodeJSON reads the request body into v strictly: the right content
// type, one JSON value (an object, or the array v is), no unknown fields.
// A body that cannot be read (too slow, shorter than its Content-Length)
// is answered as such (bodyError), not as malformed JSON. allowText also accepts
// text/plain, the type browsers may send with navigator.sendBeacon and
// fetch without a CORS preflight.
func decodeJSON(c echo.Context, v any, allowText bool) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	media, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || !(media == echo.MIMEApplicationJSON || (allowText && media == echo.MIMETextPlain)) {
		want := "application/json"
		if allowText {
			want += " or text/plain"
		}
		return newError(http.StatusUnsupportedMediaType, "Content-Type must be %s, got %q", want, ct)
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// After the value only the end of the body may come; a body that
	// breaks off here is still the body's failure, not trailing data.
	_, err = dec.Token()
	_, broken := bodyErr(err)
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case broken || tooLarge(err):
		return decodeError(err)
	}
	return jsonError(errTrailingData)
}

// decodeError words a failed Decode: the body's own failures first.
func decodeError(err error) error {
	if be, ok := bodyErr(err); ok {
		return be.apiError()
	}
	switch {
	case tooLarge(err):
		return newError(http.StatusRequestEntityTooLarge, "request body too large")
	case errors.Is(err, io.EOF):
		return jsonError(errEmptyBody)
	}
	return jsonError(err)
}

func tooLarge(err error) bool {
	var maxErr *http.MaxBytesError
	return errors.As(err, &maxErr) || isEchoTooLarge(err)
}

func isEchoTooLarge(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge
}

var reasonIDPattern = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)

// newValidator returns a validator that names fields by their JSON names and
// knows Heed's own tags.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	must(v.RegisterValidation("reason_id", func(fl validator.FieldLevel) bool {
		return reasonIDPattern.MatchString(fl.Field().String())
	}))
	// nocontrol: an identifier without control or bidi characters
	// (analytics.HasControl; free text is cleaned instead).
	must(v.RegisterValidation("nocontrol", func(fl validator.FieldLevel) bool {
		return !analytics.HasControl(fl.Field().String())
	}))
	must(v.RegisterValidation("origin", func(fl validator.FieldLevel) bool {
		_, ok := normalizeOrigin(fl.Field().String())
		return ok
	}))
	return v
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// normalizeOrigin returns the canonical form of a web origin
// ("https://Shop.example.com:443/" -> "https://shop.example.com"), as
// browsers send it in the Origin header.
func normalizeOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(s), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, true
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
