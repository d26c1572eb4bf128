package server

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/labstack/echo/v4"
)

// A request carrying both Transfer-Encoding and Content-Length is refused
// with 400 (request smuggling: a proxy in front of Heed that frames the
// body by Content-Length, while Heed frames it by the chunks, would pass
// the rest of the body on as a request of its own). net/http cannot be
// told to refuse it: it accepts such a request, drops Content-Length
// from the header (RFC 9112 6.3) and reads the chunks, so the handler can
// no longer see that both were sent. (It already refuses differing
// repeated Content-Lengths, and any Transfer-Encoding but chunked, itself.)
//
// So the listener of heed serve reads the framing of each request on the
// connection as the bytes pass, before net/http parses them (framingConn),
// and notes, in order, whether each request carried both; the first
// middleware takes the next note for the request it serves and answers 400
// with Connection: close, so the rest of that connection is never read.

// framingListener wraps each accepted connection in a framingConn.
type framingListener struct{ net.Listener }

func (l framingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &framingConn{Conn: c}, nil
}

// framingCtxKey holds the request's framingConn in its context
// (http.Server.ConnContext).
type framingCtxKey struct{}

func framingContext(ctx context.Context, c net.Conn) context.Context {
	if fc, ok := c.(*framingConn); ok {
		return context.WithValue(ctx, framingCtxKey{}, fc)
	}
	return ctx
}

// Bounds of the scanner: a header line longer than net/http's limit
// (MaxHeaderBytes, 1 MiB, plus its slack) is refused by net/http anyway,
// and notes beyond maxNotes cannot pile up (net/http reads at most a
// buffer, 4 KiB, ahead of the request it serves).
const (
	maxFramingLine = 1<<20 + 4096
	maxNotes       = 1024
)

var (
	headerTransferEncoding = []byte("Transfer-Encoding")
	headerContentLength    = []byte("Content-Length")
)

// Scanner states.
const (
	inHead      = iota // request line and header lines
	inBody             // Content-Length bytes
	inChunkSize        // a chunk-size line
	inChunkData        // a chunk's bytes
	inChunkEnd         // the CRLF after them
	inTrailer          // trailer lines, up to the empty one
	lostTrack          // the framing could not be followed: refuse what follows
)

// framingConn follows the HTTP/1.1 framing of the requests read from it.
type framingConn struct {
	net.Conn
	mu    sync.Mutex
	notes []bool // per request read, in order: true = both framing headers
	lost  bool

	state     int
	line      []byte
	started   bool // the head's request line was read
	skip      bool // the request's target is "*": net/http answers it without a handler
	te, cl    bool
	remaining int64
}

func (c *framingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.scan(p[:n])
		c.mu.Unlock()
	}
	return n, err
}

// ambiguous takes the note of the next request: true when it carried both
// framing headers, or when the framing was lost before it.
func (c *framingConn) ambiguous() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.notes) == 0 {
		return c.lost
	}
	both := c.notes[0]
	c.notes = c.notes[1:]
	return both
}

func (c *framingConn) scan(b []byte) {
	for len(b) > 0 && c.state != lostTrack {
		switch c.state {
		case inBody, inChunkData:
			k := int64(len(b))
			if k > c.remaining {
				k = c.remaining
			}
			b, c.remaining = b[k:], c.remaining-k
			if c.remaining == 0 {
				if c.state == inBody {
					c.state = inHead
				} else {
					c.state = inChunkEnd
				}
			}
		default:
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				c.addLine(b)
				return
			}
			c.addLine(b[:i])
			b = b[i+1:]
			if c.state != lostTrack {
				c.endLine(bytes.TrimSuffix(c.line, []byte("\r")))
				c.line = c.line[:0]
			}
		}
	}
}

func (c *framingConn) addLine(b []byte) {
	if len(c.line)+len(b) > maxFramingLine {
		c.loseTrack()
		return
	}
	c.line = append(c.line, b...)
}

func (c *framingConn) loseTrack() {
	c.state, c.lost, c.line = lostTrack, true, nil
}

func (c *framingConn) endLine(line []byte) {
	switch c.state {
	case inHead:
		switch {
		case !c.started && len(line) == 0:
			// Blank lines before a request line are skipped (RFC 9112 2.2).
		case !c.started:
			c.started = true
			parts := bytes.Fields(line)
			c.skip = len(parts) > 1 && string(parts[1]) == "*"
		case len(line) > 0:
			name, value, ok := bytes.Cut(line, []byte(":"))
			if !ok {
				return // net/http refuses the request and closes the connection
			}
			// EqualFold, not ToLower: no allocation per header line on the
			// answers' hot path.
			name = bytes.TrimSpace(name)
			switch {
			case bytes.EqualFold(name, headerTransferEncoding):
				c.te = true
			case bytes.EqualFold(name, headerContentLength):
				c.cl = true
				n, err := strconv.ParseInt(string(bytes.TrimSpace(value)), 10, 64)
				if err != nil || n < 0 {
					c.loseTrack() // net/http refuses it too
					return
				}
				c.remaining = n
			}
		default: // the end of the head
			if !c.skip {
				if len(c.notes) >= maxNotes {
					c.loseTrack()
					return
				}
				c.notes = append(c.notes, c.te && c.cl)
			}
			switch {
			case c.te: // net/http frames by the chunks when both are sent
				c.state = inChunkSize
			case c.cl && c.remaining > 0:
				c.state = inBody
			}
			c.started, c.skip, c.te, c.cl = false, false, false, false
		}
	case inChunkSize:
		size, _, _ := bytes.Cut(line, []byte(";"))
		n, err := strconv.ParseInt(string(bytes.TrimSpace(size)), 16, 64)
		switch {
		case err != nil || n < 0:
			c.loseTrack()
		case n == 0:
			c.state = inTrailer
		default:
			c.state, c.remaining = inChunkData, n
		}
	case inChunkEnd:
		if len(line) != 0 {
			c.loseTrack()
			return
		}
		c.state = inChunkSize
	case inTrailer:
		if len(line) == 0 {
			c.state = inHead
		}
	}
}

// refuseAmbiguousFraming answers 400 to a request that carried both
// Transfer-Encoding and Content-Length (see above), and closes its
// connection. Requests not read through a framingConn (tests on a bare
// handler) pass.
func refuseAmbiguousFraming(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if fc, ok := c.Request().Context().Value(framingCtxKey{}).(*framingConn); ok && fc.ambiguous() {
			c.Response().Header().Set(echo.HeaderConnection, "close")
			return newError(http.StatusBadRequest, "a request may not carry both Transfer-Encoding and Content-Length")
		}
		return next(c)
	}
}
