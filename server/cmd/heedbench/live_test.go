package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"heed/analytics"
	"heed/analytics/clickhouse"
	"heed/analytics/clickhouse/chtest"
)

func TestSettleTime(t *testing.T) {
	end := time.Unix(1000, 0)
	at := func(s float64, ratio float64, failed bool) liveSample {
		return liveSample{at: end.Add(time.Duration(s * float64(time.Second))), ratio: ratio, failed: failed}
	}
	for _, tc := range []struct {
		name  string
		after []liveSample
		want  float64
	}{
		{"settled from the first sample", []liveSample{at(0.2, 1.1, false), at(3, 1.2, false)}, 0.2},
		{"settles later", []liveSample{at(0, 4, false), at(3, 1.4, false), at(6, 1.0, false)}, 3},
		{"a relapse counts: the last good run", []liveSample{at(0, 1, false), at(3, 2, false), at(6, 1, false)}, 6},
		{"the last sample is slow", []liveSample{at(0, 1, false), at(3, 1.6, false)}, -1},
		{"a failed request is not settled", []liveSample{at(0, 1, false), at(3, 1, true)}, -1},
		{"no samples", nil, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := settleTime(tc.after, end, 1.5); got != tc.want {
				t.Fatalf("settleTime = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestQueryShape(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"SELECT x FROM answers WHERE survey_id = 'a' AND created_at >= toDateTime(1712)",
			"SELECT x  FROM answers\n\tWHERE survey_id = 'b''s' AND created_at >= toDateTime(99)"},
		{"SELECT DISTINCT hash FROM erased WHERE has(['ab', 'cd', 'ef0", // cut inside a string
			"SELECT DISTINCT hash FROM erased WHERE has(['12', '34', '5"},
	} {
		if sa, sb := queryShape(tc.a), queryShape(tc.b); sa != sb {
			t.Errorf("shapes differ:\n%s\n%s", sa, sb)
		}
	}
	if queryShape("SELECT a FROM answers") == queryShape("SELECT a FROM answer_days") {
		t.Error("two tables, one shape")
	}
}

// TestReportStatementShapes: a raw report as clickhouse-go binds it (the
// literals in the text, as query_log holds it) has a shape of the list.
func TestReportStatementShapes(t *testing.T) {
	sql, err := clickhouse.WithIdent(heedStatement("select-raw-report"), "period", "toDate")
	if err != nil {
		t.Fatal(err)
	}
	for _, lit := range []string{"'UTC'", "'live_largest'", "1765000000", "1765086400", "1"} {
		sql = strings.Replace(sql, "?", lit, 1)
	}
	if !reportStatementShapes()[queryShape(sql)] {
		t.Errorf("the bound raw report's shape is not listed: %s", queryShape(sql))
	}
	if reportStatementShapes()[queryShape(heedStatement("select-first-answers"))] {
		t.Error("a lookup of the writer passes for a report")
	}
}

// TestPace: the pacer sends each answer when it is due, follow-ups to the
// sampled responses and new answers to the scenario's surveys; when every
// slot is busy a due answer is skipped and counted, never queued.
func TestPace(t *testing.T) {
	sc := liveScenario{Surveys: 5, Answers: 10_000, Largest: 4000}
	follow := []followupID{{"live_s_2", uuid.New()}, {liveLargest, uuid.New()}}
	for _, tc := range []struct {
		name                    string
		rate                    float64
		d                       time.Duration
		inFlight                int
		block                   bool
		wantPosted, wantSkipped int64
		wantMostInFlight        int64
	}{
		{"a fast server gets every answer", 400, 250 * time.Millisecond, 64, false, 100, 0, 64},
		{"a stuck server: the rest is skipped", 400, 50 * time.Millisecond, 4, true, 4, 16, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				cur, most, follows atomic.Int64
				release            = make(chan struct{})
				mu                 sync.Mutex
				bad                []string
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := cur.Add(1)
				defer cur.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				var in struct {
					ResponseID string `json:"response_id"`
				}
				json.NewDecoder(r.Body).Decode(&in)
				survey := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/surveys/"), "/responses")
				known := survey == liveLargest
				for i := 0; i < sc.Surveys-1; i++ {
					known = known || survey == "live_s_"+strconv.Itoa(i)
				}
				for _, f := range follow {
					if in.ResponseID == f.id.String() {
						follows.Add(1)
						known = known && survey == f.survey
					}
				}
				if !known {
					mu.Lock()
					bad = append(bad, survey+" "+in.ResponseID)
					mu.Unlock()
				}
				if tc.block {
					<-release
				}
				w.WriteHeader(http.StatusAccepted)
			}))
			defer srv.Close()
			o := liveOptions{rate: tc.rate, duration: tc.d, followups: 0.3, inFlight: tc.inFlight}
			var st pacerStats
			done := make(chan struct{})
			go func() { pace(srv.URL, sc, o, follow, &st); close(done) }()
			if tc.block {
				// Every answer has been sent or skipped before the server answers any.
				deadline := time.Now().Add(10 * time.Second)
				for st.posted.Load()+st.skipped.Load() < int64(tc.rate*tc.d.Seconds()) {
					if time.Now().After(deadline) {
						close(release)
						<-done
						t.Fatalf("the pacer waits for a stuck server: %d posted, %d skipped", st.posted.Load(), st.skipped.Load())
					}
					time.Sleep(time.Millisecond)
				}
				close(release)
			}
			<-done
			if st.posted.Load() != tc.wantPosted || st.skipped.Load() != tc.wantSkipped || st.accepted.Load() != tc.wantPosted {
				t.Fatalf("posted %d, skipped %d, accepted %d; want %d, %d, %d", st.posted.Load(), st.skipped.Load(), st.accepted.Load(),
					tc.wantPosted, tc.wantSkipped, tc.wantPosted)
			}
			if most.Load() > tc.wantMostInFlight {
				t.Fatalf("%d requests in flight at once, at most %d allowed", most.Load(), tc.wantMostInFlight)
			}
			if len(bad) > 0 {
				t.Fatalf("answers to unknown surveys or follow-ups to the wrong survey: %v", bad)
			}
			if follows.Load() != st.followups.Load() {
				t.Fatalf("server saw %d follow-ups, the pacer counted %d", follows.Load(), st.followups.Load())
			}
			if !tc.block && (st.followups.Load() < 15 || st.followups.Load() > 45) {
				t.Fatalf("%d follow-ups of 100 at a 30 %% share", st.followups.Load())
			}
		})
	}
}

// TestGenerateLive: the data set on the real server has every survey saved
// (loadable by Heed, each with its own id), every response in one of them,
// the largest survey its size, and follow-up ids Heed's API accepts.
func TestGenerateLive(t *testing.T) {
	const name = "heed_test_bench_live"
	chtest.Empty(t, name) // skips in -short; refuses a non-test name
	ctx := context.Background()
	o := liveOptions{chURL: chtest.URL(name), days: 60, followDays: 30, followups: 0.1}
	sc := liveScenario{Surveys: 7, Answers: 5000, Largest: 2000}
	store, conn, err := generateLive(ctx, o, sc)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	defer conn.Close()
	rows, err := conn.Query(ctx, "SELECT survey_id, uniqExact(response_id) FROM answers GROUP BY survey_id")
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]uint64{}
	var total uint64
	for rows.Next() {
		var id string
		var n uint64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		per[id], total = n, total+n
	}
	rows.Close()
	if len(per) != sc.Surveys || total != uint64(sc.Answers) || per[liveLargest] != uint64(sc.Largest) {
		t.Fatalf("responses per survey %v (total %d); want %d surveys, %d in all, %d in %s", per, total, sc.Surveys, sc.Answers, sc.Largest, liveLargest)
	}
	surveys := analytics.NewSurveys(store)
	if err := surveys.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for id := range per {
		if sv, ok := surveys.Get(id); !ok || sv.ID != id {
			t.Fatalf("survey %s holds answers but Heed does not load it as itself (%v)", id, ok)
		}
	}
	ids, err := followupIDs(ctx, conn, o, sc)
	if err != nil || len(ids) == 0 {
		t.Fatalf("follow-up ids: %d, %v", len(ids), err)
	}
	for _, f := range ids {
		if f.id.Version() == 5 || per[f.survey] == 0 {
			t.Fatalf("follow-up id %s of %s: a version 5 id, or a survey with no answers", f.id, f.survey)
		}
	}
}
