package emails

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sendgrid/rest"
	"github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"
)

// MaxRecipients is SendGrid's limit of personalizations per request.
const MaxRecipients = 1000

// Recipient is one person of a batch, with their own signed token.
type Recipient struct {
	Email, Name, Token string
	CustomArgs         map[string]string
}

// Batch is one email to up to MaxRecipients people: one SendGrid request.
type Batch struct {
	From       *mail.Email
	Email      Rendered
	Recipients []Recipient
	Categories []string
	BaseURL    string
}

// V3 builds the SendGrid v3 mail/send message: one personalization per
// recipient with their token substituted into every link, RFC 8058
// one-click unsubscribe headers, and custom args (send id...) that come back
// in webhook events.
func (b Batch) V3() *mail.SGMailV3 {
	m := mail.NewV3Mail()
	m.SetFrom(b.From)
	m.Subject = b.Email.Subject
	m.AddContent(mail.NewContent("text/plain", b.Email.Text), mail.NewContent("text/html", b.Email.HTML))
	m.AddCategories(b.Categories...)
	for _, r := range b.Recipients {
		p := mail.NewPersonalization()
		p.AddTos(mail.NewEmail(recipientName(r.Name), r.Email))
		p.SetSubstitution(TokenPlaceholder, r.Token)
		unsub := UnsubscribeURL(b.BaseURL, r.Token)
		p.SetHeader("List-Unsubscribe", "<"+unsub+">")
		p.SetHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
		for k, v := range r.CustomArgs {
			p.SetCustomArg(k, v)
		}
		m.AddPersonalizations(p)
	}
	return m
}

// recipientName makes a display name SendGrid accepts: its v3 API drops
// messages whose to.name holds a comma or semicolon ("Doe, John").
func recipientName(name string) string {
	return strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return r == ',' || r == ';' || r <= 0x20 || r == 0x7f
	}), " ")
}

// Mailer delivers a v3 message.
type Mailer interface {
	Send(ctx context.Context, m *mail.SGMailV3) error
}

// ErrMaybeSent means the request failed in a way that leaves unknown
// whether SendGrid took it (a timeout, a dropped connection). The batch must
// not be retried, or people could get the email twice.
var ErrMaybeSent = errors.New("SendGrid request outcome unknown")

// SendError is SendGrid refusing a request for good (a 4xx other than 429,
// or 5xx after every retry): nobody of the batch was emailed.
type SendError struct {
	Status int
	Body   string
}

func (e *SendError) Error() string {
	return fmt.Sprintf("SendGrid answered %d: %.300s", e.Status, e.Body)
}

// NotSentError is a send stopped (its context ended) while waiting to
// retry: SendGrid did not take the batch, so it may be sent again later.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return "not sent: " + e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// SendGrid sends through the SendGrid v3 API with sendgrid-go.
type SendGrid struct {
	Key  string
	Host string // default https://api.sendgrid.com; tests point it at a stand-in
	// Client has timeouts: sendgrid-go's default HTTP client has none.
	Client *http.Client
	// Retries5xx is how often a 5xx is retried (default 3), with backoff
	// from Backoff (default 1 s, doubling).
	Retries5xx int
	Backoff    time.Duration
	// MaxRateLimitWait caps one wait for X-RateLimit-Reset (default 60 s).
	MaxRateLimitWait time.Duration

	requests atomic.Int64
}

// NewSendGrid returns a SendGrid mailer with sane timeouts.
func NewSendGrid(key, host string) *SendGrid {
	return &SendGrid{Key: key, Host: host, Client: &http.Client{Timeout: 30 * time.Second}}
}

// Requests counts the HTTP requests made (make bench prints it).
func (s *SendGrid) Requests() int64 { return s.requests.Load() }

// Send posts m, waiting out 429s until X-RateLimit-Reset and retrying 5xx
// with backoff.
func (s *SendGrid) Send(ctx context.Context, m *mail.SGMailV3) error {
	body := mail.GetRequestBody(m)
	retries, backoff := s.Retries5xx, s.Backoff
	if retries == 0 {
		retries = 3
	}
	if backoff == 0 {
		backoff = time.Second
	}
	maxWait := s.MaxRateLimitWait
	if maxWait == 0 {
		maxWait = time.Minute
	}
	client := &rest.Client{HTTPClient: s.Client}
	// A request once started is not cancelled with ctx: cut off half-way,
	// nobody would know whether SendGrid took it. The client's timeout
	// bounds it; ctx is checked before each attempt and during waits.
	reqCtx := context.WithoutCancel(ctx)
	for attempt := 0; ; {
		if err := ctx.Err(); err != nil {
			return &NotSentError{err}
		}
		req := sendgrid.GetRequest(s.Key, "/v3/mail/send", s.Host)
		req.Method = rest.Post
		req.Body = body
		s.requests.Add(1)
		resp, err := client.SendWithContext(reqCtx, req)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMaybeSent, err)
		}
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests:
			// Not accepted: safe to send again once the window resets.
			if err := sleep(ctx, rateLimitWait(resp.Headers, maxWait)); err != nil {
				return &NotSentError{err}
			}
			continue
		case resp.StatusCode >= 500 && attempt < retries:
			attempt++
			if err := sleep(ctx, backoff); err != nil {
				return &NotSentError{err}
			}
			backoff *= 2
			continue
		}
		return &SendError{Status: resp.StatusCode, Body: resp.Body}
	}
}

// rateLimitWait reads X-RateLimit-Reset (Unix seconds) into a wait.
func rateLimitWait(h map[string][]string, max time.Duration) time.Duration {
	wait := time.Second
	if v := http.Header(h).Get("X-RateLimit-Reset"); v != "" {
		if reset, err := strconv.ParseInt(v, 10, 64); err == nil {
			wait = time.Until(time.Unix(reset, 0))
		}
	}
	// A reset in the past (clock skew) must not turn into a busy loop.
	if wait < time.Second {
		wait = time.Second
	}
	return min(max, wait)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Outbox stands in for SendGrid without an API key: it expands the same v3
// message into one file per recipient (substitutions applied) under Dir, for
// /dev/outbox to show.
type Outbox struct {
	Dir string
	seq atomic.Int64
}

// OutboxMessage is one email as the outbox keeps it.
type OutboxMessage struct {
	File       string            `json:"file"`
	At         time.Time         `json:"at"`
	From       string            `json:"from"`
	To         string            `json:"to"`
	Subject    string            `json:"subject"`
	Text       string            `json:"text"`
	HTML       string            `json:"html"`
	Headers    map[string]string `json:"headers"`
	CustomArgs map[string]string `json:"custom_args"`
	Categories []string          `json:"categories"`
	// Attachments are the message's own, as the v3 API takes them
	// (content in base64; inline ones with a content_id).
	Attachments []*mail.Attachment `json:"attachments,omitempty"`
}

// InlineHTML is the HTML with each cid: reference to an inline attachment
// replaced by a data: URL, so that a browser shows what a mail client would.
func (m OutboxMessage) InlineHTML() string {
	html := m.HTML
	for _, a := range m.Attachments {
		if a.Disposition == "inline" && a.ContentID != "" {
			html = strings.ReplaceAll(html, `"cid:`+a.ContentID+`"`, `"data:`+a.Type+`;base64,`+a.Content+`"`)
		}
	}
	return html
}

// Send writes each personalization of m as a file.
func (o *Outbox) Send(ctx context.Context, m *mail.SGMailV3) error {
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	now := time.Now().UTC()
	// Local writes are quick: not interrupted half-way, like a SendGrid request.
	for _, p := range m.Personalizations {
		subst := func(s string) string {
			for k, v := range p.Substitutions {
				s = strings.ReplaceAll(s, k, v)
			}
			return s
		}
		msg := OutboxMessage{At: now, Subject: subst(m.Subject), Headers: p.Headers, CustomArgs: p.CustomArgs, Categories: m.Categories,
			Attachments: m.Attachments}
		if m.From != nil {
			msg.From = m.From.Address
		}
		if len(p.To) > 0 {
			msg.To = p.To[0].Address
		}
		for _, c := range m.Content {
			switch c.Type {
			case "text/plain":
				msg.Text = subst(c.Value)
			case "text/html":
				msg.HTML = subst(c.Value)
			}
		}
		msg.File = fmt.Sprintf("%s-%06d.json", now.Format("20060102T150405"), o.seq.Add(1))
		b, err := json.MarshalIndent(msg, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(o.Dir, msg.File), b, 0o600); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return nil
}

// List returns the outbox's messages, newest first.
func (o *Outbox) List() ([]OutboxMessage, error) {
	paths, err := filepath.Glob(filepath.Join(o.Dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	var out []OutboxMessage
	for _, p := range paths {
		m, err := o.read(filepath.Base(p))
		if err == nil {
			out = append(out, m)
		}
	}
	return out, nil
}

// Get reads one message by file name.
func (o *Outbox) Get(file string) (OutboxMessage, error) {
	// Only names the outbox gives its files (Send): anything else, a NUL
	// or a name too long for the file system included, is no message.
	if !outboxName.MatchString(file) {
		return OutboxMessage{}, os.ErrNotExist
	}
	return o.read(file)
}

// outboxName matches the names Send gives messages.
var outboxName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}-[0-9]{6,19}\.json$`)

func (o *Outbox) read(file string) (OutboxMessage, error) {
	var m OutboxMessage
	b, err := os.ReadFile(filepath.Join(o.Dir, file))
	if err != nil {
		return m, err
	}
	err = json.Unmarshal(b, &m)
	return m, err
}

// Forget removes the messages addressed to one of emails or naming one of
// emails or ids anywhere (subject, text, HTML, headers, custom args: an
// alert quotes the answer and its respondent), for forgetting a person:
// the outbox is a copy of what Heed would have sent, kept on local disk.
// Addresses match in any case, ids exactly; both only whole (cust-7 is not
// in cust-77). A file that does not decode is searched as it is. It returns
// how many messages it removed.
func (o *Outbox) Forget(emails, ids []string) (int, error) {
	paths, err := filepath.Glob(filepath.Join(o.Dir, "*.json"))
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	lower := make([]string, 0, len(emails))
	for _, e := range emails {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			lower = append(lower, e)
		}
	}
	names := func(text string) bool {
		low := strings.ToLower(text)
		for _, e := range lower {
			if containsWhole(low, e) {
				return true
			}
		}
		for _, id := range ids {
			if id != "" && containsWhole(text, id) {
				return true
			}
		}
		return false
	}
	removed := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue // removed meanwhile
		}
		if err != nil {
			return removed, fmt.Errorf("outbox: %w", err)
		}
		var m OutboxMessage
		fields := []string{string(b)}
		if json.Unmarshal(b, &m) == nil {
			fields = []string{m.To, m.From, m.Subject, m.Text, m.HTML}
			for _, v := range m.Headers {
				fields = append(fields, v)
			}
			for _, v := range m.CustomArgs {
				fields = append(fields, v)
			}
		}
		hit := false
		for _, f := range fields {
			hit = hit || names(f)
		}
		if !hit {
			continue
		}
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return removed, fmt.Errorf("outbox: %w", err)
		}
		removed++
	}
	return removed, nil
}

// containsWhole reports whether needle occurs in s not as part of a longer
// word: the characters around it are no letters, digits, "-" or "_" (nor,
// before it, the ".", "+" or "%" of an address's local part).
func containsWhole(s, needle string) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], needle)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(needle)
		before := i == 0 || !wordByte(s[i-1]) && !strings.ContainsRune(".+%", rune(s[i-1]))
		after := end == len(s) || !wordByte(s[end])
		if before && after {
			return true
		}
		from = i + 1
	}
}

// wordByte is a byte that continues an id or an address.
func wordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c >= 0x80
}
