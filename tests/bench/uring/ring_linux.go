//go:build linux

package uring

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel ABI this file needs (include/uapi/linux/io_uring.h).
const (
	opSend = 26 // IORING_OP_SEND

	setupSingleIssuer = 1 << 12 // IORING_SETUP_SINGLE_ISSUER
	setupDeferTaskrun = 1 << 13 // IORING_SETUP_DEFER_TASKRUN

	featSingleMmap = 1 << 0 // IORING_FEAT_SINGLE_MMAP

	enterGetEvents = 1 << 0 // IORING_ENTER_GETEVENTS

	sqeFixedFile = 1 << 0 // IOSQE_FIXED_FILE

	registerFiles = 2 // IORING_REGISTER_FILES

	offSQRing = 0          // IORING_OFF_SQ_RING
	offCQRing = 0x8000000  // IORING_OFF_CQ_RING
	offSQEs   = 0x10000000 // IORING_OFF_SQES
)

// params is struct io_uring_params.
type params struct {
	sqEntries    uint32
	cqEntries    uint32
	flags        uint32
	sqThreadCPU  uint32
	sqThreadIdle uint32
	features     uint32
	wqFD         uint32
	resv         [3]uint32
	sqOff        sqringOffsets
	cqOff        cqringOffsets
}

// sqringOffsets is struct io_sqring_offsets.
type sqringOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqringOffsets is struct io_cqring_offsets.
type cqringOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// sqe is struct io_uring_sqe (64 bytes).
type sqe struct {
	opcode      uint8
	flags       uint8
	ioprio      uint16
	fd          int32
	off         uint64
	addr        uint64
	len         uint32
	msgFlags    uint32
	userData    uint64
	bufIndex    uint16
	personality uint16
	spliceFDIn  int32
	addr3       uint64
	pad2        uint64
}

// cqe is struct io_uring_cqe without the CQE32 extension.
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// Ring is a minimal io_uring instance for one submitting thread: it
// submits batches of IORING_OP_SEND of one buffer to many sockets and
// reaps their completions. It is not safe for concurrent use; the ring is
// created with IORING_SETUP_SINGLE_ISSUER, so every call after NewRing must
// come from the thread that created it (runtime.LockOSThread).
type Ring struct {
	fd      int
	entries uint32
	ringMem []byte // SQ and CQ rings (one mapping or two)
	cqMem   []byte // the CQ ring when it is mapped apart, else nil
	sqeMem  []byte

	sqTail *uint32
	sqMask uint32
	sqes   []sqe

	cqHead *uint32
	cqTail *uint32
	cqMask uint32
	cqes   []cqe

	fixed bool // sockets registered: SQEs carry their index
}

// ErrUnsupported is returned by NewRing where io_uring is missing or
// disabled.
var ErrUnsupported = errors.New("io_uring unavailable")

// NewRing sets up a ring with entries submission slots (a power of two).
func NewRing(entries uint32) (*Ring, error) {
	var p params
	p.flags = setupSingleIssuer | setupDeferTaskrun
	fd, _, errno := unix.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		if errno == unix.ENOSYS || errno == unix.EPERM {
			return nil, fmt.Errorf("io_uring_setup: %w: %w", ErrUnsupported, errno)
		}
		return nil, fmt.Errorf("io_uring_setup(%d): %w", entries, errno)
	}
	r := &Ring{fd: int(fd), entries: p.sqEntries}
	if err := r.mapRings(&p); err != nil {
		_ = r.Close()
		return nil, err
	}
	return r, nil
}

func (r *Ring) mapRings(p *params) error {
	sqSize := int(p.sqOff.array) + int(p.sqEntries)*4
	cqSize := int(p.cqOff.cqes) + int(p.cqEntries)*int(unsafe.Sizeof(cqe{}))
	single := p.features&featSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	prot, flags := unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE
	var err error
	if r.ringMem, err = unix.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		return fmt.Errorf("mmap SQ ring: %w", err)
	}
	cq := r.ringMem
	if !single {
		if r.cqMem, err = unix.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
			return fmt.Errorf("mmap CQ ring: %w", err)
		}
		cq = r.cqMem
	}
	sqeSize := int(p.sqEntries) * int(unsafe.Sizeof(sqe{}))
	if r.sqeMem, err = unix.Mmap(r.fd, offSQEs, sqeSize, prot, flags); err != nil {
		return fmt.Errorf("mmap SQEs: %w", err)
	}
	sq := r.ringMem
	r.sqTail = u32(sq, p.sqOff.tail)
	r.sqMask = *u32(sq, p.sqOff.ringMask)
	array := unsafe.Slice(u32(sq, p.sqOff.array), p.sqEntries)
	for i := range array { // slot i always names SQE i
		array[i] = uint32(i)
	}
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.cqHead = u32(cq, p.cqOff.head)
	r.cqTail = u32(cq, p.cqOff.tail)
	r.cqMask = *u32(cq, p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&cq[p.cqOff.cqes])), p.cqEntries)
	return nil
}

func u32(mem []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&mem[off])) }

// Entries is the number of submission slots: the most sends one Send
// call submits with one io_uring_enter.
func (r *Ring) Entries() int { return int(r.entries) }

// RegisterFiles registers fds with the ring; later Sends name the sockets
// by their index in fds (IOSQE_FIXED_FILE), which saves the kernel a file
// table lookup and reference count per send.
func (r *Ring) RegisterFiles(fds []int32) error {
	if len(fds) == 0 {
		return nil
	}
	_, _, errno := unix.Syscall6(unix.SYS_IO_URING_REGISTER, uintptr(r.fd), registerFiles,
		uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), 0, 0)
	if errno != 0 {
		return fmt.Errorf("io_uring_register files: %w", errno)
	}
	r.fixed = true
	return nil
}

// Result is one send's outcome: Index into the fds given to Send and Res,
// the CQE's result (bytes sent, or a negated errno).
type Result struct {
	Index int
	Res   int32
}

// Send submits one IORING_OP_SEND of buf to every socket in fds (file
// descriptors, or indexes into the registered files after RegisterFiles),
// at most Entries at a time, each batch with one io_uring_enter that also
// waits for the batch's completions. It calls done for every completion
// whose result is not len(buf) (a short or failed send) and returns the
// number of io_uring_enter calls made. buf must stay unchanged until Send
// returns.
func (r *Ring) Send(fds []int32, buf []byte, done func(Result)) (enters int, err error) {
	if len(buf) == 0 || len(fds) == 0 {
		return 0, nil
	}
	addr := uint64(uintptr(unsafe.Pointer(&buf[0])))
	var flags uint8
	if r.fixed {
		flags = sqeFixedFile
	}
	for start := 0; start < len(fds); start += int(r.entries) {
		batch := fds[start:min(start+int(r.entries), len(fds))]
		tail := atomic.LoadUint32(r.sqTail)
		for i, fd := range batch {
			s := &r.sqes[(tail+uint32(i))&r.sqMask]
			*s = sqe{opcode: opSend, flags: flags, fd: fd, addr: addr, len: uint32(len(buf)),
				msgFlags: unix.MSG_NOSIGNAL, userData: uint64(start + i)}
		}
		atomic.StoreUint32(r.sqTail, tail+uint32(len(batch)))
		n, err := r.enterAndReap(len(batch), len(buf), done)
		enters += n
		if err != nil {
			return enters, err
		}
	}
	return enters, nil
}

// enterAndReap submits the n queued SQEs and waits for and reaps their n
// completions.
func (r *Ring) enterAndReap(n, want int, done func(Result)) (enters int, err error) {
	toSubmit, reaped := n, 0
	for reaped < n {
		got, _, errno := unix.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(toSubmit),
			uintptr(n-reaped), enterGetEvents, 0, 0)
		enters++
		switch {
		case errno == unix.EINTR || errno == unix.EAGAIN || errno == unix.EBUSY:
			// nothing submitted; reap what there is and retry
		case errno != 0:
			return enters, fmt.Errorf("io_uring_enter: %w", errno)
		default:
			toSubmit -= int(got)
		}
		head, tail := atomic.LoadUint32(r.cqHead), atomic.LoadUint32(r.cqTail)
		for ; head != tail; head++ {
			c := r.cqes[head&r.cqMask]
			if int(c.res) != want {
				done(Result{Index: int(c.userData), Res: c.res})
			}
			reaped++
		}
		atomic.StoreUint32(r.cqHead, head)
	}
	return enters, nil
}

// Close unmaps the rings and closes the ring's file descriptor.
func (r *Ring) Close() error {
	var errs []error
	for _, m := range [][]byte{r.sqeMem, r.cqMem, r.ringMem} {
		if m != nil {
			errs = append(errs, unix.Munmap(m))
		}
	}
	r.sqeMem, r.cqMem, r.ringMem, r.sqes, r.cqes = nil, nil, nil, nil, nil
	if r.fd >= 0 {
		errs = append(errs, unix.Close(r.fd))
		r.fd = -1
	}
	return errors.Join(errs...)
}
