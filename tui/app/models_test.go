package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"signalcraft/core/api"
	"signalcraft/tui/app"
	"signalcraft/tui/internal/fakeappliance"
)

// TestModelPromoteAndRollback drives the model history against the fake appliance: an
// admin promotes the selected retired model and rolls back, each after a y; n changes
// nothing; an operator is told the role needed and sends nothing.
func TestModelPromoteAndRollback(t *testing.T) {
	fx := fakeappliance.NewFixture()
	fx.Me = api.Identity{Actor: "local:root", Role: api.RoleAdmin}
	srv := fakeappliance.New(fx)
	defer srv.Close()
	c, err := api.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := model(t, fx, c, 120, 40)
	m = keys(t, m, "down")
	m, cmd := step(t, m, press("enter"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("m"))
	m = settle(t, m, cmd)
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Model history") || !strings.Contains(s, "recall 0.50 < champion's 0.83") {
		t.Fatalf("model history not shown:\n%s", s)
	}
	champion := func() int64 { // of the normal model
		for _, md := range srv.ModelsOf("pump-2") {
			if md.Stage == api.StageChampion && md.Task != api.TaskDiagnose {
				return md.Version
			}
		}
		return 0
	}

	// Version 1 (fifth row, under the fault classifier and three normal models): n first, then y.
	m = keys(t, m, "down", "down", "down", "down", "p")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Promote normal model 1 of pump-2 to champion? Its current champion is retired. y/n") {
		t.Fatalf("no confirmation:\n%s", s)
	}
	m = keys(t, m, "n")
	if champion() != 3 {
		t.Fatalf("n promoted: champion %d", champion())
	}
	m = keys(t, m, "p")
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if champion() != 1 {
		t.Fatalf("after promote: champion %d, want 1", champion())
	}
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "pump-2 promoted normal model 1; the machine uses it within seconds.") {
		t.Errorf("no outcome shown:\n%s", s)
	}
	m = keys(t, m, "b")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Roll the normal model of pump-2 back to its previous champion? y/n") {
		t.Fatalf("no rollback confirmation:\n%s", s)
	}
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if champion() != 3 {
		t.Errorf("after rollback: champion %d, want 3", champion())
	}
	// The fault classifier (first row) rolls back on its own: it has no earlier champion.
	m = keys(t, m, "up", "up", "up", "up", "up", "b")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Roll the fault classifier of pump-2 back to its previous champion? y/n") {
		t.Fatalf("no rollback confirmation for the fault classifier:\n%s", s)
	}
	m, cmd = step(t, m, press("y"))
	m = settle(t, m, cmd)
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Could not rollback") || !strings.Contains(s, "no earlier champion") || champion() != 3 {
		t.Errorf("rolling back the only fault classifier:\n%s", s)
	}
	var posts []string
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			var req api.ModelChangeRequest
			_ = json.Unmarshal(r.Body, &req)
			posts = append(posts, r.Path+" "+req.Task+" "+req.Reason)
		}
	}
	want := []string{
		api.Expand(api.PathPromote, "pump-2", "1") + "  from the signalcraft terminal client",
		api.Expand(api.PathRollback, "pump-2") + " detect from the signalcraft terminal client",
		api.Expand(api.PathRollback, "pump-2") + " diagnose from the signalcraft terminal client",
	}
	if strings.Join(posts, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(posts, "\n"), strings.Join(want, "\n"))
	}
	// esc goes back to the live view.
	m = keys(t, m, "esc")
	if s := ansi.Strip(m.Render()); !strings.Contains(s, "Recent events") {
		t.Errorf("esc did not go back:\n%s", s)
	}

	// An operator sees the history but may not change it.
	op := fakeappliance.NewFixture()
	m = model(t, op, c, 120, 40)
	m = keys(t, m, "down")
	m, cmd = step(t, m, press("enter"))
	m = settle(t, m, cmd)
	m, cmd = step(t, m, press("m"))
	m = settle(t, m, cmd)
	m = keys(t, m, "down", "p")
	s := ansi.Strip(m.Render())
	if !strings.Contains(s, "To promote a model you need role admin (you are operator).") || strings.Contains(s, "y/n") {
		t.Errorf("operator pressing p:\n%s", s)
	}
	if m.Page() != app.PageDetail {
		t.Errorf("page %v", m.Page())
	}
}
