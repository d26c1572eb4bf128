package analytics

// Groups lists the NPS groups, lowest scores first: the keys of
// follow_ups and what a reason's groups name in reports.
var Groups = []string{GroupDetractors, GroupPassives, GroupPromoters}

// FollowUp is what one group is asked once it has given its score, e.g.
// promoters: "What did you like most?" with reasons of their own.
type FollowUp struct {
	// Question is shown as written; empty means the standard follow-up
	// question ("What is the main reason for your score?") in the reader's
	// language.
	Question string   `json:"question"`
	Reasons  []Reason `json:"reasons"`
}

// FollowUps holds the groups' own follow-ups. A nil entry means the group
// gets the survey's top-level reasons and the standard question. Reason ids
// are unique across the survey: top-level reasons and every group's.
type FollowUps struct {
	Detractors *FollowUp `json:"detractors,omitempty"`
	Passives   *FollowUp `json:"passives,omitempty"`
	Promoters  *FollowUp `json:"promoters,omitempty"`
}

// list returns the entries in the order of Groups.
func (f *FollowUps) list() [3]*FollowUp {
	return [3]*FollowUp{f.Detractors, f.Passives, f.Promoters}
}

// Group returns the follow-up of a group (see Groups), or nil when the group
// has none of its own.
func (f *FollowUps) Group(group string) *FollowUp {
	if f == nil {
		return nil
	}
	for i, g := range Groups {
		if g == group {
			return f.list()[i]
		}
	}
	return nil
}

// FollowUp returns what a respondent with this score is asked after it:
// the group's own question ("" = the standard follow-up question in the
// reader's language) and reasons, or, when the group has no follow-up of
// its own, "" and the survey's top-level reasons.
func (s *Survey) FollowUp(score uint8) (question string, reasons []Reason) {
	if f := s.FollowUps.Group(GroupOf(score)); f != nil {
		return f.Question, f.Reasons
	}
	return "", s.Reasons
}

// OffersReason reports whether the follow-up of this score offers reason id.
func (s *Survey) OffersReason(score uint8, id string) bool {
	_, reasons := s.FollowUp(score)
	for _, r := range reasons {
		if r.ID == id {
			return true
		}
	}
	return false
}

// OfferedReason is a reason with the groups it is offered to, in the order
// of Groups.
type OfferedReason struct {
	Reason
	Groups []string `json:"groups"`
	// Retired marks a reason removed from the survey (RetiredReasons).
	Retired bool `json:"retired,omitempty"`
}

// AllReasons lists each reason of the survey once, with the groups it is
// offered to: the top-level reasons first (offered to every group without a
// follow-up of its own, maybe none), then each group's, in the order of
// Groups, then the retired ones (no longer offered, still reported).
func (s *Survey) AllReasons() []OfferedReason {
	var own [3]*FollowUp
	if s.FollowUps != nil {
		own = s.FollowUps.list()
	}
	rest := []string{}
	for i, g := range Groups {
		if own[i] == nil {
			rest = append(rest, g)
		}
	}
	out := make([]OfferedReason, 0, len(s.Reasons))
	for _, r := range s.Reasons {
		out = append(out, OfferedReason{Reason: r, Groups: rest})
	}
	for i, f := range own {
		if f == nil {
			continue
		}
		for _, r := range f.Reasons {
			out = append(out, OfferedReason{Reason: r, Groups: []string{Groups[i]}})
		}
	}
	for _, r := range s.RetiredReasons {
		out = append(out, OfferedReason{Reason: r.Reason, Groups: r.Groups, Retired: true})
	}
	return out
}
