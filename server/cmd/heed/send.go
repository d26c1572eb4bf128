package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/emails"
)

// sendCmd is `heed send --survey ID [--where prop=value]... [--dry-run]`
// and `heed send --remind SEND_ID`. Running the same command again (the
// same survey, filters and day, or the same --send-id) resumes the send and
// emails nobody twice.
func sendCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("heed send", stderr)
	var (
		cfg     emails.Config
		url     string
		addr    string
		dataDir string
	)
	emailFlags(fs, &cfg)
	storeFlags(fs, &url)
	fs.str(&dataDir, "data-dir", "HEED_DATA_DIR", ".data", "Heed's local files: signing key, outbox")
	fs.str(&addr, "addr", "HEED_ADDR", "127.0.0.1:8080", "Heed's address, for links when --public-url is unset")
	surveyID := fs.String("survey", "", "the survey to send")
	sendID := fs.String("send-id", "", "name of this send; the same name resumes it (default: survey, filters and day)")
	remind := fs.String("remind", "", "send the reminder of this send to those who have not answered")
	reminderDays := fs.Int("reminder-days", 0, "remind non-responders after this many days (heed serve does it)")
	dryRun := fs.Bool("dry-run", false, "count who would be emailed; send nothing")
	quiet := fs.Bool("quiet", false, "no progress bar")
	where := map[string]string{}
	fs.Func("where", "only contacts whose property equals a value: prop=value (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return fmt.Errorf("--where takes prop=value, got %q", v)
		}
		where[k] = val
		return nil
	})
	if err := fs.parse(args); err != nil {
		return err
	}
	if (*surveyID == "") == (*remind == "") {
		return errors.New("usage: heed send --survey ID [--where prop=value]... [--dry-run]   or   heed send --remind SEND_ID")
	}
	if *reminderDays < 0 || *reminderDays > analytics.MaxReminderDays {
		return fmt.Errorf("--reminder-days must be from 0 to %d, got %d", analytics.MaxReminderDays, *reminderDays)
	}
	store, err := clickhouse.Open(url)
	if err != nil {
		return err
	}
	defer store.Close()
	cfg.PublicURL, cfg.DataDir, cfg.Logger = publicURL(cfg.PublicURL, addr), dataDir, newLogger(stderr, true)
	emailing, err := emails.New(cfg, store)
	if err != nil {
		return err
	}
	surveys := analytics.NewSurveys(store)
	if err := surveys.Load(ctx); err != nil {
		return err
	}

	kind := analytics.KindInitial
	var send analytics.Send
	if *remind != "" {
		kind = analytics.KindReminder
		if send, err = store.GetSend(ctx, *remind); err != nil {
			return fmt.Errorf("send %q: %w", *remind, err)
		}
	} else {
		if _, ok := surveys.Get(*surveyID); !ok {
			return fmt.Errorf("no survey %q", *surveyID)
		}
		id := *sendID
		if id == "" {
			id = defaultSendID(*surveyID, where, time.Now().UTC())
		}
		var resumed bool
		send, resumed, err = emailing.Sends.Open(ctx, emails.SendRequest{ID: id, SurveyID: *surveyID,
			Filter: analytics.ContactFilter{Where: where}, ReminderDays: *reminderDays, DryRun: *dryRun})
		if err != nil {
			return fmt.Errorf("send %q: %w", id, err)
		}
		if resumed {
			fmt.Fprintf(stderr, "resuming send %s\n", send.ID)
		}
	}
	sv, ok := surveys.Get(send.SurveyID)
	if !ok {
		return fmt.Errorf("no survey %q", send.SurveyID)
	}
	if !*dryRun {
		detail := "send " + send.ID
		if kind == analytics.KindReminder {
			detail = "reminders of send " + send.ID
		}
		audit(ctx, store, analytics.AuditEntry{Action: "send.start", Target: sv.ID, Detail: detail}, stderr)
	}
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if *quiet {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("emailing"),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(100e6))
		}
		bar.Set(done)
	}
	sum, err := emailing.Sends.Run(ctx, send, sv, kind, *dryRun, progress)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	verb := "emailed"
	if *dryRun {
		verb = "would email"
		sum.Sent = sum.WouldSend
	}
	fmt.Fprintf(stdout, "send %s (%s): %s %d of %d selected; already done %d; skipped: %d suppressed, %d asked recently, %d answered; failed %d; %d requests\n",
		send.ID, kind, verb, sum.Sent, sum.Selected, sum.AlreadyHandled, sum.SkippedSuppressed, sum.SkippedRecent, sum.SkippedAnswered, sum.Failed, sum.Requests)
	if emailing.Outbox != nil && !*dryRun {
		fmt.Fprintf(stdout, "no SENDGRID_API_KEY: the emails are in %s (and at /dev/outbox in heed serve --dev)\n", emailing.Outbox.Dir)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted; run the same command again to resume (nobody is emailed twice)")
		}
		return err
	}
	return nil
}

// defaultSendID names a send by survey, filters and day, so re-running the
// same command the same day resumes it.
func defaultSendID(survey string, where map[string]string, day time.Time) string {
	keys := make([]string, 0, len(where))
	for k := range where {
		keys = append(keys, k+"="+where[k])
	}
	sort.Strings(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\x00")))
	return fmt.Sprintf("%s-%s-%s", survey, day.Format("20060102"), hex.EncodeToString(sum[:3]))
}
