package server

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// CheckTrustedProxies reports a trusted-proxies list that does not parse.
func CheckTrustedProxies(list []string) error {
	_, err := proxyRanges(list)
	return err
}

// proxyRanges parses trusted proxies: CIDRs or single addresses.
func proxyRanges(list []string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, p := range list {
		if !strings.Contains(p, "/") {
			addr, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an IP address or range", p)
			}
			p = netip.PrefixFrom(addr, addr.BitLen()).String()
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", p, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// ipExtractor decides where a client's IP comes from. Echo v4 trusts
// X-Forwarded-For by default, which lets anyone pick their rate-limit key;
// Heed reads the socket address unless proxies are configured, and then
// believes X-Forwarded-For only as written by those proxies.
func ipExtractor(trusted []string) echo.IPExtractor {
	ranges, _ := proxyRanges(trusted) // checked by Config.Validate
	if len(ranges) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, r := range ranges {
		opts = append(opts, echo.TrustIPRange(r))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// perIP keys a rate limit by client address (see ipExtractor).
func perIP(c echo.Context) string { return c.RealIP() }

// perSurvey keys a rate limit by survey, so one survey's flood cannot
// drown the others. Only surveys that exist get a key of their own: the
// limiter keeps a key for minutes, and a key per raw id let unique ids
// (1 MB each, all 404) grow the heap without bound. Every unknown id
// shares one key.
func (s *Server) perSurvey(c echo.Context) string {
	id := c.Param("id")
	if _, ok := s.surveys.Get(id); ok {
		return id
	}
	return ""
}

// rateLimit limits each key (client IP, survey) to limit requests per second
// (with a burst), answering 429 with Retry-After.
func rateLimit(limit float64, burst int, key func(echo.Context) string, what string) echo.MiddlewareFunc {
	if limit <= 0 {
		return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	}
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate:      rate.Limit(limit),
		Burst:     burst,
		ExpiresIn: 3 * time.Minute,
	})
	retryAfter := strconv.Itoa(int(math.Ceil(1 / limit)))
	tooMany := func(c echo.Context, _ string, _ error) error {
		c.Response().Header().Set("Retry-After", retryAfter)
		return newError(http.StatusTooManyRequests, "too many requests %s; retry after %s s", what, retryAfter)
	}
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return key(c), nil },
		ErrorHandler: func(c echo.Context, err error) error {
			return newError(http.StatusForbidden, "cannot identify the client address")
		},
		DenyHandler: tooMany,
	})
}
