package daemon

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// decodeSignature reads the X-Shopify-Hmac-Sha256 header: the base64 of a 32-byte
// HMAC-SHA256. Anything else is refused before the body is read.
func decodeSignature(h string) ([]byte, bool) {
	mac, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h))
	if err != nil || len(mac) != sha256.Size {
		return nil, false
	}
	return mac, true
}

// readBody reads a webhook body into buf (emptied first; it may be nil) and returns it.
// The buffer starts small and grows to the announced length once 16 KiB have arrived,
// so that a sender announcing a large body and sending nothing holds little memory, and
// a body of known length is read without copying it from buffer to buffer.
func readBody(r io.Reader, announced int64, buf []byte) ([]byte, error) {
	const first = 16 << 10
	buf = buf[:0]
	if announced >= 0 && announced < first {
		buf = slices.Grow(buf, int(announced)+1) // the extra byte lets the last read see the end
	} else {
		buf = slices.Grow(buf, first)
	}
	for {
		if len(buf) == cap(buf) {
			next := 2 * cap(buf)
			if announced >= 0 && int64(len(buf)) <= announced {
				next = int(announced) + 1
			}
			buf = slices.Grow(buf, next-len(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// bodyBuffers keeps the buffers of read webhook bodies for the next deliveries: a burst of
// large deliveries reuses the buffers of the previous one instead of leaving them for the
// garbage collector while it allocates new ones. Buffers not used for two garbage
// collections are freed (sync.Pool's rule).
type bodyBuffers struct{ pool sync.Pool }

func (b *bodyBuffers) get() []byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return *p
	}
	return nil
}

func (b *bodyBuffers) put(buf []byte) {
	if cap(buf) > 0 {
		b.pool.Put(&buf)
	}
}

// Unwrap lets http.ResponseController reach the connection under a statusWriter: the
// webhook receiver sets the body's read deadline through it.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// refusalLog decides which refused webhooks are logged: one line per key per window, the
// next line saying how many were left out, so that a flood of forged deliveries cannot
// flood the log. Keys are connected shops and a few fixed names (never a name the sender
// chose), so there are few.
type refusalLog struct {
	clock  func() time.Time
	window time.Duration

	mu   sync.Mutex
	keys map[string]*refusalKey
}

type refusalKey struct {
	last       time.Time
	suppressed int
}

// Keys of refusals that are not a connected shop's.
const (
	refusalUnknownShop = "(unknown shop)"
	refusalMalformed   = "(no well-formed signature)"
	refusalBusy        = "(readers busy)"
)

func newRefusalLog(clock func() time.Time, window time.Duration) *refusalLog {
	return &refusalLog{clock: clock, window: window, keys: map[string]*refusalKey{}}
}

// allow reports whether a line may be written for key now and, if so, how many lines were
// left out for it since the last one written.
func (l *refusalLog) allow(key string) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	k, ok := l.keys[key]
	if !ok {
		l.keys[key] = &refusalKey{last: now}
		return true, 0
	}
	if now.Sub(k.last) < l.window {
		k.suppressed++
		return false, 0
	}
	n := k.suppressed
	k.last, k.suppressed = now, 0
	return true, n
}
