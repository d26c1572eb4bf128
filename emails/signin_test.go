package emails

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSendSignIn: the sign-in and invitation emails reach SendGrid's v3
// API as one message to the person, click tracking off (the link must not
// pass through a redirector that would see its token), the name escaped in
// the HTML and the link in both parts.
func TestSendSignIn(t *testing.T) {
	sg := newStandIn(t)
	e, err := New(Config{PublicURL: "https://heed.example.com", SendGridKey: "SG.test", SendGridHost: sg.URL,
		SigningKeys: "k1:" + strings.Repeat("s", 32), FromEmail: "heed@example.com", DataDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://heed.example.com/dashboard.html#signin=abc_DEF-123"
	for _, in := range []SignIn{
		{To: "ann@example.com", Name: "Ann", URL: link, Expires: 15 * time.Minute},
		{To: "bob@example.com", Name: "Bob", URL: link, Invite: true, By: "<b>boss</b>@example.com", Role: "manager", Expires: 7 * 24 * time.Hour},
	} {
		if err := e.SendSignIn(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	if len(sg.bodies) != 2 {
		t.Fatalf("%d requests", len(sg.bodies))
	}
	for i, want := range []struct{ to, subject, expiry string }{
		{"ann@example.com", "Your link to sign in to Heed", "15 minutes"},
		{"bob@example.com", "You are invited to Heed", "7 days"},
	} {
		b := sg.bodies[i]
		ps := b["personalizations"].([]any)
		to := ps[0].(map[string]any)["to"].([]any)
		if len(ps) != 1 || len(to) != 1 || to[0].(map[string]any)["email"] != want.to || b["subject"] != want.subject {
			t.Errorf("message %d: %v", i, b)
		}
		click := b["tracking_settings"].(map[string]any)["click_tracking"].(map[string]any)
		if click["enable"] != false {
			t.Errorf("message %d: click tracking %v", i, click)
		}
		for _, c := range b["content"].([]any) {
			v := c.(map[string]any)["value"].(string)
			if !strings.Contains(v, link) || !strings.Contains(v, want.expiry) {
				t.Errorf("message %d %s lacks the link or %q", i, c.(map[string]any)["type"], want.expiry)
			}
			if strings.Contains(v, "<b>boss</b>") && c.(map[string]any)["type"] == "text/html" {
				t.Errorf("message %d: the inviter's name is not escaped", i)
			}
		}
	}
}
