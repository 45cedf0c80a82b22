package store

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"
)

func TestReports(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	from := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	create := func(r Report) (int64, bool) {
		t.Helper()
		var id int64
		var created bool
		err := db.Write(ctx, func(tx *sql.Tx) error {
			var err error
			id, created, err = db.CreateReportTx(ctx, tx, r)
			if err != nil {
				return err
			}
			return db.SetReportJobTx(ctx, tx, id, 40+id)
		})
		if err != nil {
			t.Fatal(err)
		}
		return id, created
	}
	daily := Report{Kind: "daily", Lang: "ko", From: from, To: from.Add(24 * time.Hour), RequestedBy: "schedule"}
	id1, c1 := create(daily)
	id2, c2 := create(daily) // the same scheduled report again: the first one
	if !c1 || c2 || id1 != id2 {
		t.Fatalf("scheduled twice: ids %d %d created %v %v, want one report", id1, id2, c1, c2)
	}
	en := daily
	en.Lang = "en"
	if id, c := create(en); !c || id == id1 {
		t.Errorf("the English daily report was not created (%d, %v)", id, c)
	}
	od := Report{Kind: "on_demand", Lang: "en", MachineID: "pump-2", From: from, To: from.Add(time.Hour), RequestedBy: "kim"}
	a, _ := create(od)
	b, cb := create(od)
	if a == b || !cb {
		t.Errorf("on-demand reports are never merged: ids %d %d", a, b)
	}
	if err := db.FinishReport(ctx, id1, "1-daily-ko.pdf", 1234, "1-daily-ko.zip", 99); err != nil {
		t.Fatal(err)
	}
	if err := db.SetReportEmailed(ctx, id1, []string{"ops-mail", "plant-mail"}); err != nil {
		t.Fatal(err)
	}
	if err := db.FailReport(ctx, b, "font missing"); err != nil {
		t.Fatal(err)
	}
	r, err := db.Report(ctx, id1)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != ReportDone || r.PDFFile != "1-daily-ko.pdf" || r.PDFBytes != 1234 || r.CSVBytes != 99 || r.JobID != 40+id1 ||
		len(r.EmailedTo) != 2 || r.EmailedTo[1] != "plant-mail" || !r.From.Equal(from) || r.FinishedAt.IsZero() {
		t.Errorf("report %+v", r)
	}
	list, err := db.Reports(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[0].ID != b || list[0].State != ReportFailed || list[0].Error != "font missing" || list[0].MachineID != "pump-2" {
		t.Errorf("reports %+v", list)
	}
	if _, err := db.Report(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing report: %v", err)
	}
	if err := db.FinishReport(ctx, 999, "", 0, "", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("finish a missing report: %v", err)
	}
	for _, bad := range []Report{{Kind: "monthly", Lang: "en", From: from, To: from.Add(1)}, {Kind: "daily", Lang: "de", From: from, To: from.Add(1)},
		{Kind: "daily", Lang: "en", From: from, To: from}} {
		err := db.Write(ctx, func(tx *sql.Tx) error { _, _, err := db.CreateReportTx(ctx, tx, bad); return err })
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("create %+v: %v, want ErrInvalid", bad, err)
		}
	}
}
