package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/emails"
)

// SendResult is the figures of a large send against a SendGrid stand-in.
type SendResult struct {
	Contacts     int     `json:"contacts"`
	Sent         int     `json:"sent"`
	Requests     int64   `json:"requests"`
	Seconds      float64 `json:"seconds"`
	MessagesPerS float64 `json:"messages_per_s"`
	PeakHeapMB   float64 `json:"peak_heap_mb"`
	BodyMBPerReq float64 `json:"avg_request_mb"`
}

// benchSend emails a survey to n contacts through emails.Sends (the code of
// heed send and the sends API) with a local stand-in for the SendGrid API
// that reads and accepts every request.
func benchSend(ctx context.Context, chURL string, n int) (SendResult, error) {
	res := SendResult{Contacts: n}
	db, err := clickhouse.Open(chURL)
	if err != nil {
		return res, err
	}
	defer db.Close()
	contacts := make([]analytics.Contact, 0, 10000)
	for i := 0; i < n; i++ {
		email := fmt.Sprintf("customer%06d@example.com", i)
		contacts = append(contacts, analytics.Contact{ContactID: analytics.ContactID(email), Email: email, Name: fmt.Sprintf("Customer %d", i),
			Properties: map[string]string{"plan": []string{"free", "pro"}[i%2]}})
		if len(contacts) == cap(contacts) || i == n-1 {
			if err := db.UpsertContacts(ctx, contacts); err != nil {
				return res, err
			}
			contacts = contacts[:0]
		}
	}
	var bytesIn atomic.Int64
	standIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k, _ := io.Copy(io.Discard, r.Body)
		bytesIn.Add(k)
		w.WriteHeader(http.StatusAccepted)
	}))
	defer standIn.Close()
	sg := emails.NewSendGrid("SG.bench", standIn.URL)
	signer, _ := emails.NewSigner("bench:0123456789abcdef0123456789abcdef")
	sends := &emails.Sends{Store: db, Mailer: sg, Signer: signer, BaseURL: "https://heed.example.com", From: mail.NewEmail("Acme", "support@acme.example")}
	sv := &analytics.Survey{ID: "bench-mail", Name: "Bench", Question: analytics.DefaultQuestion, Widget: analytics.DefaultWidgetSettings()}

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() { // sample the heap while sending
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	runtime.GC()
	start := time.Now()
	sum, err := sends.Run(ctx, analytics.Send{ID: fmt.Sprintf("bench-%d", time.Now().UnixNano()), SurveyID: sv.ID, CreatedAt: start}, sv, analytics.KindInitial, false, nil)
	res.Seconds = time.Since(start).Seconds()
	close(stop)
	if err != nil {
		return res, err
	}
	res.Sent, res.Requests = sum.Sent, sg.Requests()
	res.MessagesPerS = float64(sum.Sent) / res.Seconds
	res.PeakHeapMB = float64(peak.Load()) / (1 << 20)
	if res.Requests > 0 {
		res.BodyMBPerReq = float64(bytesIn.Load()) / float64(res.Requests) / (1 << 20)
	}
	return res, nil
}
