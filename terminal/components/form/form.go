// Package form is a small keyboard form: labelled one-line fields, moved through with
// tab and the arrow keys, submitted with enter on the last field, cancelled with esc, and
// an error line where the daemon's refusal is shown in place.
package form

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kassa-pos/kassa/internal/text"
	"github.com/kassa-pos/kassa/terminal/common"
)

// Action is what a key did to the form.
type Action int

// The actions a form reports.
const (
	None Action = iota
	Submit
	Cancel
)

// Field is one labelled input.
type Field struct {
	Label string
	// Hint is drawn after the input, e.g. the expected amount; it may depend on the values.
	Hint  func(f *Form) string
	input textinput.Model
}

// Form is a list of fields with the focus on one of them.
type Form struct {
	common.Common
	Title  string
	Fields []*Field
	// Err is shown under the fields (the daemon's refusal, a local parse error).
	Err string
	// Note is a line of help under the title.
	Note  string
	focus int
	width int // label width
}

// New builds a form of fields with labels and initial values (pairs of label, value).
func New(c common.Common, title string, labelsAndValues ...string) *Form {
	f := &Form{Common: c, Title: title}
	for i := 0; i+1 < len(labelsAndValues); i += 2 {
		f.Add(labelsAndValues[i], labelsAndValues[i+1], nil)
	}
	return f
}

// Add appends a field.
func (f *Form) Add(label, value string, hint func(*Form) string) {
	in := textinput.New()
	in.Prompt = ""
	in.Cursor.SetMode(cursor.CursorStatic)
	in.CharLimit = 64
	in.Width = 17
	in.SetValue(value)
	in.CursorEnd()
	if len(f.Fields) == 0 {
		in.Focus()
	}
	if l := text.Width(label); l > f.width {
		f.width = l
	}
	f.Fields = append(f.Fields, &Field{Label: label, Hint: hint, input: in})
}

// Value returns the trimmed text of field i.
func (f *Form) Value(i int) string { return strings.TrimSpace(f.Fields[i].input.Value()) }

// SetValue replaces the text of field i.
func (f *Form) SetValue(i int, v string) {
	f.Fields[i].input.SetValue(v)
	f.Fields[i].input.CursorEnd()
}

// Focused is the index of the field with the focus.
func (f *Form) Focused() int { return f.focus }

func (f *Form) setFocus(i int) {
	if len(f.Fields) == 0 {
		return
	}
	i = (i + len(f.Fields)) % len(f.Fields)
	f.Fields[f.focus].input.Blur()
	f.focus = i
	f.Fields[i].input.Focus()
}

// Update handles a key and reports what it did.
func (f *Form) Update(msg tea.Msg) (Action, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return None, nil
	}
	switch {
	case key.Matches(km, f.Keys.Cancel):
		return Cancel, nil
	case km.Type == tea.KeyEnter:
		if f.focus == len(f.Fields)-1 {
			return Submit, nil
		}
		f.setFocus(f.focus + 1)
		return None, nil
	case key.Matches(km, f.Keys.NextField):
		f.setFocus(f.focus + 1)
		return None, nil
	case key.Matches(km, f.Keys.PrevField):
		f.setFocus(f.focus - 1)
		return None, nil
	}
	if len(f.Fields) == 0 {
		return None, nil
	}
	var cmd tea.Cmd
	f.Fields[f.focus].input, cmd = f.Fields[f.focus].input.Update(msg)
	return None, cmd
}

// View draws the form.
func (f *Form) View() string {
	st := f.Styles
	var b strings.Builder
	b.WriteString(st.Heading.Render(f.Title) + "\n")
	if f.Note != "" {
		b.WriteString(st.Muted.Render(f.Note) + "\n")
	}
	b.WriteString("\n")
	for i, fl := range f.Fields {
		marker := "  "
		if i == f.focus {
			marker = st.Key.Render("> ")
		}
		line := marker + st.Label.Render(common.Pad(fl.Label, f.width)) + "  [" + fl.input.View() + "]"
		if fl.Hint != nil {
			if h := fl.Hint(f); h != "" {
				line += "  " + st.Muted.Render(h)
			}
		}
		b.WriteString(line + "\n")
	}
	if f.Err != "" {
		b.WriteString("\n" + st.Error.Render("! "+f.Err) + "\n")
	}
	return b.String()
}

// ShortHelp lists the form's keys.
func (f *Form) ShortHelp() []key.Binding {
	return []key.Binding{f.Keys.NextField, f.Keys.Submit, f.Keys.Cancel}
}
