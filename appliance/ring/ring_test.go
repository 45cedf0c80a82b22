package ring

import (
	"context"
	"sync"
	"testing"
)

func seq(from, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(from + i)
	}
	return x
}

func TestWriteRead(t *testing.T) {
	tests := []struct {
		name      string
		capacity  int
		writes    []int // sizes of consecutive writes
		wantFirst float32
		wantLen   int
		overruns  uint64
	}{
		{"fits", 10, []int{3, 4}, 0, 7, 0},
		{"wraps exactly", 4, []int{2, 2}, 0, 4, 0},
		{"overwrites oldest", 4, []int{3, 3}, 2, 4, 2},
		{"oversized write", 4, []int{2, 7}, 5, 4, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.capacity)
			next := 0
			for _, n := range tc.writes {
				b.Write(seq(next, n))
				next += n
			}
			if got := b.Len(); got != tc.wantLen {
				t.Fatalf("Len = %d, want %d", got, tc.wantLen)
			}
			dst := make([]float32, 100)
			got := b.Read(dst)
			if got != tc.wantLen {
				t.Fatalf("Read = %d, want %d", got, tc.wantLen)
			}
			for i := 0; i < got; i++ {
				if want := tc.wantFirst + float32(i); dst[i] != want {
					t.Fatalf("sample %d = %v, want %v", i, dst[i], want)
				}
			}
			if s := b.Stats(); s.Overruns != tc.overruns || s.Written != uint64(next) {
				t.Fatalf("Stats = %+v, want overruns %d written %d", s, tc.overruns, next)
			}
		})
	}
}

// TestConcurrentOrder checks that a reader sees an ordered, gap-free stream when it keeps up,
// and that every sample is either read or counted as an overrun when it does not.
func TestConcurrentOrder(t *testing.T) {
	b := New(1 << 12)
	const total = 1 << 20
	var wg sync.WaitGroup
	wg.Add(1)
	var read uint64
	var lastSeen float32 = -1
	var ordered = true
	go func() {
		defer wg.Done()
		dst := make([]float32, 777)
		for read+b.Stats().Overruns < total {
			n := b.Read(dst)
			for _, v := range dst[:n] {
				if v <= lastSeen {
					ordered = false
				}
				lastSeen = v
			}
			read += uint64(n)
			if n == 0 {
				<-b.Ready()
			}
		}
	}()
	for i := 0; i < total; i += 256 {
		b.Write(seq(i, 256))
	}
	b.Write(nil) // wake a reader waiting on Ready
	wg.Wait()
	if !ordered {
		t.Fatal("samples arrived out of order")
	}
	if got := read + b.Stats().Overruns; got != total {
		t.Fatalf("read %d + overruns %d = %d, want %d", read, b.Stats().Overruns, got, total)
	}
}

func BenchmarkWriteRead(b *testing.B) {
	r := New(48000)
	x := seq(0, 1024)
	dst := make([]float32, 1024)
	b.ReportAllocs()
	b.SetBytes(4 * 1024)
	for b.Loop() {
		r.Write(x)
		r.Read(dst)
	}
}

func TestReadAtPositionAfterOverrun(t *testing.T) {
	b := New(4)
	b.Write(seq(0, 10)) // samples 6..9 survive
	dst := make([]float32, 2)
	n, pos := b.ReadAt(dst)
	if n != 2 || pos != 6 || dst[0] != 6 {
		t.Fatalf("ReadAt = %d at %d (%v), want 2 at 6", n, pos, dst)
	}
	n, pos = b.ReadAt(dst)
	if n != 2 || pos != 8 || dst[1] != 9 {
		t.Fatalf("second ReadAt = %d at %d (%v), want 2 at 8", n, pos, dst)
	}
}

func TestWriteWaitLosesNothing(t *testing.T) {
	b := New(100)
	const total = 100000
	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < total && err == nil; i += 333 {
			err = b.WriteWait(context.Background(), seq(i, min(333, total-i)))
		}
		done <- err
	}()
	dst := make([]float32, 64)
	next := float32(0)
	for next < total {
		n := b.Read(dst)
		for _, v := range dst[:n] {
			if v != next {
				t.Fatalf("got sample %v, want %v", v, next)
			}
			next++
		}
		if n == 0 {
			select {
			case <-b.Ready():
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				done <- nil
			}
		}
	}
	if s := b.Stats(); s.Overruns != 0 {
		t.Fatalf("overruns = %d, want 0", s.Overruns)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Write(seq(0, 100))
	if err := b.WriteWait(ctx, seq(0, 1)); err != context.Canceled {
		t.Fatalf("WriteWait on a full buffer with a cancelled context = %v", err)
	}
}
