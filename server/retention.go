package server

import (
	"context"
	"time"

	"heed/analytics"
)

// retentionWait bounds how long one survey's retention run waits for
// ClickHouse's mutations (they finish by themselves after it).
const retentionWait = time.Minute

// retentionLoop anonymises, every RetentionCheck, the answers past their
// survey's retention_days (analytics/retention.go). The first run comes a
// minute after start (or sooner, with a shorter check), once surveys are
// loaded. Every instance may run it: a run over answers already
// anonymised changes nothing.
func (s *Server) retentionLoop(ctx context.Context) {
	if s.cfg.RetentionCheck < 0 {
		return
	}
	delay := min(s.cfg.RetentionCheck, time.Minute)
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = s.cfg.RetentionCheck
		if !s.surveys.Loaded() {
			continue
		}
		s.runRetention(ctx)
	}
}

// runRetention runs every survey's retention once and logs what changed.
func (s *Server) runRetention(ctx context.Context) {
	sums, err := analytics.RunRetention(ctx, s.store, s.surveys.List(), time.Now(), retentionWait)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("retention", "err", err)
	}
	for _, sum := range sums {
		if sum.Changed() {
			s.log.Info("answers anonymised (retention)", "survey", sum.SurveyID, "before", sum.Before,
				"answers", sum.Answers, "last_answers", sum.Customers, "dismissals", sum.Dismissals, "case_notes", sum.CaseNotes, "done", sum.Done)
		}
	}
}
