// Package spool is an append-only log of accepted answers on local disk: the
// write-ahead log in front of the store. An answer is acknowledged (202) only
// after its record is fsynced here, and a segment is deleted only after the
// store confirmed its rows, so a crash or a store outage loses nothing that
// was acknowledged. It knows records only as bytes; analytics/ingest encodes
// them.
package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A segment file is the 8-byte magic followed by records:
//
//	uint32 length | uint32 CRC-32C of payload | payload
//
// Concurrent appends share one write and one fdatasync (group commit), so
// the fsync does not cap throughput.

// Append's refusals.
var (
	ErrFull   = errors.New("spool full")
	ErrClosed = errors.New("spool closed")
)

const (
	spoolMagic     = "HEEDSPL1"
	recordHeader   = 8
	maxRecordBytes = 1 << 20
	segmentExt     = ".seg"  // waiting for the store
	doneExt        = ".done" // inserted; kept a while in case the store loses it
	badExt         = ".bad"  // unreadable by this version; set aside for a person
	// maxGroup bounds how many appends share one write+fsync.
	maxGroup = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options configures a Spool.
type Options struct {
	Dir      string
	MaxBytes int64 // refuse appends beyond this many bytes on disk (default 1 GiB)
	// Lanes is how many segments are open at once (default 1). More lanes
	// overlap fdatasyncs, but on the 2-core development VM 2 and 4 lanes
	// measured slower than 1 (smaller groups, more fsyncs): see make bench.
	Lanes int
	// Logger hears about torn records and failed writes; nil discards.
	Logger *slog.Logger
}

// Spool is a folder of segment files; see the comment above.
type Spool struct {
	dir      string
	maxBytes int64
	log      *slog.Logger
	lock     *os.File

	// Appends are spread over lanes, each with its own open segment and
	// commit loop: fdatasyncs on different files overlap, so throughput is
	// not one fsync at a time.
	lanes    []*lane
	nextLane atomic.Uint32
	stop     chan struct{}
	loops    sync.WaitGroup

	closeMu sync.RWMutex // held shared while queueing an append
	closed  bool

	pending atomic.Int64 // records in open segments; read on every append

	mu     sync.Mutex
	sealed []segment // oldest first, waiting for the store
	done   []segment // inserted, deleted after a grace period (see MarkDone)
	size   int64     // bytes of all segment files
	lastID uint64
}

// lane is one open segment and the loop that writes it.
type lane struct {
	appends  chan *appendReq
	seals    chan chan error
	cur      *os.File // nil after a failed rotation
	curID    uint64
	curSize  int64
	curCount int
}

type segment struct {
	id     uint64
	size   int64
	ext    string    // segmentExt or doneExt
	doneAt time.Time // when the store confirmed it (doneExt)
}

type appendReq struct {
	data []byte
	done chan error
}

var appendReqs = sync.Pool{New: func() any { return &appendReq{done: make(chan error, 1)} }}

// Open opens (or creates) the spool in opts.Dir. Segments left by an
// earlier process are kept as sealed, to be replayed into the store. The
// folder is locked: two processes must never share a spool.
func Open(opts Options) (*Spool, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Lanes <= 0 {
		opts.Lanes = 1
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(opts.Dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("spool %s is in use by another heed process: %w", opts.Dir, err)
	}
	s := &Spool{
		dir:      opts.Dir,
		maxBytes: opts.MaxBytes,
		log:      opts.Logger,
		lock:     lock,
		stop:     make(chan struct{}),
	}
	entries, err := os.ReadDir(opts.Dir)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	for _, e := range entries {
		id, ok := segmentID(e.Name())
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			lock.Close()
			return nil, fmt.Errorf("spool: %w", err)
		}
		// Segments already inserted by the last run are replayed too: if
		// the machine lost power, the store may have lost them (ClickHouse
		// does not fsync new parts by default). Duplicates count once in
		// reports.
		s.sealed = append(s.sealed, segment{id: id, size: info.Size(), ext: filepath.Ext(e.Name())})
		s.size += info.Size()
		s.lastID = max(s.lastID, id)
	}
	sort.Slice(s.sealed, func(i, j int) bool { return s.sealed[i].id < s.sealed[j].id })
	if len(s.sealed) > 0 {
		s.log.Info("spool: replaying segments left by the last run", "segments", len(s.sealed), "bytes", s.size)
	}
	for i := 0; i < opts.Lanes; i++ {
		l := &lane{appends: make(chan *appendReq, maxGroup), seals: make(chan chan error)}
		if err := s.openSegment(l); err != nil {
			for _, l := range s.lanes {
				l.cur.Close()
			}
			lock.Close()
			return nil, err
		}
		s.lanes = append(s.lanes, l)
	}
	for _, l := range s.lanes {
		s.loops.Add(1)
		go s.commitLoop(l)
	}
	return s, nil
}

func segmentID(name string) (uint64, bool) {
	ext := filepath.Ext(name)
	if ext != segmentExt && ext != doneExt {
		return 0, false
	}
	id, err := strconv.ParseUint(strings.TrimSuffix(name, ext), 10, 64)
	return id, err == nil
}

func (s *Spool) segmentPath(id uint64) string { return s.pathExt(id, segmentExt) }

func (s *Spool) pathExt(id uint64, ext string) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", id, ext))
}

// sealedPath is where a sealed segment is now.
func (s *Spool) sealedPath(id uint64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, seg := range s.sealed {
		if seg.id == id && seg.ext != "" {
			return s.pathExt(id, seg.ext)
		}
	}
	return s.segmentPath(id)
}

// syncDir makes a new or renamed file's directory entry durable.
func (s *Spool) syncDir() {
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// openSegment starts the next segment file of a lane. Called with s.mu held
// or before the commit loops run.
func (s *Spool) openSegment(l *lane) error {
	s.lastID++
	f, err := os.OpenFile(s.segmentPath(s.lastID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.WriteString(spoolMagic); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("spool: %w", err)
	}
	s.syncDir()
	l.cur, l.curID, l.curSize, l.curCount = f, s.lastID, int64(len(spoolMagic)), 0
	s.size += l.curSize
	return nil
}

// Append writes rec durably: it returns nil only after the record is on disk.
func (s *Spool) Append(rec []byte) error {
	if len(rec) > maxRecordBytes {
		return fmt.Errorf("spool: record of %d bytes is too large", len(rec))
	}
	req := appendReqs.Get().(*appendReq)
	req.data = rec
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		appendReqs.Put(req)
		return ErrClosed
	}
	// Queued under the shared lock, so Close cannot miss it: the loop
	// answers every queued append, with ErrClosed if it is stopping.
	s.lanes[s.nextLane.Add(1)%uint32(len(s.lanes))].appends <- req
	s.closeMu.RUnlock()
	err := <-req.done
	req.data = nil
	appendReqs.Put(req)
	return err
}

// commitLoop owns the current segment: it gathers waiting appends, writes
// them with one write and one fdatasync, then answers them all.
func (s *Spool) commitLoop(l *lane) {
	defer s.loops.Done()
	group := make([]*appendReq, 0, maxGroup)
	var buf []byte
	for {
		select {
		case <-s.stop:
			for { // answer what is still queued
				select {
				case req := <-l.appends:
					req.done <- ErrClosed
				default:
					return
				}
			}
		case reply := <-l.seals:
			s.mu.Lock()
			reply <- s.sealLocked(l, false)
			s.mu.Unlock()
			continue
		case req := <-l.appends:
			group = append(group[:0], req)
		}
	gather:
		for len(group) < maxGroup {
			select {
			case req := <-l.appends:
				group = append(group, req)
			default:
				break gather
			}
		}
		buf = s.commit(l, group, buf[:0])
	}
}

// commit writes one group. Appends that would overflow MaxBytes fail with
// ErrFull; a failed write is cut off the file so that later records
// never follow a torn one.
func (s *Spool) commit(l *lane, group []*appendReq, buf []byte) []byte {
	accepted := group[:0:0]
	if l.cur == nil { // a failed rotation left no open segment
		s.mu.Lock()
		err := s.openSegment(l)
		s.mu.Unlock()
		if err != nil {
			for _, req := range group {
				req.done <- err
			}
			return buf
		}
	}
	// Room is reserved up front so that lanes writing at once cannot
	// overshoot MaxBytes together.
	var reserved int64
	s.mu.Lock()
	room := s.maxBytes - s.size
	for _, req := range group {
		need := int64(recordHeader + len(req.data))
		if need > room {
			req.done <- ErrFull
			continue
		}
		room -= need
		reserved += need
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(req.data)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(req.data, castagnoli))
		buf = append(buf, req.data...)
		accepted = append(accepted, req)
	}
	s.size += reserved
	s.mu.Unlock()
	if len(accepted) == 0 {
		return buf
	}
	_, err := l.cur.Write(buf)
	if err == nil {
		err = syscall.Fdatasync(int(l.cur.Fd()))
	}
	s.mu.Lock()
	s.size -= reserved
	if err != nil {
		err = fmt.Errorf("spool write: %w", err)
		s.log.Error("spool write failed; starting a new segment", "err", err)
		// Cut the torn bytes off; should that fail too, the reader stops at
		// them, after every acknowledged record. Either way, later records go
		// to a new segment.
		if terr := l.cur.Truncate(l.curSize); terr != nil {
			s.log.Error("spool: cannot cut the failed write", "err", terr)
		}
		if serr := s.sealLocked(l, true); serr != nil {
			s.log.Error("spool: cannot start a new segment", "err", serr)
		}
	} else {
		l.curSize += int64(len(buf))
		s.size += int64(len(buf))
		l.curCount += len(accepted)
		s.pending.Add(int64(len(accepted)))
	}
	s.mu.Unlock()
	for _, req := range accepted {
		req.done <- err
	}
	return buf
}

// sealLocked closes the current segment, if it holds any record (or force
// is set, after a failed write), and opens the next one. When no segment
// is open (a failed open earlier), it tries to open one.
func (s *Spool) sealLocked(l *lane, force bool) error {
	if l.cur != nil {
		if l.curCount == 0 && !force {
			return nil
		}
		// The records are already fdatasynced; a close error changes nothing.
		l.cur.Close()
		s.sealed = append(s.sealed, segment{id: l.curID, size: l.curSize, ext: segmentExt})
		s.pending.Add(-int64(l.curCount))
		sort.Slice(s.sealed, func(i, j int) bool { return s.sealed[i].id < s.sealed[j].id })
		l.cur, l.curCount = nil, 0
	}
	return s.openSegment(l)
}

// Seal closes the open segments so that Sealed lists them.
func (s *Spool) Seal() error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	var errs []error
	for _, l := range s.lanes {
		reply := make(chan error, 1)
		l.seals <- reply
		errs = append(errs, <-reply)
	}
	return errors.Join(errs...)
}

// Pending returns the records waiting in the open (unsealed) segments.
func (s *Spool) Pending() int { return int(s.pending.Load()) }

// Sealed lists the sealed segments, oldest first.
func (s *Spool) Sealed() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]uint64, len(s.sealed))
	for i, seg := range s.sealed {
		ids[i] = seg.id
	}
	return ids
}

// MaxBytes is the most the spool holds on disk.
func (s *Spool) MaxBytes() int64 { return s.maxBytes }

// Size is the bytes on disk, sealed and current.
func (s *Spool) Size() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// ReadSegment calls fn with each intact record of a sealed segment. A torn
// or corrupt record (a crash mid-write, a bad disk) ends the segment: it is
// logged and skipped, and the records before it are kept.
func (s *Spool) ReadSegment(id uint64, fn func(rec []byte) error) error {
	f, err := os.Open(s.sealedPath(id))
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 256<<10)
	magic := make([]byte, len(spoolMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != spoolMagic {
		s.log.Warn("spool: segment without a valid header; skipping it", "segment", id)
		return nil
	}
	offset := int64(len(spoolMagic))
	var header [recordHeader]byte
	var rec []byte
	records := 0
	for {
		if _, err := io.ReadFull(r, header[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			s.log.Warn("spool: torn record header at the end of a segment; skipping it", "segment", id, "offset", offset, "kept", records)
			return nil
		}
		n := binary.LittleEndian.Uint32(header[:4])
		sum := binary.LittleEndian.Uint32(header[4:])
		if n == 0 || n > maxRecordBytes { // no record is empty: zeros are not data
			s.log.Warn("spool: corrupt record length; skipping the rest of the segment", "segment", id, "offset", offset, "kept", records)
			return nil
		}
		if cap(rec) < int(n) {
			rec = make([]byte, n)
		}
		rec = rec[:n]
		if _, err := io.ReadFull(r, rec); err != nil {
			s.log.Warn("spool: torn record at the end of a segment; skipping it", "segment", id, "offset", offset, "kept", records)
			return nil
		}
		if crc32.Checksum(rec, castagnoli) != sum {
			s.log.Warn("spool: record fails its checksum; skipping the rest of the segment", "segment", id, "offset", offset, "kept", records)
			return nil
		}
		if err := fn(rec); err != nil {
			return err
		}
		records++
		offset += int64(recordHeader) + int64(n)
	}
}

// takeSealed removes a sealed segment from the list, with s.mu held.
func (s *Spool) takeSealed(id uint64) (segment, bool) {
	for i, seg := range s.sealed {
		if seg.id == id {
			s.sealed = append(s.sealed[:i], s.sealed[i+1:]...)
			return seg, true
		}
	}
	return segment{}, false
}

// MarkDone records that the store has a sealed segment's rows. The file is
// kept (renamed .done) until PurgeDone: ClickHouse does not fsync new data
// by default, so a power cut right after an insert could lose rows that only
// the spool still has. A restart replays .done segments too.
func (s *Spool) MarkDone(id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg, ok := s.takeSealed(id)
	if !ok {
		return fmt.Errorf("spool: segment %d is not sealed", id)
	}
	from := s.pathExt(id, seg.ext)
	if seg.ext != doneExt {
		if err := os.Rename(from, s.pathExt(id, doneExt)); err != nil {
			s.sealed = append([]segment{seg}, s.sealed...)
			return fmt.Errorf("spool: %w", err)
		}
	}
	seg.ext, seg.doneAt = doneExt, time.Now()
	s.done = append(s.done, seg)
	return nil
}

// PurgeDone deletes .done segments confirmed before the given time.
func (s *Spool) PurgeDone(before time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.done[:0]
	for _, seg := range s.done {
		if seg.doneAt.After(before) {
			kept = append(kept, seg)
			continue
		}
		if err := os.Remove(s.pathExt(seg.id, doneExt)); err != nil && !os.IsNotExist(err) {
			s.log.Warn("spool: cannot delete an inserted segment", "segment", seg.id, "err", err)
			kept = append(kept, seg)
			continue
		}
		s.size -= seg.size
	}
	s.done = kept
}

// Quarantine sets aside a segment this version cannot read (renamed .bad,
// no longer counted against MaxBytes), so it does not block the spool.
func (s *Spool) Quarantine(id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seg, ok := s.takeSealed(id)
	if !ok {
		return fmt.Errorf("spool: segment %d is not sealed", id)
	}
	if err := os.Rename(s.pathExt(id, seg.ext), s.pathExt(id, badExt)); err != nil {
		s.sealed = append([]segment{seg}, s.sealed...)
		return fmt.Errorf("spool: %w", err)
	}
	s.size -= seg.size
	return nil
}

// Close stops appends and closes the open segments; those holding records
// stay on disk and are replayed at the next open.
func (s *Spool) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.closeMu.Unlock()
	close(s.stop)
	s.loops.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, l := range s.lanes {
		if l.cur == nil {
			continue
		}
		errs = append(errs, l.cur.Close())
		if l.curCount == 0 {
			os.Remove(s.segmentPath(l.curID))
		}
	}
	s.lock.Close()
	return errors.Join(errs...)
}
