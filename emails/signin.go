package emails

import (
	"bytes"
	"context"
	"fmt"
	"time"

	sgmail "github.com/sendgrid/sendgrid-go/helpers/mail"
)

// SignIn is a one-time sign-in link for a person who uses Heed, or their
// invitation (the same link, longer lived). Heed's own people read
// English: these emails are not translated.
type SignIn struct {
	To      string
	Name    string
	URL     string
	Invite  bool
	By      string // who invited them (an invitation)
	Role    string
	Expires time.Duration
}

type signInData struct {
	Subject, Heading, Intro, Button, URL, Expiry, Footer string
}

// RenderSignIn renders a sign-in or invitation email.
func RenderSignIn(in SignIn) (Rendered, error) {
	d := signInData{URL: in.URL, Button: "Sign in to Heed",
		Subject: "Your link to sign in to Heed", Heading: "Sign in to Heed",
		Intro:  "Someone (we hope you) asked to sign in to Heed as " + in.To + ". Use the button below; the link works once.",
		Footer: "If you did not ask for it, ignore this email: nobody can sign in without the link."}
	if in.Invite {
		by := oneLine(in.By)
		if by == "" || by == "bootstrap" {
			by = "An administrator"
		}
		d.Subject = "You are invited to Heed"
		d.Heading = "You are invited to Heed"
		d.Button = "Accept and sign in"
		d.Intro = fmt.Sprintf("%s invited you to Heed, the company's customer survey service, as %s. Use the button below to sign in; the link works once.", by, article(in.Role))
		d.Footer = "After signing in you can set a password, or ask for a new link whenever you sign in."
	}
	d.Expiry = "The link expires in " + duration(in.Expires) + "."
	var html, text bytes.Buffer
	if err := htmlTemplates.ExecuteTemplate(&html, "signin.html", d); err != nil {
		return Rendered{}, err
	}
	if err := textTemplates.ExecuteTemplate(&text, "signin.txt", d); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: d.Subject, HTML: html.String(), Text: text.String()}, nil
}

// SendSignIn emails a sign-in link or an invitation.
func (e *Emailing) SendSignIn(ctx context.Context, in SignIn) error {
	r, err := RenderSignIn(in)
	if err != nil {
		return err
	}
	m := e.message(r, "heed-sign-in", sgmail.NewEmail(recipientName(in.Name), in.To))
	// A sign-in link must not be rewritten by click tracking: the token
	// would pass through SendGrid's redirector.
	m.SetTrackingSettings(sgmail.NewTrackingSettings().SetClickTracking(sgmail.NewClickTrackingSetting().SetEnable(false)))
	return e.Mailer.Send(ctx, m)
}

func article(role string) string {
	switch role {
	case "admin":
		return "an admin"
	case "":
		return "a member"
	}
	return "a " + role
}

func duration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}
