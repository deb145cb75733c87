package gossip

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestThreeMembersSeeEachOther(t *testing.T) {
	t.Parallel()
	gs := mustCluster(t, 3, nil)
	for _, g := range gs {
		ms := g.Members()
		if len(ms) != 3 {
			t.Fatalf("%s sees %d members, want 3", g.cfg.Name, len(ms))
		}
		for i, m := range ms {
			want := gs[i].cfg
			if m.Name != want.Name {
				t.Errorf("%s: member %d is %q, want %q (sorted by name)", g.cfg.Name, i, m.Name, want.Name)
			}
			if m.Meta != want.Meta {
				t.Errorf("%s sees %s meta %+v, want %+v", g.cfg.Name, m.Name, m.Meta, want.Meta)
			}
			if m.Addr != gs[i].Addr() {
				t.Errorf("%s sees %s at %q, want %q", g.cfg.Name, m.Name, m.Addr, gs[i].Addr())
			}
		}
	}
	local := gs[1].LocalMember()
	if local.Name != "m1" || local.State != StateAlive || local.Meta != gs[1].cfg.Meta {
		t.Errorf("LocalMember = %+v", local)
	}
}

func TestUpdateMetaPropagates(t *testing.T) {
	t.Parallel()
	gs := mustCluster(t, 3, nil)
	events, stop := gs[0].Subscribe()
	defer stop()

	meta := gs[2].cfg.Meta
	meta.Bootstrapped = true
	meta.Expect = 3
	if err := gs[2].UpdateMeta(meta); err != nil {
		t.Fatalf("UpdateMeta: %v", err)
	}
	if got := gs[2].LocalMember().Meta; got != meta {
		t.Errorf("LocalMember meta = %+v, want %+v", got, meta)
	}
	for _, g := range gs[:2] {
		waitFor(t, 3*time.Second, g.cfg.Name+" sees m2's new meta", func() bool {
			m, _ := findMember(g.Members(), "m2")
			return m.Meta == meta
		})
	}
	ev := waitEvent(t, events, EventUpdate, "m2", 3*time.Second)
	if ev.Member.Meta != meta {
		t.Errorf("update event meta = %+v, want %+v", ev.Member.Meta, meta)
	}
}

func TestKilledMemberIsSeenFailed(t *testing.T) {
	t.Parallel()
	gs := mustCluster(t, 3, nil)
	events, stop := gs[0].Subscribe()
	defer stop()

	start := time.Now()
	if err := gs[2].Shutdown(); err != nil { // no Leave: a crash as the others see it
		t.Fatalf("Shutdown: %v", err)
	}
	for _, g := range gs[:2] {
		waitFor(t, 5*time.Second, g.cfg.Name+" sees m2 dead", func() bool {
			return memberState(g, "m2") == StateDead
		})
	}
	t.Logf("killed member seen dead by both others after %v", time.Since(start).Round(10*time.Millisecond))
	waitEvent(t, events, EventFailed, "m2", time.Second)
	if n := countState(gs[0].Members(), StateAlive); n != 2 {
		t.Errorf("m0 sees %d alive, want 2", n)
	}
}

func TestGracefulLeaveIsSeenLeft(t *testing.T) {
	t.Parallel()
	gs := mustCluster(t, 3, nil)
	events, stop := gs[0].Subscribe()
	defer stop()

	start := time.Now()
	if err := gs[2].Leave(0); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	for _, g := range gs[:2] {
		waitFor(t, 2*time.Second, g.cfg.Name+" sees m2 left", func() bool {
			return memberState(g, "m2") == StateLeft
		})
	}
	t.Logf("leave seen by both others after %v", time.Since(start).Round(10*time.Millisecond))
	waitEvent(t, events, EventLeave, "m2", time.Second)

	if err := gs[2].Leave(time.Second); err != nil {
		t.Errorf("second Leave: %v", err)
	}
	if _, err := gs[2].Join([]string{gs[0].Addr()}); !errors.Is(err, ErrLeft) {
		t.Errorf("Join after Leave = %v, want ErrLeft", err)
	}
	if err := gs[2].UpdateMeta(gs[2].cfg.Meta); !errors.Is(err, ErrLeft) {
		t.Errorf("UpdateMeta after Leave = %v, want ErrLeft", err)
	}
}

func TestLifecycleAfterShutdown(t *testing.T) {
	t.Parallel()
	g := mustNew(t, testConfig(t, "solo"))
	events, stop := g.Subscribe()
	if err := g.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := g.Shutdown(); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
	if err := g.Leave(time.Second); !errors.Is(err, ErrShutdown) {
		t.Errorf("Leave after Shutdown = %v, want ErrShutdown", err)
	}
	if _, err := g.Join([]string{"127.0.0.1:1"}); !errors.Is(err, ErrShutdown) {
		t.Errorf("Join after Shutdown = %v, want ErrShutdown", err)
	}
	if err := g.UpdateMeta(g.cfg.Meta); !errors.Is(err, ErrShutdown) {
		t.Errorf("UpdateMeta after Shutdown = %v, want ErrShutdown", err)
	}
	if _, ok := <-events; ok {
		t.Error("subscription still open after Shutdown")
	}
	stop() // after the hub closed: must not panic
	stop()
	late, lateStop := g.Subscribe()
	defer lateStop()
	if _, ok := <-late; ok {
		t.Error("Subscribe after Shutdown returned an open channel")
	}
}

func TestJoin(t *testing.T) {
	t.Parallel()
	a := mustNew(t, testConfig(t, "a"))
	dead := closedAddr(t)

	tests := []struct {
		name    string
		addrs   []string
		wantN   int
		wantErr error
	}{
		{name: "no addresses", addrs: nil, wantErr: ErrNoPeers},
		{name: "nobody listens", addrs: []string{dead}, wantErr: ErrJoin},
		{name: "partial success", addrs: []string{dead, a.Addr()}, wantN: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustNew(t, testConfig(t, "b-"+strings.ReplaceAll(tt.name, " ", "-")))
			n, err := b.Join(tt.addrs)
			if !errors.Is(err, tt.wantErr) || n != tt.wantN {
				t.Fatalf("Join = %d, %v; want %d, %v", n, err, tt.wantN, tt.wantErr)
			}
		})
	}
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestMetaTooLarge(t *testing.T) {
	t.Parallel()
	big := Meta{Role: RoleClient, ID: "n", Version: strings.Repeat("v", MaxMetaSize)}

	cfg := testConfig(t, "big")
	cfg.Meta = big
	if _, err := New(cfg); !errors.Is(err, ErrMetaTooLarge) {
		t.Fatalf("New with big meta = %v, want ErrMetaTooLarge", err)
	}

	g := mustNew(t, testConfig(t, "small"))
	before := g.LocalMember().Meta
	err := g.UpdateMeta(big)
	if !errors.Is(err, ErrMetaTooLarge) {
		t.Fatalf("UpdateMeta with big meta = %v, want ErrMetaTooLarge", err)
	}
	if !strings.Contains(err.Error(), "limit 512") {
		t.Errorf("error %q does not state the limit", err)
	}
	if got := g.LocalMember().Meta; got != before {
		t.Errorf("meta changed to %+v after a rejected update", got)
	}
}

func TestStalledSubscriberBlocksNothing(t *testing.T) {
	t.Parallel()
	gs := mustCluster(t, 2, func(c *Config) { c.EventBuffer = 1 })
	_, stop := gs[0].Subscribe() // never read
	defer stop()
	live, liveStop := gs[0].Subscribe()
	defer liveStop()

	meta := gs[1].cfg.Meta
	const updates = 5
	for i := range updates {
		meta.Expect = i + 1
		if err := gs[1].UpdateMeta(meta); err != nil {
			t.Fatalf("UpdateMeta %d: %v", i, err)
		}
		// Drain the live subscriber so only the stalled one overflows.
		waitEvent(t, live, EventUpdate, "m1", 3*time.Second)
	}
	waitFor(t, 3*time.Second, "m0 sees m1's last meta", func() bool {
		m, _ := findMember(gs[0].Members(), "m1")
		return m.Meta == meta
	})
	if d := gs[0].DroppedEvents(); d < updates-1 {
		t.Errorf("DroppedEvents = %d, want at least %d (buffer 1, %d updates)", d, updates-1, updates)
	}
	if err := gs[1].Leave(0); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	waitFor(t, 2*time.Second, "m0 sees m1 left", func() bool { return memberState(gs[0], "m1") == StateLeft })
}

func TestEncryptionAndLabel(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef")
	other := []byte("fedcba9876543210")

	tests := []struct {
		name      string
		joinKey   []byte
		joinLabel string
		wantJoin  bool
	}{
		{name: "same key and label", joinKey: key, joinLabel: "prod", wantJoin: true},
		{name: "other key", joinKey: other, joinLabel: "prod"},
		{name: "no key", joinKey: nil, joinLabel: "prod"},
		{name: "other label", joinKey: key, joinLabel: "staging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig(t, "seed")
			cfg.SecretKey, cfg.Label = key, "prod"
			seed := mustNew(t, cfg)

			cfg = testConfig(t, "joiner")
			cfg.SecretKey, cfg.Label = tt.joinKey, tt.joinLabel
			joiner := mustNew(t, cfg)
			_, err := joiner.Join([]string{seed.Addr()})
			if !tt.wantJoin {
				if !errors.Is(err, ErrJoin) {
					t.Fatalf("Join = %v, want ErrJoin", err)
				}
				if _, ok := findMember(seed.Members(), "joiner"); ok {
					t.Error("seed lists a member it should not talk to")
				}
				return
			}
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			waitFor(t, 3*time.Second, "seed sees joiner alive", func() bool {
				return memberState(seed, "joiner") == StateAlive
			})
		})
	}
}
