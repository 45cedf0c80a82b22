package alert

import (
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Receiver is a named destination; core/notify maps the name to channels.
type Receiver struct {
	Name string `yaml:"name" json:"name"`
	// SendResolved: also tell the receiver, once, when an alert it was told is firing has
	// resolved. A route's SendResolved overrides it for the route's receiver; an escalation
	// receiver follows its own.
	SendResolved bool `yaml:"send_resolved,omitempty" json:"send_resolved,omitempty"`
}

// Escalation sends a critical alert that nobody has acknowledged After it fired to another
// receiver as well, once.
type Escalation struct {
	After    time.Duration `yaml:"after" json:"after"`
	Receiver string        `yaml:"receiver" json:"receiver"`
}

// Route is a node of the routing tree. An alert enters at the root and descends into the
// first child whose matchers match, and further into later children too while the matching
// child has Continue set; the deepest matching routes get it. Unset fields are inherited from
// the parent.
type Route struct {
	Matchers Matchers `yaml:"matchers,omitempty" json:"matchers,omitempty"`
	Receiver string   `yaml:"receiver,omitempty" json:"receiver,omitempty"`
	// GroupBy lists the labels whose values form a group; "..." groups by all labels.
	GroupBy []string `yaml:"group_by,omitempty" json:"group_by,omitempty"`
	// GroupWait: how long a new group waits for more alerts before its first notification.
	GroupWait time.Duration `yaml:"group_wait,omitempty" json:"group_wait,omitempty"`
	// GroupInterval: how long to wait before notifying about changes to a group.
	GroupInterval time.Duration `yaml:"group_interval,omitempty" json:"group_interval,omitempty"`
	// RepeatInterval: how long to wait before repeating an unchanged, unacknowledged group.
	RepeatInterval time.Duration `yaml:"repeat_interval,omitempty" json:"repeat_interval,omitempty"`
	// SendResolved, when set, overrides the receiver's send_resolved for this route (and the
	// child routes that inherit its receiver); escalation receivers keep their own.
	SendResolved *bool        `yaml:"send_resolved,omitempty" json:"send_resolved,omitempty"`
	Escalations  []Escalation `yaml:"escalations,omitempty" json:"escalations,omitempty"`
	Continue     bool         `yaml:"continue,omitempty" json:"continue,omitempty"`
	Routes       []Route      `yaml:"routes,omitempty" json:"routes,omitempty"`
}

// Receivers lists the receivers the routing tree names, escalations included.
func (r Route) Receivers() []string {
	var out []string
	if r.Receiver != "" {
		out = append(out, r.Receiver)
	}
	for _, e := range r.Escalations {
		out = append(out, e.Receiver)
	}
	for _, c := range r.Routes {
		out = append(out, c.Receivers()...)
	}
	return out
}

// InhibitRule mutes alerts matching TargetMatchers while an alert matching SourceMatchers
// fires with the same values of the Equal labels.
type InhibitRule struct {
	SourceMatchers Matchers `yaml:"source_matchers" json:"source_matchers"`
	TargetMatchers Matchers `yaml:"target_matchers" json:"target_matchers"`
	Equal          []string `yaml:"equal,omitempty" json:"equal,omitempty"`
}

// route is a compiled Route with inherited settings resolved.
type route struct {
	id             string // path of child indices: "0", "0.1", …
	matchers       Matchers
	receiver       string
	groupBy        []string
	groupAll       bool
	groupWait      time.Duration
	groupInterval  time.Duration
	repeatInterval time.Duration
	sendResolved   bool
	escalations    []escalation // sorted by After
	cont           bool
	children       []*route
}

// escalation is a compiled Escalation.
type escalation struct {
	Escalation
	sendResolved bool // the escalation receiver's own setting
}

func (r *Route) validate(path string, root bool, recv map[string]bool, e *errs) {
	if root {
		if len(r.Matchers) > 0 {
			e.add(path+".matchers", r.Matchers.String(), "the root route matches every alert and takes no matchers")
		}
		if r.Receiver == "" {
			e.add(path+".receiver", r.Receiver, "the root route needs a receiver")
		}
		if r.GroupInterval <= 0 {
			e.add(path+".group_interval", r.GroupInterval, "must be positive")
		}
		if r.RepeatInterval <= 0 {
			e.add(path+".repeat_interval", r.RepeatInterval, "must be positive")
		}
		if r.Continue {
			e.add(path+".continue", r.Continue, "the root route cannot continue")
		}
	}
	if r.Receiver != "" && !recv[r.Receiver] {
		e.add(path+".receiver", r.Receiver, "is not a declared receiver")
	}
	for i, m := range r.Matchers {
		if _, err := m.compile(); err != nil {
			e.add(fmt.Sprintf("%s.matchers[%d]", path, i), m.String(), "%v", err)
		}
	}
	for i, l := range r.GroupBy {
		if l != "..." && !labelNameRE.MatchString(l) {
			e.add(fmt.Sprintf("%s.group_by[%d]", path, i), l, "is not a label name or ...")
		}
	}
	for f, d := range map[string]time.Duration{"group_wait": r.GroupWait, "group_interval": r.GroupInterval, "repeat_interval": r.RepeatInterval} {
		if d < 0 {
			e.add(path+"."+f, d, "must not be negative")
		}
	}
	for i, x := range r.Escalations {
		p := fmt.Sprintf("%s.escalations[%d]", path, i)
		if x.After <= 0 {
			e.add(p+".after", x.After, "must be positive")
		}
		if !recv[x.Receiver] {
			e.add(p+".receiver", x.Receiver, "is not a declared receiver")
		}
	}
	for i := range r.Routes {
		r.Routes[i].validate(fmt.Sprintf("%s.routes[%d]", path, i), false, recv, e)
	}
}

// compileRoute resolves inheritance; the config has been validated.
func compileRoute(r *Route, parent *route, id string, recv map[string]Receiver, index map[string]*route) *route {
	c := &route{id: id, cont: r.Continue}
	c.matchers, _ = r.Matchers.compiled()
	if parent != nil {
		c.receiver, c.groupBy, c.groupAll = parent.receiver, parent.groupBy, parent.groupAll
		c.groupWait, c.groupInterval, c.repeatInterval = parent.groupWait, parent.groupInterval, parent.repeatInterval
		c.escalations = parent.escalations
	}
	if r.Receiver != "" {
		c.receiver = r.Receiver
	}
	if r.GroupBy != nil {
		c.groupBy, c.groupAll = nil, false
		for _, l := range r.GroupBy {
			if l == "..." {
				c.groupAll = true
			} else {
				c.groupBy = append(c.groupBy, l)
			}
		}
		slices.Sort(c.groupBy)
	}
	if r.GroupWait > 0 {
		c.groupWait = r.GroupWait
	}
	if r.GroupInterval > 0 {
		c.groupInterval = r.GroupInterval
	}
	if r.RepeatInterval > 0 {
		c.repeatInterval = r.RepeatInterval
	}
	if r.Escalations != nil {
		c.escalations = make([]escalation, len(r.Escalations))
		for i, x := range r.Escalations {
			c.escalations[i] = escalation{Escalation: x, sendResolved: recv[x.Receiver].SendResolved}
		}
		slices.SortStableFunc(c.escalations, func(a, b escalation) int { return int(a.After - b.After) })
	}
	switch {
	case r.SendResolved != nil:
		c.sendResolved = *r.SendResolved
	case r.Receiver == "" && parent != nil:
		c.sendResolved = parent.sendResolved
	default:
		c.sendResolved = recv[c.receiver].SendResolved
	}
	index[id] = c
	for i := range r.Routes {
		c.children = append(c.children, compileRoute(&r.Routes[i], c, id+"."+strconv.Itoa(i), recv, index))
	}
	return c
}

// match returns the routes an alert with labels l is dispatched to.
func (r *route) match(l Labels) []*route {
	if !r.matchers.Matches(l) {
		return nil
	}
	var all []*route
	for _, c := range r.children {
		m := c.match(l)
		all = append(all, m...)
		if m != nil && !c.cont {
			break
		}
	}
	if len(all) == 0 {
		all = []*route{r}
	}
	return all
}

// groupLabels picks the labels that identify the alert's group on this route.
func (r *route) groupLabels(l Labels) Labels {
	g := Labels{}
	if r.groupAll {
		for k, v := range l {
			g[k] = v
		}
		return g
	}
	for _, k := range r.groupBy {
		if v, ok := l[k]; ok {
			g[k] = v
		}
	}
	return g
}

func (r *route) groupKey(g Labels) string { return r.id + ":" + g.String() }
