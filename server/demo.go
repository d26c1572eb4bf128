package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"heed/site"
)

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
