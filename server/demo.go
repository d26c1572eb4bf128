package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"heed/analytics"
	"heed/emails"
	"heed/site"
)

// DemoSurveyID is the id of the survey that --demo creates.
const DemoSurveyID = "demo"

// ensureDemoSurvey creates the demo survey when it does not exist.
func (s *Server) ensureDemoSurvey(ctx context.Context) error {
	if !s.surveys.Loaded() {
		if err := s.loadSurveys(ctx); err != nil {
			return err
		}
	}
	if _, ok := s.surveys.Get(DemoSurveyID); ok {
		return nil
	}
	sv, err := s.newSurvey(demoSurvey(s.cfg.DemoAddr), DemoSurveyID)
	if err != nil {
		return err
	}
	if err := s.surveys.Save(ctx, sv); err != nil {
		return err
	}
	s.log.Info("created the demo survey", "id", DemoSurveyID)
	if err := s.seedDemoChurn(ctx, sv); err != nil {
		s.log.Warn("demo survey without its answers and churn", "err", err)
	}
	return s.sendDemoEmail(ctx, sv)
}

// demoSurvey is the demo survey: detractors and promoters are asked
// different follow-up questions with reasons of their own.
func demoSurvey(demoAddr string) surveyInput {
	return surveyInput{
		Name: "Demo: customer NPS",
		// Passives get these, under the standard follow-up question;
		// detractors and promoters are asked their own.
		Reasons: []reasonInput{
			{ID: "not_enough_choice", Label: "Not enough choice"},
			{ID: "delivery_time", Label: "Delivery took a while"},
			{ID: "nothing_special", Label: "Nothing special"},
		},
		FollowUps: &followUpsInput{
			Detractors: &followUpInput{Question: "What went wrong?", Reasons: []reasonInput{
				{ID: "rude_service", Label: "Rude or unhelpful service"},
				{ID: "slow_service", Label: "Slow service"},
				{ID: "price", Label: "Price"},
				{ID: "product_quality", Label: "Product quality"},
				{ID: "other", Label: "Other"},
			}},
			Promoters: &followUpInput{Question: "What did you like most?", Reasons: []reasonInput{
				{ID: "helpful_staff", Label: "Helpful staff"},
				{ID: "fast_service", Label: "Fast service"},
				{ID: "quality", Label: "Quality"},
				{ID: "good_value", Label: "Good value"},
			}},
		},
		AllowedOrigins: demoOrigins(demoAddr),
	}
}

// sendDemoEmail emails the demo survey once to a demo contact, so that a
// newcomer finds an email to answer at /dev/outbox. Only with the outbox:
// never through a real SendGrid account.
func (s *Server) sendDemoEmail(ctx context.Context, sv *analytics.Survey) error {
	if s.emailing.Outbox == nil {
		return nil
	}
	c := analytics.Contact{ContactID: analytics.ContactID("you@example.com"), Email: "you@example.com", Name: "You",
		Properties: map[string]string{"plan": "demo"}}
	if err := s.store.UpsertContacts(ctx, []analytics.Contact{c}); err != nil {
		return err
	}
	send, _, err := s.emailing.Sends.Open(ctx, emails.SendRequest{ID: "demo-welcome", SurveyID: sv.ID,
		Filter: analytics.ContactFilter{ContactIDs: []string{c.ContactID}}})
	if err != nil {
		return err
	}
	_, err = s.emailing.Sends.Run(ctx, send, sv, analytics.KindInitial, false, nil)
	return err
}

// demoOrigins are the origins the demo customer site may be opened under.
func demoOrigins(addr string) []string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return []string{"http://127.0.0.1:8081", "http://localhost:8081"}
	}
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	return []string{"http://" + net.JoinHostPort(host, port), "http://localhost:" + port}
}

// startDemoSite serves the demo customer page on cfg.DemoAddr: another
// origin, embedding the widget the way a customer's site would. Only with
// --dev --demo.
func (s *Server) startDemoSite() error {
	ln, err := net.Listen("tcp", s.cfg.DemoAddr)
	if err != nil {
		return err
	}
	heedURL := "http://" + strings.Replace(s.Addr(), "0.0.0.0", "127.0.0.1", 1)
	demoOrigin := "http://" + ln.Addr().String()
	page, err := site.DemoPage(heedURL, demoOrigin, DemoSurveyID)
	if err != nil {
		ln.Close()
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/demo.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Write(site.DemoCSS())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// A strict CSP, as careful customers have: the widget must work
		// with only Heed's origin allowed.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src "+heedURL+"; connect-src "+heedURL+"; style-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	s.demo = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.demo.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("demo site stopped", "err", err)
		}
	}()
	s.log.Info("demo customer site", "url", demoOrigin)
	s.demoURL = demoOrigin
	return nil
}

func (s *Server) stopDemoSite(ctx context.Context) {
	if s.demo != nil {
		s.demo.Shutdown(ctx)
	}
}

// DemoURL is the demo customer site's address, when it runs.
func (s *Server) DemoURL() string { return s.demoURL }
