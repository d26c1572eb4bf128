package clickhouse

import (
	"reflect"
	"testing"
	"time"
)

// TestPartsServe checks the rule that lets a report trust a day's count:
// the parts that may hold rows of the day are those it was counted from.
func TestPartsServe(t *testing.T) {
	day := time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC)
	at := func(d, h int) int64 { return day.AddDate(0, 0, d).Add(time.Duration(h) * time.Hour).Unix() }
	a := answerPart{"202611", "202611_1_1_0", at(0, 1), at(0, 5), 100}
	b := answerPart{"202611", "202611_2_2_0", at(-3, 0), at(0, 2), 101} // a late follow-up spans days
	other := answerPart{"202611", "202611_3_3_0", at(1, 0), at(1, 3), 102}
	merged := answerPart{"202611", "202611_1_2_1", at(-3, 0), at(0, 5), 103}
	counted := answerParts{a, b, other}.day(day).id
	empty := answerParts{other}.day(day).id
	cases := []struct {
		name  string
		now   answerParts
		id    uint64
		count bool
		want  bool
	}{
		{"same parts", answerParts{a, b, other}, counted, true, true},
		{"a part of another day came", answerParts{a, b}, counted, true, true},
		{"a part of the day came", answerParts{a, b, {"202611", "202611_4_4_0", at(0, 7), at(0, 8), 104}}, counted, true, false},
		{"parts merged", answerParts{merged, other}, counted, true, false},
		{"a part dropped", answerParts{a, other}, counted, true, false},
		{"a part rewritten under its name", answerParts{a, {"202611", "202611_2_2_0", at(-3, 0), at(0, 2), 105}, other}, counted, true, false},
		{"no count, no part", answerParts{other}, 0, false, true},
		{"no count, a part", answerParts{a}, 0, false, false},
		{"empty count, still no part", answerParts{other}, empty, true, true},
		{"empty count, a part came", answerParts{a, other}, empty, true, false},
		{"range unknown: the whole month", answerParts{{"202611", "202611_5_5_0", 0, 0, 106}}, 0, false, false},
		{"range unknown, another month", answerParts{{"202612", "202612_5_5_0", 0, 0, 106}}, 0, false, true},
		{"range and month unknown: all time", answerParts{{"all", "all_5_5_0", 0, 0, 106}}, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := c.now
			for i := range ps { // as answerParts reads them
				ps[i].spanIfUnknown()
			}
			if got := ps.day(day).serves(c.id, c.count); got != c.want {
				t.Errorf("serves = %v, want %v", got, c.want)
			}
		})
	}
}

func TestPartitionIDs(t *testing.T) {
	a := answerPart{"202611", "202611_1_1_0", 1, 2, 100}
	b := answerPart{"202611", "202611_2_2_0", 1, 2, 101}
	c := answerPart{"202610", "202610_3_3_0", 1, 2, 102}
	before := answerParts{a, b, c}.partitionIDs()
	for _, after := range []answerParts{{a, c}, {a, b, c, {"202611", "202611_4_4_0", 1, 2, 103}}, {{"202611", "202611_1_2_1", 1, 2, 103}, c}} {
		ids := after.partitionIDs()
		if ids["202611"] == before["202611"] {
			t.Errorf("%v: November's id did not change", after)
		}
		if ids["202610"] != before["202610"] {
			t.Errorf("%v: October's id changed", after)
		}
	}
}

func TestParseGroups(t *testing.T) {
	cases := []struct {
		in   string
		want []count
		bad  bool
	}{
		{in: "", want: nil},
		{in: "9::3", want: []count{{score: 9, reasons: []string{}, n: 3}}},
		{in: ",3:price;rude_service:2,,10::1,", want: []count{
			{score: 3, reasons: []string{"price", "rude_service"}, n: 2}, {score: 10, reasons: []string{}, n: 1}}},
		{in: "3:price", bad: true},
		{in: "x::1", bad: true},
		{in: "300::1", bad: true},
		{in: "3::-1", bad: true},
	}
	for _, c := range cases {
		got, err := parseGroups(c.in, map[string][]string{}, false)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	grouped := []struct {
		in   string
		want []count
		bad  bool
	}{
		{in: "656D61696C:9::3,:3:price:1", want: []count{
			{segment: "email", score: 9, reasons: []string{}, n: 3}, {segment: "", score: 3, reasons: []string{"price"}, n: 1}}},
		{in: "2C3A:10::2", want: []count{{segment: ",:", score: 10, reasons: []string{}, n: 2}}},
		{in: "zz:9::3", bad: true},
		{in: "9::3", bad: true},
	}
	for _, c := range grouped {
		got, err := parseGroups(c.in, map[string][]string{}, true)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error", c.in)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}
