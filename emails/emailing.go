// Package emails is Heed's survey email: templates in four languages,
// signed link tokens, sending through SendGrid (github.com/sendgrid/sendgrid-go)
// or, without an API key, a local outbox built by the same code, resumable
// sends with reminders, detractor alerts, and managers' digests.
package emails

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
)

// Store is what email needs from storage: contacts and suppressions, sends
// and their log.
type Store interface {
	analytics.ContactStore
	analytics.SendStore
	analytics.ClaimStore
	// Erased returns the erased list: the hashes of forgotten people, whom
	// no send emails (analytics.PeopleStore).
	Erased(ctx context.Context) (analytics.ErasedList, error)
}

// Config is how Heed sends email; `heed serve`, `heed send` and
// `heed contacts import` share it.
type Config struct {
	// PublicURL is where people reach Heed: links in emails point there.
	PublicURL string
	// SendGridKey sends through SendGrid; without it mail goes to the
	// outbox under DataDir/outbox. SendGridHost overrides the API host.
	SendGridKey  string
	SendGridHost string
	// WebhookKey is the SendGrid Event Webhook's public key (base64), which
	// verifies every webhook request; empty turns the webhook off.
	WebhookKey string
	// FromEmail and FromName are the sender of survey emails.
	FromEmail string
	FromName  string
	// SigningKeys are "kid:secret" pairs for email links; the first signs.
	// Empty: a key generated once and kept in DataDir/signing_key (outbox
	// mode only).
	SigningKeys string
	// ErasureKey is the secret under which the erased list hashes the
	// emails and ids of forgotten people (analytics.PersonHasher); it must
	// stay the same for as long as the list is kept, on every instance.
	// Empty: a key generated once and kept in DataDir/erasure_key.
	ErasureKey string
	// DataDir holds the signing key and the outbox.
	DataDir string
	// ClaimSettle is how long a claim of a send waits for rival claims
	// (analytics.Claimer; 0: analytics.DefaultClaimSettle). Tests shorten it.
	ClaimSettle time.Duration
	// Logger hears about refused recipients and failed alerts; nil discards.
	Logger *slog.Logger
}

// Emailing is everything survey email needs, built from a Config.
type Emailing struct {
	Sends  *Sends
	Signer *Signer
	// Erasure hashes people for the erased list (forgetting a person, and
	// every send's check).
	Erasure *analytics.PersonHasher
	Mailer  Mailer
	Outbox  *Outbox // nil when SendGrid is configured
	Webhook *ecdsa.PublicKey
	From    *sgmail.Email
	BaseURL string

	store Store
	log   *slog.Logger
}

// New checks cfg and builds the email machinery on store.
func New(cfg Config, store Store) (*Emailing, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.FromEmail == "" {
		cfg.FromEmail = "surveys@heed.invalid"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--public-url %q must be an http(s) URL", cfg.PublicURL)
	}
	if _, err := mail.ParseAddress(cfg.FromEmail); err != nil {
		return nil, fmt.Errorf("--from-email %q: %w", cfg.FromEmail, err)
	}
	// The From name of every email Heed sends without a survey's own.
	if msg := analytics.CheckSenderName(cfg.FromName); msg != "" {
		return nil, fmt.Errorf("--from-name %q: %s", cfg.FromName, msg)
	}
	if cfg.SendGridKey != "" {
		// Real email: links must reach this server from the internet and
		// verify on every instance, whatever its working directory.
		if cfg.SigningKeys == "" {
			return nil, fmt.Errorf("with SENDGRID_API_KEY set, set HEED_SIGNING_KEYS too (kid:secret, 32+ characters): links signed by a key only this folder has would break")
		}
		if host := u.Hostname(); host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1" {
			return nil, fmt.Errorf("with SENDGRID_API_KEY set, set HEED_PUBLIC_URL to Heed's public address: links to %s would not work for recipients", cfg.PublicURL)
		}
	}
	keys := cfg.SigningKeys
	if keys == "" {
		if keys, err = storedSigningKey(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	signer, err := NewSigner(keys)
	if err != nil {
		return nil, err
	}
	erasure, err := ErasureHasher(cfg.ErasureKey, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	e := &Emailing{Signer: signer, Erasure: erasure, From: sgmail.NewEmail(cfg.FromName, cfg.FromEmail), BaseURL: cfg.PublicURL, store: store, log: cfg.Logger}
	if cfg.SendGridKey != "" {
		e.Mailer = NewSendGrid(cfg.SendGridKey, cfg.SendGridHost)
	} else {
		e.Outbox = &Outbox{Dir: filepath.Join(cfg.DataDir, "outbox")}
		e.Mailer = e.Outbox
	}
	if cfg.WebhookKey != "" {
		if e.Webhook, err = parseWebhookKey(cfg.WebhookKey); err != nil {
			return nil, err
		}
	}
	e.Sends = &Sends{Store: store, Mailer: e.Mailer, Signer: signer, Erasure: erasure, BaseURL: cfg.PublicURL,
		From: e.From, Claims: &analytics.Claimer{Store: store, Settle: cfg.ClaimSettle}, Log: cfg.Logger}
	return e, nil
}

// parseWebhookKey reads the base64 public key SendGrid shows for a signed
// Event Webhook. (sendgrid-go's converter panics on a non-ECDSA key; the
// recover turns that into an error.)
func parseWebhookKey(b64 string) (key *ecdsa.PublicKey, err error) {
	defer func() {
		if recover() != nil {
			key, err = nil, fmt.Errorf("HEED_SENDGRID_WEBHOOK_KEY is not an ECDSA public key")
		}
	}()
	key, err = eventwebhook.ConvertPublicKeyBase64ToECDSA(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("HEED_SENDGRID_WEBHOOK_KEY: %w", err)
	}
	return key, nil
}

// storedSigningKey returns the link-signing key kept in DataDir/signing_key,
// creating it on first use. Set HEED_SIGNING_KEYS in production so that
// links survive the loss of the data folder and keys can rotate.
func storedSigningKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "signing_key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	key := "local:" + hex.EncodeToString(b)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store signing key: %w", err)
	}
	return key, nil
}

// ErasureHasher returns the hasher of the erased list under key, or,
// when key is empty, under the key kept in dataDir/erasure_key (created on
// first use). heed serve, heed send and heed people share it.
func ErasureHasher(key, dataDir string) (*analytics.PersonHasher, error) {
	if key == "" {
		var err error
		if key, err = storedErasureKey(dataDir); err != nil {
			return nil, err
		}
	}
	h, err := analytics.NewPersonHasher(key)
	if err != nil {
		return nil, fmt.Errorf("HEED_ERASURE_KEY: %w", err)
	}
	return h, nil
}

// storedErasureKey returns the erasure key kept in DataDir/erasure_key,
// creating it on first use. Set HEED_ERASURE_KEY in production (the same
// on every instance): a key lost with its folder leaves the erased list
// unreadable, and sends then refuse to run (analytics.ErrErasureKey)
// rather than email a forgotten person.
func storedErasureKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "erasure_key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= analytics.MinErasureKey {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	key := hex.EncodeToString(b)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("store erasure key: %w", err)
	}
	return key, nil
}
