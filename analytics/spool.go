package analytics

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
	"syscall"
)

// The spool is an append-only log of accepted responses on local disk. A
// response is acknowledged (202) only after its record is fsynced here, and a
// segment is deleted only after ClickHouse confirmed its rows, so a crash or a
// ClickHouse outage loses nothing that was acknowledged.
//
// A segment file is the 8-byte magic followed by records:
//
//	uint32 length | uint32 CRC-32C of payload | payload
//
// Concurrent appends share one write and one fdatasync (group commit), so
// the fsync does not cap throughput.

var (
	ErrSpoolFull   = errors.New("spool full")
	ErrSpoolClosed = errors.New("spool closed")
)

const (
	spoolMagic     = "HEEDSPL1"
	recordHeader   = 8
	maxRecordBytes = 1 << 20
	segmentExt     = ".seg"
	// maxGroup bounds how many appends share one write+fsync.
	maxGroup = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SpoolOptions configures a Spool.
type SpoolOptions struct {
	Dir      string
	MaxBytes int64 // refuse appends beyond this many bytes on disk (default 1 GiB)
	Logger   *slog.Logger
}

// Spool is a folder of segment files; see the comment above.
type Spool struct {
	dir      string
	maxBytes int64
	log      *slog.Logger
	lock     *os.File

	appends chan *appendReq
	seals   chan chan error
	stop    chan struct{}
	done    chan struct{}

	mu       sync.Mutex
	sealed   []segment // oldest first, waiting for ClickHouse
	size     int64     // bytes of all segment files
	closed   bool
	cur      *os.File
	curID    uint64
	curSize  int64
	curCount int
}

type segment struct {
	id   uint64
	size int64
}

type appendReq struct {
	data []byte
	done chan error
}

var appendReqs = sync.Pool{New: func() any { return &appendReq{done: make(chan error, 1)} }}

// OpenSpool opens (or creates) the spool in opts.Dir. Segments left by an
// earlier process are kept as sealed, to be replayed into ClickHouse. The
// folder is locked: two processes must never share a spool.
func OpenSpool(opts SpoolOptions) (*Spool, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
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
		appends:  make(chan *appendReq, maxGroup),
		seals:    make(chan chan error),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
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
		s.sealed = append(s.sealed, segment{id: id, size: info.Size()})
		s.size += info.Size()
		s.curID = max(s.curID, id)
	}
	sort.Slice(s.sealed, func(i, j int) bool { return s.sealed[i].id < s.sealed[j].id })
	if len(s.sealed) > 0 {
		s.log.Info("spool: replaying segments left by the last run", "segments", len(s.sealed), "bytes", s.size)
	}
	if err := s.openSegment(); err != nil {
		lock.Close()
		return nil, err
	}
	go s.commitLoop()
	return s, nil
}

func segmentID(name string) (uint64, bool) {
	if !strings.HasSuffix(name, segmentExt) {
		return 0, false
	}
	id, err := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 10, 64)
	return id, err == nil
}

func (s *Spool) segmentPath(id uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("%020d%s", id, segmentExt))
}

// openSegment starts the next segment file. Called with s.mu held or before
// the commit loop runs.
func (s *Spool) openSegment() error {
	s.curID++
	f, err := os.OpenFile(s.segmentPath(s.curID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := f.WriteString(spoolMagic); err != nil {
		f.Close()
		return fmt.Errorf("spool: %w", err)
	}
	s.cur, s.curSize, s.curCount = f, int64(len(spoolMagic)), 0
	s.size += s.curSize
	return nil
}

// Append writes rec durably: it returns nil only after the record is on disk.
func (s *Spool) Append(rec []byte) error {
	if len(rec) > maxRecordBytes {
		return fmt.Errorf("spool: record of %d bytes is too large", len(rec))
	}
	req := appendReqs.Get().(*appendReq)
	req.data = rec
	select {
	case s.appends <- req:
	case <-s.done:
		appendReqs.Put(req)
		return ErrSpoolClosed
	}
	err := <-req.done
	req.data = nil
	appendReqs.Put(req)
	return err
}

// commitLoop owns the current segment: it gathers waiting appends, writes
// them with one write and one fdatasync, then answers them all.
func (s *Spool) commitLoop() {
	defer close(s.done)
	group := make([]*appendReq, 0, maxGroup)
	var buf []byte
	for {
		select {
		case <-s.stop:
			s.drainClosed()
			return
		case reply := <-s.seals:
			reply <- s.seal()
			continue
		case req := <-s.appends:
			group = append(group[:0], req)
		}
	gather:
		for len(group) < maxGroup {
			select {
			case req := <-s.appends:
				group = append(group, req)
			default:
				break gather
			}
		}
		buf = s.commit(group, buf[:0])
	}
}

// commit writes one group. Appends that would overflow MaxBytes fail with
// ErrSpoolFull; a failed write is cut off the file so that later records
// never follow a torn one.
func (s *Spool) commit(group []*appendReq, buf []byte) []byte {
	s.mu.Lock()
	room := s.maxBytes - s.size
	s.mu.Unlock()
	accepted := group[:0:0]
	if s.cur == nil { // a failed rotation left no open segment
		s.mu.Lock()
		err := s.openSegment()
		s.mu.Unlock()
		if err != nil {
			for _, req := range group {
				req.done <- err
			}
			return buf
		}
	}
	for _, req := range group {
		need := int64(recordHeader + len(req.data))
		if need > room {
			req.done <- ErrSpoolFull
			continue
		}
		room -= need
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(req.data)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(req.data, castagnoli))
		buf = append(buf, req.data...)
		accepted = append(accepted, req)
	}
	if len(accepted) == 0 {
		return buf
	}
	_, err := s.cur.Write(buf)
	if err == nil {
		err = syscall.Fdatasync(int(s.cur.Fd()))
	}
	s.mu.Lock()
	if err != nil {
		err = fmt.Errorf("spool write: %w", err)
		s.log.Error("spool write failed; starting a new segment", "err", err)
		// Cut the torn bytes off; should that fail too, the reader stops at
		// them, after every acknowledged record. Either way, later records go
		// to a new segment.
		if terr := s.cur.Truncate(s.curSize); terr != nil {
			s.log.Error("spool: cannot cut the failed write", "err", terr)
		}
		s.curCount = max(s.curCount, 1) // force the rotation below
		if serr := s.sealLocked(); serr != nil {
			s.log.Error("spool: cannot start a new segment", "err", serr)
		}
	} else {
		s.curSize += int64(len(buf))
		s.size += int64(len(buf))
		s.curCount += len(accepted)
	}
	s.mu.Unlock()
	for _, req := range accepted {
		req.done <- err
	}
	return buf
}

// drainClosed refuses appends still queued at close.
func (s *Spool) drainClosed() {
	for {
		select {
		case req := <-s.appends:
			req.done <- ErrSpoolClosed
		default:
			return
		}
	}
}

func (s *Spool) seal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sealLocked()
}

// sealLocked closes the current segment, if it holds any record, and opens
// the next one. When no segment is open (a failed open earlier), it tries
// to open one.
func (s *Spool) sealLocked() error {
	if s.cur != nil {
		if s.curCount == 0 {
			return nil
		}
		// The records are already fdatasynced; a close error changes nothing.
		s.cur.Close()
		s.sealed = append(s.sealed, segment{id: s.curID, size: s.curSize})
		s.cur, s.curCount = nil, 0
	}
	return s.openSegment()
}

// Seal closes the current segment so that Sealed lists it.
func (s *Spool) Seal() error {
	reply := make(chan error, 1)
	select {
	case s.seals <- reply:
		return <-reply
	case <-s.done:
		return ErrSpoolClosed
	}
}

// Pending returns the records waiting in the current (unsealed) segment.
func (s *Spool) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.curCount
}

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
	f, err := os.Open(s.segmentPath(id))
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
		if n > maxRecordBytes {
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

// Remove deletes a sealed segment once ClickHouse has its rows.
func (s *Spool) Remove(id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, seg := range s.sealed {
		if seg.id != id {
			continue
		}
		if err := os.Remove(s.segmentPath(id)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("spool: %w", err)
		}
		s.sealed = append(s.sealed[:i], s.sealed[i+1:]...)
		s.size -= seg.size
		return nil
	}
	return fmt.Errorf("spool: segment %d is not sealed", id)
}

// Close stops appends and closes the current segment, which stays on disk
// (sealed at the next open) when it holds records.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.cur != nil {
		err = s.cur.Close()
		if s.curCount == 0 {
			os.Remove(s.segmentPath(s.curID))
		}
	}
	s.lock.Close()
	return err
}
