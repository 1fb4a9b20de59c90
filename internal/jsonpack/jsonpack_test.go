package jsonpack

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestDocumentsComeBackAsTheyWent(t *testing.T) {
	docs := [][]byte{
		[]byte(`{"id":1,"name":"#1001"}`),
		{},
		[]byte("not JSON at all, with a NUL \x00 and a broken \xff byte"),
		bytes.Repeat([]byte(`{"line_items":[{"sku":"MUG-1","price":"12.50"}]}`), 500),
	}
	var p Packer
	type at struct{ off, n int }
	var where []at
	for _, d := range docs {
		off, n := p.Add(d)
		where = append(where, at{off, n})
	}
	frame := p.Frame()
	if len(frame) >= p.Len() {
		t.Errorf("a frame of %d bytes holds %d bytes of content: not compressed", len(frame), p.Len())
	}
	content, err := Unpack(frame)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		got, err := Doc(content, where[i].off, where[i].n)
		if err != nil || !bytes.Equal(got, d) {
			t.Errorf("document %d: %q (%v), want %q", i, got, err, d)
		}
	}
	// A packer is reused after Reset, and the frames stay independent.
	p.Reset()
	off, n := p.Add([]byte(`{"id":2}`))
	content, err = Unpack(p.Frame())
	if got, _ := Doc(content, off, n); err != nil || string(got) != `{"id":2}` || len(content) != n {
		t.Errorf("after Reset: content %q (%v)", content, err)
	}
}

func TestDocOutsideTheContentIsRefused(t *testing.T) {
	content := []byte("0123456789")
	for _, c := range []struct{ off, n int }{{-1, 2}, {0, 11}, {9, 2}, {11, 0}, {3, -1}} {
		if _, err := Doc(content, c.off, c.n); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("Doc(%d, %d): %v, want ErrOutOfRange", c.off, c.n, err)
		}
	}
	if d, err := Doc(content, 10, 0); err != nil || len(d) != 0 {
		t.Errorf("an empty document at the end: %q, %v", d, err)
	}
}

func TestDamagedFramesAreRefused(t *testing.T) {
	var p Packer
	p.Add(bytes.Repeat([]byte(`{"total_price":"10.00"}`), 100))
	frame := p.Frame()
	damaged := bytes.Clone(frame)
	damaged[len(damaged)/2] ^= 0xff
	for name, f := range map[string][]byte{
		"not zstd":  []byte(`{"id":1}`),
		"truncated": frame[:len(frame)-3],
		"damaged":   damaged,
	} {
		if _, err := Unpack(f); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPackersRunConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p Packer
			for i := range 50 {
				want := fmt.Sprintf(`{"goroutine":%d,"frame":%d}`, g, i)
				p.Reset()
				off, n := p.Add([]byte(want))
				content, err := Unpack(p.Frame())
				if got, _ := Doc(content, off, n); err != nil || string(got) != want {
					errs <- fmt.Errorf("goroutine %d frame %d: %q (%v)", g, i, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
