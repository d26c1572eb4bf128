package server

import (
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

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
	"heed/emails"
)

// Emailing is everything survey email needs, built from the config; heed
// serve and the contacts/send commands share it.
type Emailing struct {
	Sends   *emails.Sends
	Signer  *emails.Signer
	Outbox  *emails.Outbox // nil when SendGrid is configured
	Webhook *ecdsa.PublicKey
}

// NewEmailing wires email from cfg (after setDefaults).
func NewEmailing(cfg Config, db *analytics.DB) (*Emailing, error) {
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--public-url %q must be an http(s) URL", cfg.PublicURL)
	}
	if _, err := mail.ParseAddress(cfg.FromEmail); err != nil {
		return nil, fmt.Errorf("--from-email %q: %w", cfg.FromEmail, err)
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
	signer, err := emails.NewSigner(keys)
	if err != nil {
		return nil, err
	}
	e := &Emailing{Signer: signer}
	var mailer emails.Mailer
	if cfg.SendGridKey != "" {
		mailer = emails.NewSendGrid(cfg.SendGridKey, cfg.SendGridHost)
	} else {
		e.Outbox = &emails.Outbox{Dir: filepath.Join(cfg.DataDir, "outbox")}
		mailer = e.Outbox
	}
	if cfg.SendGridWebhookKey != "" {
		if e.Webhook, err = parseWebhookKey(cfg.SendGridWebhookKey); err != nil {
			return nil, err
		}
	}
	e.Sends = &emails.Sends{DB: db, Mailer: mailer, Signer: signer, BaseURL: cfg.PublicURL,
		From: sgmail.NewEmail(cfg.FromName, cfg.FromEmail), LockDir: filepath.Join(cfg.DataDir, "locks"), Log: slog.Default()}
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
