package server

import (
	"fmt"
	"math"
	"strings"

	"heed/analytics"
)

// followUpsInput gives NPS groups follow-ups of their own (see
// analytics.FollowUps); a group left out gets the survey's reasons.
type followUpsInput struct {
	Detractors *followUpInput `json:"detractors"`
	Passives   *followUpInput `json:"passives"`
	Promoters  *followUpInput `json:"promoters"`
}

type followUpInput struct {
	Question string        `json:"question" validate:"max=500"`
	Reasons  []reasonInput `json:"reasons" validate:"max=20,unique=ID,dive"`
}

// groups returns the entries in the order of analytics.Groups.
func (in *followUpsInput) groups() [3]*followUpInput {
	if in == nil {
		return [3]*followUpInput{}
	}
	return [3]*followUpInput{in.Detractors, in.Passives, in.Promoters}
}

// trim drops the spaces around questions and labels, and their control
// characters (analytics.CleanLine).
func (in *followUpsInput) trim() {
	for _, f := range in.groups() {
		if f != nil {
			f.Question = strings.TrimSpace(analytics.CleanLine(f.Question))
			trimLabels(f.Reasons)
		}
	}
}

func trimLabels(reasons []reasonInput) {
	for i := range reasons {
		reasons[i].Label = strings.TrimSpace(analytics.CleanLine(reasons[i].Label))
	}
}

// reasonErrors checks what the validator's tags cannot: a reason id is
// unique across the whole survey (top-level and every group), and top-level
// reasons must be offered to some group. Keys are JSON paths, like the
// validator's.
func (in *surveyInput) reasonErrors() map[string]string {
	fields := map[string]string{}
	first := map[string]string{} // reason id -> path of its first use
	check := func(list string, reasons []reasonInput) {
		seen := map[string]bool{} // repeats within one list: the validator's unique
		for i, r := range reasons {
			path := fmt.Sprintf("%s[%d].id", list, i)
			if at, ok := first[r.ID]; ok && !seen[r.ID] {
				fields[path] = fmt.Sprintf("%q is already used by %s: reason ids must be unique across the survey, follow_ups included", r.ID, at)
			} else if !ok {
				first[r.ID] = path
			}
			seen[r.ID] = true
		}
	}
	check("reasons", in.Reasons)
	own := 0
	for i, f := range in.FollowUps.groups() {
		if f != nil {
			own++
			check("follow_ups."+analytics.Groups[i]+".reasons", f.Reasons)
		}
	}
	if own == len(analytics.Groups) && len(in.Reasons) > 0 {
		fields["reasons"] = "would be offered to nobody: every group has its own follow_ups; move them into a group's reasons"
	}
	return fields
}

// followUps builds the survey's follow-ups; nil when no group has one.
func (in *followUpsInput) followUps() *analytics.FollowUps {
	var out analytics.FollowUps
	dst := [3]**analytics.FollowUp{&out.Detractors, &out.Passives, &out.Promoters}
	has := false
	for i, f := range in.groups() {
		if f == nil {
			continue
		}
		has = true
		*dst[i] = &analytics.FollowUp{Question: f.Question, Reasons: reasons(f.Reasons)}
	}
	if !has {
		return nil
	}
	return &out
}

func reasons(in []reasonInput) []analytics.Reason {
	out := make([]analytics.Reason, len(in))
	for i, r := range in {
		out[i] = analytics.Reason{ID: r.ID, Label: r.Label}
	}
	return out
}

// reasonBase names whom a reason's first report.csv column is a share of:
// the detractors for a reason offered to everyone (as before follow_ups),
// else the groups it is offered to ("promoters", "detractors and passives").
func reasonBase(groups []string) string {
	switch len(groups) {
	case len(analytics.Groups):
		return analytics.GroupDetractors
	case 0:
		return "nobody"
	}
	return strings.Join(groups, " and ")
}

// reasonShare is the share reasonBase names: of detractors, or among the
// answers of the reason's groups.
func reasonShare(st analytics.ReasonStats) float64 {
	if len(st.Groups) == len(analytics.Groups) {
		return st.ShareOfDetractors
	}
	cited, of := 0, 0
	for _, g := range st.Groups {
		cited += st.Among[g].Cited
		of += st.Among[g].Of
	}
	if of == 0 {
		return 0
	}
	return math.Round(float64(cited)/float64(of)*1e4) / 1e4
}
