package server

import (
	"context"
	"time"

	"heed/analytics"
)

// Reminders: a send with reminder_days > 0 gets one reminder, that many
// days later, to the contacts it emailed who have not answered, have not
// unsubscribed and have not bounced. heed serve checks every
// ReminderCheck; `heed send --remind SEND_ID` does one by hand. The send log
// makes both idempotent.

// remindLoop runs sendReminders until the server stops.
func (s *Server) remindLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.ReminderCheck):
		}
		if err := s.sendReminders(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("reminders", "err", err)
		}
	}
}

// sendReminders sends the reminders that are due.
func (s *Server) sendReminders(ctx context.Context) error {
	now := time.Now().UTC()
	sends, err := s.store.ListSends(ctx, now.AddDate(0, 0, -90))
	if err != nil {
		return err
	}
	for _, send := range sends {
		if send.ReminderDays <= 0 || now.Before(send.CreatedAt.AddDate(0, 0, send.ReminderDays)) {
			continue
		}
		sv, ok := s.surveys.Get(send.SurveyID)
		if !ok || sv.Archived() {
			continue
		}
		sum, err := s.emailing.Sends.Run(ctx, send, sv, analytics.KindReminder, false, nil)
		if err != nil {
			return err
		}
		if sum.Sent > 0 || sum.Failed > 0 {
			s.log.Info("reminder sent", "send", send.ID, "summary", sum)
		}
	}
	return nil
}
