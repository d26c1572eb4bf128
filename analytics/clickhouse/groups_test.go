package clickhouse

import (
	"reflect"
	"testing"
)

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
