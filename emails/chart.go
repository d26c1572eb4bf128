package emails

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"strconv"
)

// The digest's trend chart: NPS per period as a line, its 95 % interval as
// a band, a triangle under (over) each period whose NPS fell (rose)
// significantly from the period before, horizontal grid lines with tick
// labels. It is a PNG made with the standard library alone (email clients
// show no SVG, and Heed adds no font or chart dependency), so its few
// labels use the small bitmap font below. The email carries the same
// figures as text (the alt text and the table of periods), so nothing is
// only in the picture.

// Chart colours. Point and line differ so that a test can find each
// period's point by colour; falls and rises differ by shape too.
var (
	ChartBackground = color.RGBA{0xff, 0xff, 0xff, 0xff}
	ChartBand       = color.RGBA{0xbf, 0xdb, 0xfe, 0xff} // blue-200
	ChartLine       = color.RGBA{0x25, 0x63, 0xeb, 0xff} // blue-600
	ChartPoint      = color.RGBA{0x1e, 0x3a, 0x8a, 0xff} // blue-900
	ChartFall       = color.RGBA{0xb9, 0x1c, 0x1c, 0xff} // red-700
	ChartRise       = color.RGBA{0x15, 0x80, 0x3d, 0xff} // green-700
	chartGrid       = color.RGBA{0xe5, 0xe7, 0xeb, 0xff}
	chartZero       = color.RGBA{0x6b, 0x72, 0x80, 0xff}
	chartText       = color.RGBA{0x37, 0x41, 0x51, 0xff} // 10.3:1 on white
)

// Chart size in pixels: twice what the email shows (600 wide), so that it
// is sharp on high-density screens.
const (
	ChartWidth  = 1200
	ChartHeight = 560
	chartLeft   = 120
	chartRight  = ChartWidth - 36
	chartTop    = 36
	chartBottom = ChartHeight - 84
	glyphScale  = 3
)

// TrendPoint is one period of the chart.
type TrendPoint struct {
	Label string   // under the axis, e.g. "11-23": digits, '-', '/', '.', '+', '%', space
	NPS   *float64 // nil: no answers in the period (no point)
	Lo    float64  // the 95 % interval
	Hi    float64
	// Change is -1 when NPS fell significantly from the period before, +1
	// when it rose significantly, 0 otherwise.
	Change int
}

// chartGeometry maps NPS values and periods to pixels.
type chartGeometry struct {
	n          int
	yMin, yMax float64
	step       float64
}

func (g chartGeometry) x(i int) int {
	slot := float64(chartRight-chartLeft) / float64(g.n)
	return chartLeft + int(math.Round(slot*(float64(i)+0.5)))
}

func (g chartGeometry) y(v float64) int {
	f := (v - g.yMin) / (g.yMax - g.yMin)
	return chartBottom - int(math.Round(f*float64(chartBottom-chartTop)))
}

// ChartX and ChartY give the pixel of period i of n and of an NPS value on
// a chart of points: tests read the PNG back with them.
func ChartX(points []TrendPoint, i int) int { return geometry(points).x(i) }

// ChartY is the row of an NPS value on the chart of points.
func ChartY(points []TrendPoint, v float64) int { return geometry(points).y(v) }

// geometry picks the value range: -100 to 100 when the data need it, else
// the smallest range in steps of 25 (50 beyond a span of 100) that holds
// every NPS and interval, and 0, so the zero line is always there.
func geometry(points []TrendPoint) chartGeometry {
	lo, hi := 0.0, 0.0
	for _, p := range points {
		if p.NPS != nil {
			lo, hi = math.Min(lo, math.Min(p.Lo, *p.NPS)), math.Max(hi, math.Max(p.Hi, *p.NPS))
		}
	}
	step := 25.0
	if hi-lo > 100 {
		step = 50
	}
	yMin := math.Max(-100, math.Floor(lo/step)*step)
	yMax := math.Min(100, math.Ceil(hi/step)*step)
	if yMax-yMin < 2*step { // at least two steps of height
		if yMax < 100 {
			yMax += step
		}
		if yMax-yMin < 2*step {
			yMin -= step
		}
	}
	return chartGeometry{n: max(1, len(points)), yMin: yMin, yMax: yMax, step: step}
}

// TrendChart draws points as a PNG.
func TrendChart(points []TrendPoint) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, ChartWidth, ChartHeight))
	draw.Draw(img, img.Bounds(), &image.Uniform{ChartBackground}, image.Point{}, draw.Src)
	g := geometry(points)

	// Grid lines and their labels; the zero line darker.
	for v := g.yMin; v <= g.yMax+1e-9; v += g.step {
		y := g.y(v)
		c, w := chartGrid, 2
		if v == 0 {
			c, w = chartZero, 3
		}
		fillRect(img, chartLeft, y-w/2, chartRight, y-w/2+w, c)
		label := strconv.Itoa(int(v))
		drawText(img, chartLeft-16-textWidth(label), y-glyphH*glyphScale/2, label, chartText)
	}
	// Period labels, thinned so that they never touch.
	every := 1
	if len(points) > 1 {
		widest := 0
		for _, p := range points {
			widest = max(widest, textWidth(p.Label))
		}
		for every < len(points) && g.x(every)-g.x(0) < widest+24 {
			every++
		}
	}
	for i, p := range points {
		// The last period is the digest's: always labelled.
		if (len(points)-1-i)%every != 0 {
			continue
		}
		drawText(img, g.x(i)-textWidth(p.Label)/2, chartBottom+24, p.Label, chartText)
	}

	has := func(i int) bool { return i >= 0 && i < len(points) && points[i].NPS != nil }
	// The interval: a band between neighbouring periods with answers, a bar
	// for a period alone.
	for i, p := range points {
		if !has(i) {
			continue
		}
		if has(i + 1) {
			q := points[i+1]
			x0, x1 := g.x(i), g.x(i+1)
			for x := x0; x <= x1; x++ {
				f := float64(x-x0) / float64(x1-x0)
				top := g.y(p.Hi + f*(q.Hi-p.Hi))
				bottom := g.y(p.Lo + f*(q.Lo-p.Lo))
				fillRect(img, x, top, x+1, bottom+1, ChartBand)
			}
		} else if !has(i - 1) {
			fillRect(img, g.x(i)-8, g.y(p.Hi), g.x(i)+8, g.y(p.Lo)+1, ChartBand)
		}
	}
	// The line, between neighbouring periods with answers.
	for i := range points {
		if has(i) && has(i+1) {
			thickLine(img, g.x(i), g.y(*points[i].NPS), g.x(i+1), g.y(*points[i+1].NPS), 3, ChartLine)
		}
	}
	// Points, ringed in white so that each stands apart from the line, and
	// the marks of significant changes.
	for i, p := range points {
		if !has(i) {
			continue
		}
		x, y := g.x(i), g.y(*p.NPS)
		disc(img, x, y, 13, ChartBackground)
		disc(img, x, y, 9, ChartPoint)
		switch p.Change {
		case -1:
			triangle(img, x, y+27, 13, false, ChartFall)
		case 1:
			triangle(img, x, y-27, 13, true, ChartRise)
		}
	}

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fillRect(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	draw.Draw(img, image.Rect(x0, y0, x1, y1), &image.Uniform{c}, image.Point{}, draw.Src)
}

func disc(img *image.RGBA, cx, cy, r int, c color.RGBA) {
	for dy := -r; dy <= r; dy++ {
		for dx := -r; dx <= r; dx++ {
			if dx*dx+dy*dy <= r*r {
				img.SetRGBA(cx+dx, cy+dy, c)
			}
		}
	}
}

// thickLine stamps a disc of radius r every half pixel along the segment.
func thickLine(img *image.RGBA, x0, y0, x1, y1, r int, c color.RGBA) {
	dx, dy := float64(x1-x0), float64(y1-y0)
	steps := int(math.Ceil(2 * math.Hypot(dx, dy)))
	for s := 0; s <= steps; s++ {
		f := float64(s) / float64(max(1, steps))
		disc(img, x0+int(math.Round(f*dx)), y0+int(math.Round(f*dy)), r, c)
	}
}

// triangle fills an isosceles triangle centred on (cx, cy), pointing up or down.
func triangle(img *image.RGBA, cx, cy, half int, up bool, c color.RGBA) {
	for row := 0; row <= 2*half; row++ {
		w := row / 2 // widens by one pixel every two rows
		y := cy - half + row
		if !up {
			y = cy + half - row
		}
		fillRect(img, cx-w, y, cx+w+1, y+1, c)
	}
}

// A 5x7 bitmap font of what chart labels use: digits and a few signs.
const glyphW, glyphH = 5, 7

var glyphs = map[rune][glyphH]string{
	'0': {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	'1': {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'2': {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	'3': {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	'4': {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	'5': {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	'6': {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	'7': {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	'8': {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	'9': {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
	'-': {".....", ".....", ".....", "#####", ".....", ".....", "....."},
	'+': {".....", "..#..", "..#..", "#####", "..#..", "..#..", "....."},
	'/': {"....#", "....#", "...#.", "..#..", ".#...", "#....", "#...."},
	'.': {".....", ".....", ".....", ".....", ".....", ".##..", ".##.."},
	'%': {"##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##"},
	' ': {".....", ".....", ".....", ".....", ".....", ".....", "....."},
}

const glyphAdvance = (glyphW + 1) * glyphScale

func textWidth(s string) int {
	n := len([]rune(s))
	if n == 0 {
		return 0
	}
	return n*glyphAdvance - glyphScale
}

// drawText writes s with its top-left corner at (x, y); runes the font
// lacks are left blank.
func drawText(img *image.RGBA, x, y int, s string, c color.RGBA) {
	for _, r := range s {
		if g, ok := glyphs[r]; ok {
			for row, line := range g {
				for col, bit := range line {
					if bit == '#' {
						fillRect(img, x+col*glyphScale, y+row*glyphScale, x+(col+1)*glyphScale, y+(row+1)*glyphScale, c)
					}
				}
			}
		}
		x += glyphAdvance
	}
}
