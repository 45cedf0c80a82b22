package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestAuditAppendAndFilter(t *testing.T) {
	db, clk := openTest(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		actor := "alice"
		if i%2 == 1 {
			actor = "bob"
		}
		if _, err := db.AppendAudit(ctx, AuditEntry{Actor: actor, Action: "event.acknowledge", Target: fmt.Sprintf("event/%d", i)}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Second)
	}
	at := t0.Add(time.Hour)
	if _, err := db.AppendAudit(ctx, AuditEntry{Time: at, Actor: "alice", Action: "token.create", Target: "token/x", Detail: "role admin"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AppendAudit(ctx, AuditEntry{Actor: "alice"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("entry without action: err = %v, want ErrInvalid", err)
	}

	all, err := db.Audit(ctx, AuditFilter{})
	if err != nil || len(all) != 6 {
		t.Fatalf("Audit = %d entries, %v", len(all), err)
	}
	if all[0].Action != "token.create" || !all[0].Time.Equal(at) || all[0].Detail != "role admin" {
		t.Errorf("newest = %+v", all[0])
	}
	if !all[5].Time.Equal(t0) || all[5].Target != "event/0" {
		t.Errorf("oldest = %+v", all[5])
	}
	tests := []struct {
		f    AuditFilter
		want []string // targets
	}{
		{AuditFilter{Actor: "bob"}, []string{"event/3", "event/1"}},
		{AuditFilter{Action: "token.create"}, []string{"token/x"}},
		{AuditFilter{Target: "event/2"}, []string{"event/2"}},
		{AuditFilter{Limit: 2}, []string{"token/x", "event/4"}},
		{AuditFilter{Before: all[1].ID, Limit: 2}, []string{"event/3", "event/2"}},
		{AuditFilter{Actor: "alice", Action: "event.acknowledge"}, []string{"event/4", "event/2", "event/0"}},
	}
	for _, tt := range tests {
		got, err := db.Audit(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var targets []string
		for _, a := range got {
			targets = append(targets, a.Target)
		}
		if fmt.Sprint(targets) != fmt.Sprint(tt.want) {
			t.Errorf("Audit(%+v) = %v, want %v", tt.f, targets, tt.want)
		}
	}
}

func TestWriteAuditedRollsBack(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.WriteAudited(ctx, func(tx *sql.Tx) error { return boom }, AuditEntry{Actor: "a", Action: "x"})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if got, _ := db.Audit(ctx, AuditFilter{}); len(got) != 0 {
		t.Errorf("audit entry committed for a failed change: %+v", got)
	}
}

func TestAcknowledgeEventComment(t *testing.T) {
	db, clk := openTest(t)
	ctx := context.Background()
	mustMachine(t, db, "m1")
	id, err := db.OpenEvent(ctx, Event{MachineID: "m1", Start: t0, PeakScore: 9, Threshold: 8})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := db.OpenEvent(ctx, Event{MachineID: "m1", Kind: "other", Start: t0, PeakScore: 9, Threshold: 8})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	audit := AuditEntry{Actor: "op", Action: "event.acknowledge", Target: fmt.Sprintf("event/%d", id)}
	if err := db.AcknowledgeEventComment(ctx, id, "op", "bearing noise, checking", audit); err != nil {
		t.Fatal(err)
	}
	if err := db.AcknowledgeEventComment(ctx, id, "op2", "again", audit); !errors.Is(err, ErrConflict) {
		t.Errorf("second ack: err = %v, want ErrConflict", err)
	}
	if err := db.AcknowledgeEventComment(ctx, 999, "op", "", audit); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown event: err = %v, want ErrNotFound", err)
	}
	e, err := db.Event(ctx, id)
	if err != nil || e.AcknowledgedBy != "op" || !e.AcknowledgedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("event = %+v, %v", e, err)
	}
	if err := db.LabelEventAudited(ctx, id, "false_alarm", AuditEntry{Actor: "op", Action: "event.label"}); err != nil {
		t.Fatal(err)
	}
	if err := db.LabelEventAudited(ctx, 999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("label unknown: err = %v", err)
	}
	if e, _ := db.Event(ctx, id); e.Label != "false_alarm" {
		t.Errorf("label = %q", e.Label)
	}
	comments, err := db.AckComments(ctx, id, id2, 999)
	if err != nil || len(comments) != 1 || comments[id] != "bearing noise, checking" {
		t.Errorf("AckComments = %v, %v", comments, err)
	}
	if entries, _ := db.Audit(ctx, AuditFilter{Actor: "op"}); len(entries) != 2 {
		t.Errorf("audit entries = %+v, want the ack and the label only", entries)
	}
}
