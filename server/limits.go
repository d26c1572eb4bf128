package server

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
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

// authFailures counts wrong credentials per client, so that keys cannot be
// guessed at the speed of the network: after max failures within a window
// a client is refused (429) until its window is over. Any auth middleware
// calls it the same way: Allow before checking a credential, Fail after a
// wrong one. Memory is bounded: at most maxAuthClients clients are
// tracked (see forget).
type authFailures struct {
	max    int // 0: off
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	clients map[string]*failWindow
	swept   time.Time // the last sweep of forget
}

// maxAuthClients bounds the clients authFailures remembers.
const maxAuthClients = 10_000

type failWindow struct {
	start time.Time
	n     int
}

func newAuthFailures(max int, window time.Duration) *authFailures {
	return &authFailures{max: max, window: window, now: time.Now, clients: map[string]*failWindow{}}
}

// authClient keys a client: its address, and for IPv6 its /64, which one
// host usually holds whole (so it cannot walk through its addresses).
func authClient(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || addr.Is4() || addr.Is4In6() {
		return ip
	}
	p, _ := addr.Prefix(64)
	return p.String()
}

// Allow reports whether ip may present a credential now, and if not, how
// long until it may.
func (a *authFailures) Allow(ip string) (bool, time.Duration) {
	if a == nil || a.max <= 0 {
		return true, 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	w, ok := a.clients[authClient(ip)]
	if !ok {
		return true, 0
	}
	left := w.start.Add(a.window).Sub(a.now())
	if left <= 0 || w.n < a.max {
		return true, 0
	}
	return false, left
}

// Fail records a wrong credential from ip.
func (a *authFailures) Fail(ip string) {
	if a == nil || a.max <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now, key := a.now(), authClient(ip)
	w, ok := a.clients[key]
	if ok && now.Sub(w.start) < a.window {
		w.n++
		return
	}
	if !ok && len(a.clients) >= maxAuthClients {
		a.forget(now)
	}
	a.clients[key] = &failWindow{start: now, n: 1}
}

// forget makes room: it drops the windows that are over (at most every
// quarter window: a sweep reads them all), else any one window. Only a
// client with more than maxAuthClients addresses gets there, and it could
// walk through them anyway.
func (a *authFailures) forget(now time.Time) {
	if now.Sub(a.swept) >= a.window/4 {
		a.swept = now
		for k, w := range a.clients {
			if now.Sub(w.start) >= a.window {
				delete(a.clients, k)
			}
		}
	}
	for k := range a.clients {
		if len(a.clients) < maxAuthClients {
			break
		}
		delete(a.clients, k)
	}
}

// failedAuth counts a failed sign-in or wrong key of the caller's
// address.
func (s *Server) failedAuth(c echo.Context) { s.authFailures.Fail(c.RealIP()) }

// authBlocked is the 429 (with Retry-After) of an address past its failed
// attempts, checked before any credential is looked at: guessing stops,
// right credential or not.
func (s *Server) authBlocked(c echo.Context) error {
	ok, wait := s.authFailures.Allow(c.RealIP())
	if ok {
		return nil
	}
	secs := strconv.Itoa(int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", secs)
	return newError(http.StatusTooManyRequests, "too many failed sign-ins or wrong keys from this address; retry after %s s", secs)
}

// authGate is authBlocked as middleware, for the routes that check a
// credential themselves (sign-in).
func (s *Server) authGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.authBlocked(c); err != nil {
			return err
		}
		return next(c)
	}
}
