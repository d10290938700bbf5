package refop

import (
	"errors"
	"testing"
	"time"
)

func TestExpiring(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newExpiring[int](2)
	if err := m.put(t0, "a", 1, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.put(t0, "b", 2, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.put(t0, "c", 3, time.Minute); !errors.Is(err, errFull) {
		t.Fatalf("put over capacity: %v, want errFull", err)
	}
	if err := m.put(t0, "a", 10, time.Minute); err != nil {
		t.Fatalf("replacing at capacity: %v", err)
	}
	if v, ok := m.get(t0.Add(59*time.Second), "a"); !ok || v != 10 {
		t.Errorf("get a before expiry = %v, %v", v, ok)
	}
	if _, ok := m.get(t0.Add(time.Minute), "a"); ok {
		t.Error("get a at its deadline succeeded")
	}
	// "a" is gone; a full map sweeps itself before refusing.
	m.put(t0, "a", 1, time.Minute)
	if err := m.put(t0.Add(time.Minute), "c", 3, time.Minute); err != nil {
		t.Errorf("put after an entry lapsed: %v", err)
	}
	if len(m.entries) != 2 {
		t.Errorf("%d entries, want 2 (b and c)", len(m.entries))
	}
	// Periodic sweep even when not full.
	big := newExpiring[int](100)
	big.put(t0, "x", 1, time.Second)
	big.put(t0.Add(sweepEvery), "y", 1, time.Second)
	if _, ok := big.entries["x"]; ok {
		t.Error("expired entry survived a periodic sweep")
	}
}
