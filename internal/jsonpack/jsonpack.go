// Package jsonpack keeps many JSON documents in one compressed frame: they are laid one
// after the other, compressed together with zstd, and each is found again by its offset and
// length in the frame's content. Documents of one kind (a shop's orders, say) share most of
// their keys and values, so a frame of a hundred orders compresses about four times better
// than the orders one by one, and costs one compression instead of a hundred.
//
// A frame is a standard zstd frame (RFC 8878) with its content size and checksum: any zstd
// tool can read it.
package jsonpack

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// MaxContent is the largest content a frame may hold once decompressed; Unpack refuses a
// frame that says or turns out to hold more.
const MaxContent = 256 << 20

// Packer collects documents for one frame. The zero value is ready to use; Reset empties it
// for the next frame, keeping its buffer.
type Packer struct {
	content []byte
}

// Add appends doc to the frame's content and returns where it lies there.
func (p *Packer) Add(doc []byte) (offset, length int) {
	offset = len(p.content)
	p.content = append(p.content, doc...)
	return offset, len(doc)
}

// Len is the length of the content added so far.
func (p *Packer) Len() int { return len(p.content) }

// Frame compresses the content added so far into a new zstd frame.
func (p *Packer) Frame() []byte {
	return encoder().EncodeAll(p.content, make([]byte, 0, len(p.content)/8+64))
}

// Cap is how much content the packer holds room for.
func (p *Packer) Cap() int { return cap(p.content) }

// Reset empties the packer.
func (p *Packer) Reset() { p.content = p.content[:0] }

// Unpack decompresses a frame and returns its whole content.
func Unpack(frame []byte) ([]byte, error) {
	content, err := decoder().DecodeAll(frame, nil)
	if err != nil {
		return nil, fmt.Errorf("unpack documents: %w", err)
	}
	return content, nil
}

// Doc returns the document at offset, length of a frame's content.
func Doc(content []byte, offset, length int) ([]byte, error) {
	if offset < 0 || length < 0 || offset > len(content) || length > len(content)-offset {
		return nil, fmt.Errorf("document at %d+%d: %w (the content is %d bytes)", offset, length, ErrOutOfRange, len(content))
	}
	return content[offset : offset+length : offset+length], nil
}

// ErrOutOfRange is returned for a document that does not lie inside its frame's content.
var ErrOutOfRange = errors.New("out of range")

// Both are safe for concurrent use; each keeps up to GOMAXPROCS states for calls at once.
var (
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithLowerEncoderMem(true))
		if err != nil {
			panic(fmt.Sprintf("jsonpack: zstd encoder: %v", err)) // only for invalid options
		}
		return e
	})
	decoder = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithDecoderMaxMemory(MaxContent), zstd.WithDecoderLowmem(true))
		if err != nil {
			panic(fmt.Sprintf("jsonpack: zstd decoder: %v", err)) // only for invalid options
		}
		return d
	})
)
